#!/bin/sh
# Like the official image's healthcheck.sh, for the two checks Socle uses:
#   --connect              the server accepts a TCP connection
#   --innodb_initialized   InnoDB is up (queried as root, password from the environment)
# Exit 0 only when every check given passes.
set -eu
for check in "$@"; do
  case "$check" in
  --connect) mariadb-admin --protocol=tcp --host=127.0.0.1 --connect-timeout=5 ping >/dev/null 2>&1 ;;
  --innodb_initialized)
    [ "$(MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-}" mariadb -uroot -NBe \
      "select 1 from information_schema.ENGINES where ENGINE = 'InnoDB' and SUPPORT in ('YES', 'DEFAULT')")" = 1 ] ;;
  *) echo "healthcheck.sh: unknown check $check" >&2; exit 2 ;;
  esac
done
