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
  apt-config:apt
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
results=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
# The plain closing line CI reads: "N passed, N failed".
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" || echo "0 passed, 1 failed"
rm -f "$results"
exit "$status"
