#!/usr/bin/env bash
# The README's test command (`npm test`): installs what the tests need, starts
# dockerd, builds the Debian-based test images, then type-checks, lints and
# runs every test (unit + templates with real validators + ops on a real
# engine). Exits non-zero on any failure. Under CI=true a missing tool fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOCKER_BUILDKIT=0 # images are built from a local base; no registry to ask
log() { printf '\n== %s ==\n' "$*"; }

# Every program a test or the test command calls, with the Debian package that
# installs it. A package is installed when its command is missing, and after the
# install every command must answer: a new machine has none of them.
TOOLS=(
  docker:docker.io dockerd:docker.io restic:restic cloud-init:cloud-init caddy:caddy
  shellcheck:shellcheck debootstrap:debootstrap systemd-analyze:systemd psql:postgresql-client
  jq:jq mkfs.ext4:e2fsprogs losetup:util-linux php:php-cli curl:curl nft:nftables
  ssh-keygen:openssh-client openssl:openssl sha256sum:coreutils xargs:findutils tar:tar
  apt-config:apt docker-registry:docker-registry
)
missing=()
for t in "${TOOLS[@]}"; do
  command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "apt-get install ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for t in "${TOOLS[@]}"; do
  command -v "${t%%:*}" >/dev/null 2>&1 || { echo "${t%%:*} still missing after apt-get install ${t#*:}" >&2; exit 1; }
done

log "npm ci"
npm ci --no-audit --no-fund

started_dockerd=""
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  dockerd >/tmp/socle-dockerd.log 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/socle-dockerd.log >&2; echo "dockerd did not start" >&2; exit 1; }
fi
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
}
trap cleanup EXIT

log "test images"
bash tests/ops/images/build-all.sh

log "the Pulumi engine (scripts/toolchain.sh: cached by version; a cold build takes ~15 minutes)"
command -v go >/dev/null || { echo "go (>= 1.26) is required to build the Pulumi engine" >&2; exit 1; }
SOCLE_TOOLCHAIN=$(bash scripts/toolchain.sh | tail -1)
export SOCLE_TOOLCHAIN

log "typecheck"
npx tsc --noEmit
log "library build (what import … from \"socle\" loads)"
build_dir=$(mktemp -d)
npx tsc -p tsconfig.build.json --outDir "$build_dir"
rm -rf "$build_dir"
log "lint"
npx eslint .
npx prettier --check .

log "tests"
results=$(mktemp -d)
status=0
# unit and ops together, then the engine project alone (it deploys Socle's own names).
npx vitest run --project unit --project ops --reporter=default --reporter=json \
  --outputFile="$results/main.json" "$@" || status=$?
log "tests on the real Pulumi engine"
npx vitest run --project engine --reporter=default --reporter=json \
  --outputFile="$results/engine.json" "$@" || status=$?
# The plain closing line CI reads: "N passed, N failed".
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests || (r.success ? 0 : 1); // a failed suite with no failed test still fails
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results/main.json" "$results/engine.json" || echo "0 passed, 1 failed"
rm -rf "$results"
exit "$status"
