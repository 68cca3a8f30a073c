/**
 * Idempotent database initialisers, run by the one-shot container of a
 * `PostgresDatabase` / `MariadbDatabase` (same image as the server, on
 * `socle-backend`). Each run: wait for the server, create the user if missing
 * and (re)set its password, create the database if missing, owned by / granted
 * to that user. Running it twice changes nothing but the password hash.
 *
 * Secrets never appear in the script, its command line or labels: the
 * container's environment carries them (`PGPASSWORD` + `DB_PASSWORD` for
 * PostgreSQL, read by psql's `\getenv`; `MYSQL_PWD` + `DB_PASSWORD` for MariaDB,
 * fed to the client on stdin). Names are validated identifiers, so the only
 * quoting needed is SQL identifier quoting.
 */
import { SQL_IDENTIFIER_RE } from "./checks.js";

export interface DbInitArgs {
  /** Server host name on `socle-backend` (`postgres`, `mariadb`). */
  host: string;
  database: string;
  user: string;
}

export interface PostgresInitArgs extends DbInitArgs {
  /** Extensions created in the database (`CREATE EXTENSION IF NOT EXISTS`). */
  extensions?: string[];
}

/** Database, user and extension names: lower-case SQL identifiers, never quoted-only (templates/checks.ts). */
const IDENT_RE = SQL_IDENTIFIER_RE;
/** Extension names may hold a dash (`uuid-ossp`); they are always double-quoted. */
const EXT_RE = /^[a-z_][a-z0-9_-]{0,62}$/;
const HOST_RE = /^[a-z0-9][a-z0-9.-]*$/;

export function validateDbInitArgs(args: PostgresInitArgs): void {
  if (!HOST_RE.test(args.host)) throw new Error(`db init: host "${args.host}" is not a host name`);
  if (!IDENT_RE.test(args.database)) {
    throw new Error(`db init: database "${args.database}" must match ${IDENT_RE.source}`);
  }
  if (!IDENT_RE.test(args.user))
    throw new Error(`db init: user "${args.user}" must match ${IDENT_RE.source}`);
  for (const e of args.extensions ?? []) {
    if (!EXT_RE.test(e)) throw new Error(`db init: extension "${e}" must match ${EXT_RE.source}`);
  }
}

/** Shell lines that wait up to two minutes for `probe` to succeed. */
function waitFor(probe: string, what: string): string[] {
  return [
    "i=0",
    `until ${probe}; do`,
    "  i=$((i + 1))",
    '  if [ "$i" -ge 60 ]; then',
    `    echo "socle db init: ${what} not reachable after 120 s" >&2`,
    "    exit 1",
    "  fi",
    "  sleep 2",
    "done",
  ];
}

const HEADER = ["#!/bin/sh", "# Rendered by Socle (templates/db-init.ts). Idempotent.", "set -eu"];

/**
 * PostgreSQL: role with LOGIN and the given password, database owned by it,
 * CONNECT revoked from PUBLIC (other tenants' roles cannot even connect),
 * extensions created as the superuser inside the database.
 */
export function renderPostgresInit(args: PostgresInitArgs): string {
  validateDbInitArgs(args);
  const { host, database, user } = args;
  const extensions = [...new Set(args.extensions ?? [])].sort();
  const lines = [
    ...HEADER,
    ': "${PGPASSWORD:?PGPASSWORD (superuser password) is required}"',
    ': "${DB_PASSWORD:?DB_PASSWORD (the user password) is required}"',
    ...waitFor(`pg_isready -q -h ${host} -U postgres`, `PostgreSQL at ${host}`),
    `psql -v ON_ERROR_STOP=1 -q -h ${host} -U postgres -d postgres <<'SQL'`,
    "\\getenv pw DB_PASSWORD",
    `\\set db ${database}`,
    `\\set usr ${user}`,
    "SELECT format('CREATE ROLE %I LOGIN', :'usr')",
    "  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'usr') \\gexec",
    "ALTER ROLE :\"usr\" WITH LOGIN PASSWORD :'pw';",
    "SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'usr')",
    "  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec",
    'ALTER DATABASE :"db" OWNER TO :"usr";',
    'REVOKE ALL ON DATABASE :"db" FROM PUBLIC;',
    'GRANT ALL ON DATABASE :"db" TO :"usr";',
  ];
  if (extensions.length > 0) {
    lines.push('\\connect :"db"');
    for (const e of extensions) lines.push(`CREATE EXTENSION IF NOT EXISTS "${e}";`);
  }
  lines.push("SQL", `echo "socle db init: postgres database ${database} ready for ${user}"`);
  return lines.join("\n") + "\n";
}

/**
 * MariaDB: database (utf8mb4), user `'<user>'@'%'` created if missing and its
 * password (re)set, all privileges on that database only.
 */
export function renderMariadbInit(args: DbInitArgs): string {
  validateDbInitArgs(args);
  const { host, database, user } = args;
  const lines = [
    ...HEADER,
    ': "${MYSQL_PWD:?MYSQL_PWD (root password) is required}"',
    ': "${DB_PASSWORD:?DB_PASSWORD (the user password) is required}"',
    'case "$DB_PASSWORD" in',
    "  *[!A-Za-z0-9]*)",
    '    echo "socle db init: DB_PASSWORD must be alphanumeric" >&2',
    "    exit 2",
    "    ;;",
    "esac",
    ...waitFor(`mariadb-admin ping -h ${host} -uroot --silent >/dev/null 2>&1`, `MariaDB at ${host}`),
    `mariadb -h ${host} -uroot <<SQL`,
    `CREATE DATABASE IF NOT EXISTS \\\`${database}\\\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
    `CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '$DB_PASSWORD';`,
    `ALTER USER '${user}'@'%' IDENTIFIED BY '$DB_PASSWORD';`,
    `GRANT ALL PRIVILEGES ON \\\`${database}\\\`.* TO '${user}'@'%';`,
    "SQL",
    `echo "socle db init: mariadb database ${database} ready for ${user}"`,
  ];
  return lines.join("\n") + "\n";
}
