#!/usr/bin/env bash
# The README's deploy command (`npm run deploy`): the embedded default, i.e.
# the example stack `local` (stacks/Pulumi.local.yaml) on this machine's Docker
# engine, with Pulumi state on local disk (`pulumi login --local`, no Pulumi
# Cloud account). Idempotent: re-running it updates the deployment.
#
# Needs: Node 20+, the Pulumi CLI, a running Docker engine. Secrets:
#  - PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE protects the
#    stack's secrets; when neither is set, a random passphrase is created once in
#    ~/.config/socle/passphrase (mode 600): keep it, it decrypts the stack.
#  - socle:backupPassword (the restic repository password) is generated once.
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=${SOCLE_STACK:-local}

command -v pulumi >/dev/null || { echo "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "no Docker engine answers (is dockerd running?)" >&2; exit 1; }

if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  conf="${XDG_CONFIG_HOME:-$HOME/.config}/socle"
  if [ ! -s "$conf/passphrase" ]; then
    mkdir -p "$conf"
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$conf/passphrase")
    echo "created $conf/passphrase: it decrypts this stack's secrets, keep it safe" >&2
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$conf/passphrase"
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
pulumi login --local
pulumi stack select "$STACK" 2>/dev/null || pulumi stack init "$STACK"
if ! pulumi config get socle:backupPassword >/dev/null 2>&1; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | pulumi config set --secret socle:backupPassword
fi
pulumi up --yes --stack "$STACK" "$@"
pulumi stack output --stack "$STACK" tenants
