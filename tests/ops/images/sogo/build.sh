#!/usr/bin/env bash
# socle-test/sogo: the SAME Dockerfile the SOGo component builds on every host
# (templates/sogo/), here with Debian 12's own `sogo` package on the debootstrap base.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
export DOCKER_BUILDKIT=0
docker build -q -t socle-test/sogo \
  --build-arg BASE_IMAGE="${SOCLE_BASE_IMAGE:-socle-test/debian:12}" \
  --build-arg SOGO_SOURCE=debian \
  --build-arg SOGO_VERSION=5.8.0 \
  "$root/templates/sogo" >/dev/null
