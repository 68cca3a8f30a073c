#!/usr/bin/env bash
# Builds the Pulumi engine Socle runs on from Go modules, for machines that
# cannot install the Pulumi CLI the usual way: the `pulumi` CLI, a Node.js
# language host (tools/pulumi/language-nodejs) and the resource plugins that
# could be built here (tools/providers). Idempotent: the binaries are cached
# under ~/.cache/socle/toolchain/<key>, the key a hash of the Go version and
# every file under tools/ and this script; a warm run takes a second.
# The LAST line printed is the directory to put on PATH.
#
#   PATH="$(bash scripts/toolchain.sh | tail -1):$PATH"
#
# Users with internet access install Pulumi the usual way instead (see README).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tools"
command -v go >/dev/null || { echo "toolchain: go is required (Go >= 1.26)" >&2; exit 1; }

# The pinned versions. PULUMI_VERSION: the CLI (github.com/pulumi/pulumi/pkg/v3).
PULUMI_VERSION=v3.276.0
# The Docker Terraform provider the docker plugin bridges (its module path is
# kreuzwerker's; its go.mod keeps the old terraform-providers path).
DOCKER_TF_MODULE=github.com/kreuzwerker/terraform-provider-docker
DOCKER_TF_VERSION=v0.0.0-20260916201441-96d331c98ff4
# The bridge's fork of terraform-plugin-sdk/v2, at the version the bridge asks for.
SDK_FORK_MODULE=github.com/pulumi/terraform-plugin-sdk/v2
SDK_FORK_VERSION=v2.0.0-20250923233607-7f1981c8674a
# The Random and TLS Terraform providers (plugin framework) the random and tls plugins bridge.
RANDOM_TF_MODULE=github.com/hashicorp/terraform-provider-random
RANDOM_TF_VERSION=v1.3.2-0.20260824155315-e1092b0cfc07
TLS_TF_MODULE=github.com/hashicorp/terraform-provider-tls
TLS_TF_VERSION=v1.2.1-0.20260819085117-d044ca7c6f52
# The plugin versions the npm SDK packages ask for.
# (read from package.json's exact pins, so no npm install is needed first).
sdk_version() { node -p "require('$root/package.json').dependencies['$1']"; }
npm_pins() { for p in "$@"; do sdk_version "$p"; done; }

key=$( {
  go version
  echo "$PULUMI_VERSION $SDK_FORK_VERSION $DOCKER_TF_VERSION $RANDOM_TF_VERSION $TLS_TF_VERSION"
  npm_pins @pulumi/docker @pulumi/random @pulumi/tls
  cat "$0"
  (cd "$tools" && find . -path ./providers/.build -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum)
} | sha256sum | cut -c1-16)
cache="${SOCLE_TOOLCHAIN_CACHE:-$HOME/.cache/socle/toolchain}"
out="$cache/pulumi-${PULUMI_VERSION#v}-$key"
if [ -f "$out/.complete" ]; then
  echo "toolchain: cached in $out" >&2
  echo "$out"
  exit 0
fi

log() { printf 'toolchain: %s\n' "$*" >&2; }
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

log "pulumi CLI $PULUMI_VERSION (cold: several minutes)"
(cd "$tools/pulumi" && go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
  -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

log "pulumi-language-nodejs (tools/pulumi/language-nodejs)"
(cd "$tools/pulumi" && go build -trimpath -ldflags "-s -w -X main.version=${PULUMI_VERSION#v}" \
  -o "$tmp/pulumi-language-nodejs" ./language-nodejs)

# local_copy MODULE@VERSION NAME: tools/providers/.build/NAME, a writable copy
# of the module from the module cache with tools/providers/_shims/NAME added
# (the go.mod there replaces the module by that path).
local_copy() {
  local src dest="$tools/providers/.build/$2"
  src=$(cd "$tools/providers" && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "toolchain: could not download $1" >&2; exit 1; }
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  cp -r "$src" "$dest"
  chmod -R u+w "$dest"
  cp -r "$tools/providers/_shims/$2/." "$dest/"
}
# plugin NAME VERSION: builds pulumi-resource-NAME from tools/providers/NAME,
# then writes its schema and bridge metadata beside it.
plugin() {
  local bin="$tmp/pulumi-resource-$1" gen="$tmp/schema-$1"
  (cd "$tools/providers" && go build -trimpath -ldflags "-s -w -X main.version=$2" -o "$bin" "./$1")
  "$bin" schema --out "$gen" >"$gen.log" 2>&1 ||
    { tail -20 "$gen.log" >&2; echo "toolchain: $1 schema generation failed" >&2; exit 1; }
  mv "$gen/schema.json" "$bin.schema.json"
  mv "$gen/bridge-metadata.json" "$bin.metadata.json"
  rm -rf "$gen" "$gen.log"
}

log "local copies of the bridge's SDKv2 fork and the Docker, Random and TLS Terraform providers"
local_copy "$SDK_FORK_MODULE@$SDK_FORK_VERSION" plugin-sdk
local_copy "$DOCKER_TF_MODULE@$DOCKER_TF_VERSION" docker
local_copy "$RANDOM_TF_MODULE@$RANDOM_TF_VERSION" random
local_copy "$TLS_TF_MODULE@$TLS_TF_VERSION" tls
for p in docker random tls; do
  v=$(sdk_version "@pulumi/$p")
  log "pulumi-resource-$p $v (cold: the docker plugin takes ~10 minutes)"
  plugin "$p" "$v"
done

"$tmp/pulumi" version >/dev/null
"$tmp/pulumi-language-nodejs" -version >/dev/null
touch "$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "built in $(($(date +%s) - start)) s: $(cd "$out" && echo *)"
echo "$out"
