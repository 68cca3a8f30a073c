#!/bin/sh
# socle-sogo: the image's entrypoint.
#   sogod (default)  the SOGo web/DAV/ActiveSync server on 0.0.0.0:20000, logs on stdout
#   web              the front on :20080 (Caddy): SOGo's static files, `/` -> `/SOGo`, the
#                    x-webobjects-* headers SOGo needs behind a proxy, everything else to
#                    SOGO_UPSTREAM (default sogo:20000)
#   cron             SOGo's periodic jobs (/etc/cron.d/socle-sogo), logs on stdout; first
#                    copies the realm's users into the user source (realm-sync.sh)
#   tool ARGS…       sogo-tool ARGS… as the sogo user (e.g. `tool restore -F ALL /var/lib/sogo/backups alice`)
#   backup [DIR]     `sogo-tool backup DIR ALL` (default /var/lib/sogo/backups): one file per user
#                    with data; succeeds with nothing to do while no user has any (sogo-tool
#                    itself fails then). Needs the PG* variables, like SOGO_USER_TABLE.
#   health           the healthcheck of whichever mode this container runs
#   anything else    exec'd as is
# SOGO_WAIT_FOR="host:port …" (sogod, cron): wait up to 120 s for these to accept TCP
# connections first, so sogod creates its tables on a database that is up (it only
# does so when it starts).
# SOGO_USER_TABLE (sogod): create this user-source table if missing, through libpq's
# PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD (SOGo creates its own tables, not this one).
set -eu
conf=/etc/sogo/sogo.conf
mode=${1:-sogod}
[ "$#" -gt 0 ] && shift

if [ "$mode" = health ]; then
  case "$(cat /run/socle-sogo.mode 2>/dev/null || true)" in
  sogod) exec curl -fsS -o /dev/null http://127.0.0.1:20000/SOGo/ ;;
  web) exec curl -fsS -o /dev/null http://127.0.0.1:20080/SOGo.woa/WebServerResources/css/styles.css ;;
  cron) exec pidof cron ;;
  *) exit 0 ;;
  esac
fi

install -d -o sogo -g sogo -m 0750 /var/lib/sogo /var/lib/sogo/backups /var/spool/sogo /run/sogo
for f in "$conf" /etc/sogo/sieve.creds /etc/sogo/realm-sync.env; do
  # Secrets (database, OIDC client, Sieve admin): readable by sogo only.
  if [ -f "$f" ]; then
    chown root:sogo "$f" 2>/dev/null || true
    chmod 0640 "$f" 2>/dev/null || true
  fi
done

wait_for() {
  for hp in ${SOGO_WAIT_FOR:-}; do
    i=0
    until timeout 2 bash -c "exec 3<>/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null; do
      i=$((i + 1))
      [ "$i" -lt 60 ] || { echo "socle-sogo: $hp did not answer" >&2; exit 1; }
      sleep 2
    done
  done
}

case "$mode" in
sogod)
  [ -f "$conf" ] || { echo "socle-sogo: $conf is missing" >&2; exit 1; }
  wait_for
  if [ -n "${SOGO_USER_TABLE:-}" ]; then
    case "$SOGO_USER_TABLE" in *[!a-z0-9_]*) echo "socle-sogo: bad SOGO_USER_TABLE" >&2; exit 1 ;; esac
    psql -v ON_ERROR_STOP=1 -q -c "CREATE TABLE IF NOT EXISTS $SOGO_USER_TABLE (
      c_uid varchar(255) PRIMARY KEY, c_name varchar(255) NOT NULL, c_password varchar(255) NOT NULL,
      c_cn varchar(255), mail varchar(255) UNIQUE)"
  fi
  echo sogod >/run/socle-sogo.mode
  exec runuser -u sogo -- /usr/sbin/sogod -WONoDetach YES -WOPidFile /run/sogo/sogo.pid "$@"
  ;;
web)
  echo web >/run/socle-sogo.mode
  exec runuser -u caddy -- caddy run --adapter caddyfile --config /etc/socle/sogo-web.Caddyfile
  ;;
cron)
  wait_for
  /usr/local/lib/socle/realm-sync.sh || echo "socle-sogo: realm-sync failed, cron retries every 5 minutes" >&2
  echo cron >/run/socle-sogo.mode
  exec cron -f
  ;;
backup)
  dir=${1:-/var/lib/sogo/backups}
  users=$(psql -tA -v ON_ERROR_STOP=1 -c "SELECT count(DISTINCT c_path2) FROM sogo_folder_info")
  if [ "$users" = 0 ]; then
    echo "socle-sogo: no user data to back up yet"
    exit 0
  fi
  exec runuser -u sogo -- sogo-tool backup "$dir" ALL
  ;;
tool)
  exec runuser -u sogo -- sogo-tool "$@"
  ;;
*)
  exec "$mode" "$@"
  ;;
esac
