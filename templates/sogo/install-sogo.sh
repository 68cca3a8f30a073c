#!/bin/sh
# Installs SOGo from the source chosen by SOGO_SOURCE (see the Dockerfile), then
# records what was installed in /etc/socle-sogo.env (read by the entrypoint and tests).
set -eu
: "${SOGO_SOURCE:=alinto}"
: "${SOGO_VERSION:=}"
apt-get update -q
apt-get install -y -q --no-install-recommends ca-certificates curl cron tzdata caddy postgresql-client jq
pin() {
  if [ -n "$SOGO_VERSION" ]; then printf '%s=%s*' "$1" "$SOGO_VERSION"; else printf '%s' "$1"; fi
}
case "$SOGO_SOURCE" in
alinto)
  apt-get install -y -q --no-install-recommends gnupg
  curl -fsSL --retry 3 "https://keys.openpgp.org/vks/v1/by-fingerprint/${ALINTO_KEY_FINGERPRINT}" |
    gpg --dearmor >/usr/share/keyrings/sogo-alinto.gpg
  printf 'deb [signed-by=/usr/share/keyrings/sogo-alinto.gpg] %s bookworm bookworm\n' "$ALINTO_REPOSITORY" \
    >/etc/apt/sources.list.d/sogo-alinto.list
  apt-get update -q
  apt-get install -y -q --no-install-recommends "$(pin sogo)" "$(pin sogo-activesync)" sope4.9-gdl1-postgresql
  ;;
debian)
  apt-get install -y -q --no-install-recommends "$(pin sogo)" "$(pin sogo-activesync)"
  ;;
*)
  echo "SOGO_SOURCE must be alinto or debian, got \"$SOGO_SOURCE\"" >&2
  exit 1
  ;;
esac
installed=$(dpkg-query -W -f '${Version}' sogo)
case "$installed" in
"$SOGO_VERSION"*) ;;
*)
  echo "sogo $installed installed, $SOGO_VERSION requested" >&2
  exit 1
  ;;
esac
if [ "$SOGO_SOURCE" = alinto ] && ! dpkg --compare-versions "$installed" ge 5.12; then
  echo "sogo $installed from Alinto has no OpenID Connect (needs 5.12 or newer)" >&2
  exit 1
fi
# The package may ship an example config and start scripts; Socle uploads its own sogo.conf.
install -d -o sogo -g sogo -m 0750 /var/lib/sogo /var/lib/sogo/backups /var/spool/sogo /run/sogo
printf 'SOGO_SOURCE=%s\nSOGO_PACKAGE_VERSION=%s\n' "$SOGO_SOURCE" "$installed" >/etc/socle-sogo.env
apt-get clean
rm -rf /var/lib/apt/lists/*
