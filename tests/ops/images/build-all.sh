#!/usr/bin/env bash
# Builds every image the ops tests use, from the debootstrap base: each folder
# here with a Dockerfile becomes `socle-test/<folder>` (context: that folder);
# a folder with a build.sh runs it instead. Docker's layer cache makes re-runs fast.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DOCKER_BUILDKIT=0
bash "$here/build-base.sh"
for dir in "$here"/*/; do
  name=$(basename "$dir")
  if [ -f "$dir/build.sh" ]; then
    echo "image socle-test/$name: build.sh"
    bash "$dir/build.sh"
  elif [ -f "$dir/Dockerfile" ]; then
    echo "image socle-test/$name"
    docker build -q -t "socle-test/$name" "$dir" >/dev/null
  fi
done
