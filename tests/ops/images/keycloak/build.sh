#!/usr/bin/env bash
# Builds socle-test/keycloak: Debian 13 (Keycloak 26 needs Java 21; Debian 12
# has 17), its OpenJDK 21 JRE, and Keycloak's distribution fetched from Maven
# Central by Maven itself, at the version components/versions.ts pins. The
# distribution is cached under ~/.cache/socle/keycloak; the image is tagged
# with the version and rebuilt only when it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
VERSION=${KEYCLOAK_VERSION:-$(sed -n '/^  keycloak: {/,/^  },/s/^    pinned: "\(.*\)",/\1/p' "$root/components/versions.ts")}
[ -n "$VERSION" ] || { echo "image socle-test/keycloak: no pinned version in components/versions.ts" >&2; exit 1; }
IMAGE=socle-test/keycloak
if docker image inspect "$IMAGE:$VERSION" >/dev/null 2>&1; then
  docker tag "$IMAGE:$VERSION" "$IMAGE:latest"
  echo "image $IMAGE:$VERSION: cached"
  exit 0
fi
SOCLE_BASE_SUITE=trixie SOCLE_BASE_IMAGE=socle-test/debian:13 bash "$here/../build-base.sh"
cache="${SOCLE_CACHE:-$HOME/.cache/socle}/keycloak"
dist="$cache/keycloak-quarkus-dist-$VERSION.tar.gz"
if [ ! -s "$dist" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  printf '%s\n' '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>' \
    '<groupId>socle.local</groupId><artifactId>keycloak-fetch</artifactId><version>1</version>' \
    '<packaging>pom</packaging></project>' >"$work/pom.xml"
  echo "image $IMAGE: fetching org.keycloak:keycloak-quarkus-dist:$VERSION with Maven"
  (cd "$work" && mvn -q -B dependency:copy \
    "-Dartifact=org.keycloak:keycloak-quarkus-dist:$VERSION:tar.gz" "-DoutputDirectory=$work/out") ||
    { echo "image $IMAGE: Maven could not fetch keycloak-quarkus-dist $VERSION" >&2; exit 1; }
  mv "$work/out/keycloak-quarkus-dist-$VERSION.tar.gz" "$dist.tmp" && mv "$dist.tmp" "$dist"
fi
ctx=$(mktemp -d)
cp "$here/Dockerfile.in" "$ctx/Dockerfile"
ln "$dist" "$ctx/keycloak-quarkus-dist.tar.gz" 2>/dev/null || cp "$dist" "$ctx/keycloak-quarkus-dist.tar.gz"
echo "image $IMAGE:$VERSION: building"
docker build -q -t "$IMAGE:$VERSION" -t "$IMAGE:latest" "$ctx" >/dev/null
rm -rf "$ctx"
echo "image $IMAGE:$VERSION: built"
