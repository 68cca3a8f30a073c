#!/bin/sh
# Like the official image: first start sets the root password from
# MARIADB_ROOT_PASSWORD and creates MARIADB_DATABASE / MARIADB_USER if given.
set -eu
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
  : "${MARIADB_ROOT_PASSWORD:?MARIADB_ROOT_PASSWORD is required}"
  chown -R mysql:mysql /var/lib/mysql
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
  mariadbd --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  i=0
  until mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 60 ] || { echo "mariadb did not start" >&2; exit 1; }; sleep 0.5
  done
  # shellcheck disable=SC2016 # backticks are SQL quoting, not command substitution
  {
    printf "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';\n" "$MARIADB_ROOT_PASSWORD"
    printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n" "$MARIADB_ROOT_PASSWORD"
    if [ -n "${MARIADB_DATABASE:-}" ]; then printf 'CREATE DATABASE IF NOT EXISTS `%s`;\n' "$MARIADB_DATABASE"; fi
    if [ -n "${MARIADB_USER:-}" ]; then
      printf "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n" "$MARIADB_USER" "${MARIADB_PASSWORD:-}"
      if [ -n "${MARIADB_DATABASE:-}" ]; then printf 'GRANT ALL ON `%s`.* TO '"'%s'@'%%'"';\n' "$MARIADB_DATABASE" "$MARIADB_USER"; fi
    fi
    printf 'FLUSH PRIVILEGES;\n'
  } | mariadb --socket=/run/mysqld/init.sock -uroot
  kill "$pid"; wait "$pid" || true
fi
exec "$@"
