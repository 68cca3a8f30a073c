#!/usr/bin/env bash
# Builds socle-test/update-app at three versions: 31.0.11 and 32.0.3 work,
# 33.0.0 is deliberately broken (fails its health check after migrating the data).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DOCKER_BUILDKIT=0
for spec in 31.0.11:0 32.0.3:0 33.0.0:1; do
  version=${spec%%:*}
  broken=${spec##*:}
  docker build -q --build-arg "VERSION=$version" --build-arg "BROKEN=$broken" \
    -t "socle-test/update-app:$version" "$here" >/dev/null
  echo "image socle-test/update-app:$version (broken=$broken)"
done
