#!/bin/sh
# socle-sogo realm-sync: copies the tenant realm's enabled users (username, e-mail,
# name) into SOGo's user source table, so Keycloak stays the source of truth.
# Reads /etc/sogo/realm-sync.env (secret, uploaded by the component):
#   KC_TOKEN_URL KC_USERS_URL KC_CLIENT_ID KC_CLIENT_SECRET   a service-account client
#   with realm-management/view-users; PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD;
#   SOGO_USER_TABLE.
# Rows it manages have c_password '!' (no password: login is OIDC); rows added by hand
# (with a real password hash) are never touched. Users gone from the realm, disabled,
# or without e-mail are removed from the table (their SOGo data stays in the database).
set -eu
env_file=${REALM_SYNC_ENV:-/etc/sogo/realm-sync.env}
[ -r "$env_file" ] || { echo "realm-sync: $env_file missing, nothing to do"; exit 0; }
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
case "$SOGO_USER_TABLE" in *[!a-z0-9_]* | "") echo "realm-sync: bad SOGO_USER_TABLE" >&2; exit 1 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
token=$(curl -fsS --max-time 30 \
  --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$KC_CLIENT_ID" \
  --data-urlencode "client_secret=$KC_CLIENT_SECRET" \
  "$KC_TOKEN_URL" | jq -er .access_token)
first=0
page=${REALM_SYNC_PAGE:-200}
: >"$tmp/users.tsv"
while :; do
  curl -fsS --max-time 60 -H "Authorization: Bearer $token" \
    "$KC_USERS_URL?briefRepresentation=true&first=$first&max=$page" >"$tmp/page.json"
  jq -r '.[] | select(.enabled == true and (.email // "") != "" and (.username // "") != "")
    | [.username, (.email | ascii_downcase),
       ([.firstName, .lastName] | map(select(. != null and . != "")) | join(" "))
      ] | @tsv' "$tmp/page.json" >>"$tmp/users.tsv"
  n=$(jq length "$tmp/page.json")
  [ "$n" -lt "$page" ] && break
  first=$((first + page))
done
count=$(wc -l <"$tmp/users.tsv")
psql -v ON_ERROR_STOP=1 -q <<SQL
BEGIN;
CREATE TEMP TABLE realm_users (c_uid text, mail text, c_cn text) ON COMMIT DROP;
\copy realm_users FROM '$tmp/users.tsv'
INSERT INTO $SOGO_USER_TABLE (c_uid, c_name, c_password, c_cn, mail)
  SELECT DISTINCT ON (mail) c_uid, c_uid, '!', coalesce(nullif(c_cn, ''), c_uid), mail FROM realm_users
  WHERE mail NOT IN (SELECT mail FROM $SOGO_USER_TABLE WHERE c_password <> '!' AND mail IS NOT NULL)
  ORDER BY mail, c_uid
  ON CONFLICT (c_uid) DO UPDATE SET c_cn = EXCLUDED.c_cn, mail = EXCLUDED.mail
  WHERE $SOGO_USER_TABLE.c_password = '!';
DELETE FROM $SOGO_USER_TABLE WHERE c_password = '!' AND c_uid NOT IN (SELECT c_uid FROM realm_users);
COMMIT;
SQL
echo "realm-sync: $count users from the realm"
