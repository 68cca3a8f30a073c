import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ADMIN_SCRIPT,
  DUMP_SCRIPT,
  LOAD_SCRIPT,
  MARIADB_PLAIN_DUMP,
  PING_SCRIPT,
  QUERY_SCRIPT,
  parseDatabaseInfo,
  parseRowCounts,
  quoteIdent,
  quoteLiteral,
  recreateSql,
  rowCountSql,
} from "../../scripts/lib/db.js";

describe("database scripts and SQL", () => {
  it("dumps with the contract's exact commands, variables expanded inside the container", () => {
    expect(DUMP_SCRIPT.postgres).toBe('exec pg_dump -Fc -U "$POSTGRES_USER" "$1"');
    expect(DUMP_SCRIPT.mariadb).toBe(
      'export MYSQL_PWD="$MARIADB_ROOT_PASSWORD"; exec mariadb-dump --single-transaction -uroot "$1"',
    );
  });

  it("quotes identifiers and literals", () => {
    expect(quoteIdent("postgres", 'a"b')).toBe('"a""b"');
    expect(quoteIdent("mariadb", "a`b")).toBe("`a``b`");
    expect(quoteLiteral("l'été\\")).toBe("'l''été\\\\'");
  });

  it("recreates a postgres database with its owner and encoding", () => {
    expect(
      recreateSql("postgres", "nextcloud", {
        owner: "nc_user",
        encoding: "UTF8",
        collate: "C.UTF-8",
        ctype: "C.UTF-8",
      }),
    ).toEqual([
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'nextcloud' AND pid <> pg_backend_pid()",
      'DROP DATABASE IF EXISTS "nextcloud"',
      `DO $socle$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nc_user') THEN CREATE ROLE "nc_user"; END IF; END $socle$`,
      `CREATE DATABASE "nextcloud" TEMPLATE template0 OWNER "nc_user" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
    ]);
  });

  it("recreates a mariadb database with its character set", () => {
    expect(recreateSql("mariadb", "wp", { encoding: "utf8mb4", collate: "utf8mb4_general_ci" })).toEqual([
      "DROP DATABASE IF EXISTS `wp`",
      "CREATE DATABASE `wp` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
    ]);
  });

  it("counts rows of every table in one query", () => {
    expect(rowCountSql("mariadb", "wp", ["wp_posts", "wp_options"])).toBe(
      "SELECT 'wp_posts', COUNT(*) FROM `wp`.`wp_posts` UNION ALL SELECT 'wp_options', COUNT(*) FROM `wp`.`wp_options`",
    );
    expect(rowCountSql("mariadb", "wp", [])).toBe("SELECT 1 FROM DUAL WHERE FALSE");
    expect(rowCountSql("postgres", "x")).toContain(
      "query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name)",
    );
    expect(parseRowCounts("public.b\t2\npublic.a\t10\n")).toEqual({ "public.a": 10, "public.b": 2 });
  });

  it("parses database facts", () => {
    expect(parseDatabaseInfo("postgres", "nc_user\tUTF8\tC.UTF-8\tC.UTF-8\n")).toEqual({
      owner: "nc_user",
      encoding: "UTF8",
      collate: "C.UTF-8",
      ctype: "C.UTF-8",
    });
    expect(parseDatabaseInfo("mariadb", "utf8mb4\tutf8mb4_general_ci\n")).toEqual({
      encoding: "utf8mb4",
      collate: "utf8mb4_general_ci",
    });
    expect(parseDatabaseInfo("postgres", "")).toBeUndefined();
  });
});

describe("no database client's argv carries a password (issue 12, finding 13)", () => {
  const SECRET = "s3cret-root-pw";
  const clients = ["mariadb", "mariadb-dump", "mariadb-admin", "pg_dump", "pg_restore", "psql", "pg_isready"];
  // Fake clients: each logs its argv (one a line) and the MYSQL_PWD it received.
  const bin = mkdtempSync(path.join(tmpdir(), "socle-dbc-"));
  for (const c of clients) {
    writeFileSync(
      path.join(bin, c),
      `#!/bin/sh\nf=$(mktemp "${bin}/log.XXXXXX")\n{ echo "${c}"; printf 'MYSQL_PWD=%s\\n' "\${MYSQL_PWD-}"; printf '%s\\n' "$@"; } >"$f"\n`,
    );
    chmodSync(path.join(bin, c), 0o755);
  }
  const scripts: [string, string][] = [
    ...[DUMP_SCRIPT, QUERY_SCRIPT, PING_SCRIPT, ADMIN_SCRIPT, LOAD_SCRIPT].flatMap((m) =>
      Object.entries(m).map(([engine, script]) => [`${engine}: ${script}`, script] as [string, string]),
    ),
    ["MARIADB_PLAIN_DUMP", MARIADB_PLAIN_DUMP],
  ];

  it.each(scripts)("%s", (_name, script) => {
    for (const f of readdirSync(bin).filter((n) => n.startsWith("log.")))
      writeFileSync(path.join(bin, f), "");
    const before = new Set(readdirSync(bin));
    const r = spawnSync("/bin/sh", ["-c", script, "sh", "db", "SELECT 1"], {
      input: "",
      encoding: "utf8",
      env: { PATH: `${bin}:/usr/bin:/bin`, MARIADB_ROOT_PASSWORD: SECRET, POSTGRES_USER: "admin" },
    });
    expect(r.status).toBe(0);
    const logs = readdirSync(bin)
      .filter((n) => n.startsWith("log.") && !before.has(n))
      .map((n) => readFileSync(path.join(bin, n), "utf8").trimEnd().split("\n"));
    expect(logs.length).toBeGreaterThan(0);
    for (const [client, pwd, ...argv] of logs) {
      expect(argv.join(" ")).not.toContain(SECRET);
      expect(argv.some((a) => a.startsWith("-p") || a.startsWith("--password"))).toBe(false);
      expect(pwd).toBe(client!.startsWith("mariadb") ? `MYSQL_PWD=${SECRET}` : "MYSQL_PWD=");
    }
  });
});
