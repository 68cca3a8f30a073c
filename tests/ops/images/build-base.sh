#!/usr/bin/env bash
# Builds the Debian base image (12 by default; SOCLE_BASE_SUITE=trixie
# SOCLE_BASE_IMAGE=socle-test/debian:13 for Debian 13) the real (ops) tests use: debootstrap from the
# configured Debian mirror, then `docker import`. No image registry is needed.
# Cached: does nothing when the image is already in the engine.
set -euo pipefail
IMAGE=${SOCLE_BASE_IMAGE:-socle-test/debian:12}
SUITE=${SOCLE_BASE_SUITE:-bookworm}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE: cached"
  exit 0
fi
MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/socle-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image $IMAGE: debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >/tmp/socle-debootstrap.log 2>&1 || {
  tail -20 /tmp/socle-debootstrap.log >&2
  exit 1
}
# Same sources as the host, so `apt-get install` inside images reaches the mirror.
printf 'deb %s %s main\ndeb %s %s-updates main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" >"$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' -c 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
echo "base image $IMAGE: built"
