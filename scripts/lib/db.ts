/**
 * Database engines: the shell scripts run INSIDE the database container with
 * `docker exec <c> sh -c <script> sh <args…>`, so `$POSTGRES_USER` and
 * `$MARIADB_ROOT_PASSWORD` expand there and no password is on a host command
 * line; the MariaDB clients read the root password from `MYSQL_PWD` (set from
 * `$MARIADB_ROOT_PASSWORD`), never from their own argv, which every process of
 * the container could read in /proc. Names arrive as positional parameters; SQL text is built only from
 * names that passed the label contract's pattern (`[A-Za-z0-9_][A-Za-z0-9_-]*`)
 * or quoted with `quoteIdent`.
 */
import type { DumpSpec } from "../../components/labels.js";

export type Engine = DumpSpec["engine"];

/** Puts the root password where the MariaDB clients read it, never in their argv. */
const MARIADB_PWD = 'export MYSQL_PWD="$MARIADB_ROOT_PASSWORD";';

/** Dump to stdout (the contract's exact commands). `$1` = database. */
export const DUMP_SCRIPT: Record<Engine, string> = {
  postgres: 'exec pg_dump -Fc -U "$POSTGRES_USER" "$1"',
  mariadb: `${MARIADB_PWD} exec mariadb-dump --single-transaction -uroot "$1"`,
};

/** Plain SQL (for export-site: a stock WordPress / MySQL imports it). `$1` = database. */
export const MARIADB_PLAIN_DUMP = `${MARIADB_PWD} exec mariadb-dump --single-transaction --no-tablespaces --skip-comments --default-character-set=utf8mb4 -uroot "$1"`;

/** Runs one SQL text (`$2`) in database `$1`, tab-separated rows without headers. */
export const QUERY_SCRIPT: Record<Engine, string> = {
  postgres: 'exec psql -X -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$1" -At -F "\t" -c "$2"',
  mariadb: `${MARIADB_PWD} exec mariadb -uroot -N -B -D "$1" -e "$2"`,
};

/**
 * Is the final server answering? Over TCP on purpose: the official images'
 * first-start servers listen only on the socket (no args).
 */
export const PING_SCRIPT: Record<Engine, string> = {
  postgres: 'exec pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER"',
  mariadb: `${MARIADB_PWD} exec mariadb-admin -h 127.0.0.1 --protocol=tcp -uroot ping --silent`,
};

export function quoteIdent(engine: Engine, name: string): string {
  return engine === "postgres" ? `"${name.replace(/"/g, '""')}"` : `\`${name.replace(/`/g, "``")}\``;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** One query giving "<table>\t<rows>" for every base table (postgres: schema.table). */
export function rowCountSql(engine: Engine, database: string, mariadbTables?: string[]): string {
  if (engine === "postgres") {
    return [
      "SELECT table_schema || '.' || table_name,",
      "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text",
      "FROM information_schema.tables WHERE table_type = 'BASE TABLE'",
      "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    ].join(" ");
  }
  const tables = mariadbTables ?? [];
  if (tables.length === 0) return "SELECT 1 FROM DUAL WHERE FALSE";
  return tables
    .map(
      (t) =>
        `SELECT ${quoteLiteral(t)}, COUNT(*) FROM ${quoteIdent("mariadb", database)}.${quoteIdent("mariadb", t)}`,
    )
    .join(" UNION ALL ");
}

export function mariadbTablesSql(database: string): string {
  return `SELECT table_name FROM information_schema.tables WHERE table_schema = ${quoteLiteral(database)} AND table_type = 'BASE TABLE' ORDER BY 1`;
}

/** Owner / encoding facts recorded at backup, used to recreate the database. */
export function databaseInfoSql(engine: Engine, database: string): string {
  return engine === "postgres"
    ? `SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = ${quoteLiteral(database)}`
    : `SELECT default_character_set_name, default_collation_name FROM information_schema.schemata WHERE schema_name = ${quoteLiteral(database)}`;
}

export interface DatabaseInfo {
  owner?: string;
  encoding?: string;
  collate?: string;
  ctype?: string;
}

export function parseDatabaseInfo(engine: Engine, out: string): DatabaseInfo | undefined {
  const line = out.split("\n").find((l) => l.trim().length > 0);
  if (!line) return undefined;
  const f = line.split("\t");
  return engine === "postgres"
    ? { owner: f[0]!, encoding: f[1]!, collate: f[2]!, ctype: f[3]! }
    : { encoding: f[0]!, collate: f[1]! };
}

export function parseRowCounts(out: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const [table, n] = line.split("\t");
    counts[table!] = Number(n);
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * SQL statements that drop and recreate a database with its recorded owner
 * and encoding (run against the maintenance database, one per statement).
 */
export function recreateSql(engine: Engine, database: string, info: DatabaseInfo = {}): string[] {
  const db = quoteIdent(engine, database);
  if (engine === "postgres") {
    const stmts = [
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(database)} AND pid <> pg_backend_pid()`,
      `DROP DATABASE IF EXISTS ${db}`,
    ];
    let create = `CREATE DATABASE ${db} TEMPLATE template0`;
    if (info.owner) {
      stmts.push(
        `DO $socle$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(info.owner)}) THEN CREATE ROLE ${quoteIdent("postgres", info.owner)}; END IF; END $socle$`,
      );
      create += ` OWNER ${quoteIdent("postgres", info.owner)}`;
    }
    if (info.encoding) create += ` ENCODING ${quoteLiteral(info.encoding)}`;
    if (info.collate) create += ` LC_COLLATE ${quoteLiteral(info.collate)}`;
    if (info.ctype) create += ` LC_CTYPE ${quoteLiteral(info.ctype)}`;
    stmts.push(create);
    return stmts;
  }
  let create = `CREATE DATABASE ${db}`;
  if (info.encoding) create += ` CHARACTER SET ${info.encoding.replace(/[^A-Za-z0-9_]/g, "")}`;
  if (info.collate) create += ` COLLATE ${info.collate.replace(/[^A-Za-z0-9_]/g, "")}`;
  return [`DROP DATABASE IF EXISTS ${db}`, create];
}

/** Runs each `$2…` statement against the maintenance database (`$1` unused). */
export const ADMIN_SCRIPT: Record<Engine, string> = {
  postgres:
    'shift; for s in "$@"; do psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "$s" >/dev/null || exit 1; done',
  mariadb: `${MARIADB_PWD} shift; for s in "$@"; do mariadb -uroot -e "$s" || exit 1; done`,
};

/** Loads a dump from stdin into database `$1`. */
export const LOAD_SCRIPT: Record<Engine, string> = {
  postgres: 'exec pg_restore -U "$POSTGRES_USER" -d "$1" --exit-on-error',
  mariadb: `${MARIADB_PWD} exec mariadb -uroot "$1"`,
};
