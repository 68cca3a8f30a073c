/**
 * The database initialiser scripts through `bash -n` and `shellcheck -s sh`
 * (they run under the images' /bin/sh), plus their exact security content.
 * tests/ops/db-init.test.ts runs them against real servers.
 * Missing shellcheck: skipped outside CI, a failure under CI=true.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderMariadbInit, renderPostgresInit } from "../../templates/db-init.js";
import { CI } from "./tools.js";

const HAVE_SHELLCHECK = spawnSync("shellcheck", ["--version"]).error === undefined;
if (!HAVE_SHELLCHECK && !CI)
  console.warn("skipping shellcheck: not installed (CI=true makes this a failure)");
const work = mkdtempSync(join(tmpdir(), "socle-dbinit-tpl-"));

const scripts = {
  postgres: renderPostgresInit({
    host: "postgres",
    database: "demo_peertube",
    user: "demo_peertube",
    extensions: ["unaccent", "pg_trgm", "uuid-ossp"],
  }),
  "postgres without extensions": renderPostgresInit({ host: "postgres", database: "demo_kc", user: "kc" }),
  mariadb: renderMariadbInit({ host: "mariadb", database: "demo_wp_club", user: "demo_wp_club" }),
};

describe("db init scripts", () => {
  for (const [title, text] of Object.entries(scripts)) {
    it(`${title}: bash -n and shellcheck -s sh`, () => {
      const file = join(work, `${title.replace(/\W+/g, "-")}.sh`);
      writeFileSync(file, text);
      const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
      expect(syntax.stderr).toBe("");
      expect(syntax.status).toBe(0);
      if (!HAVE_SHELLCHECK && !CI) return;
      const sc = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
      expect(sc.error).toBeUndefined();
      expect(sc.stdout).toBe("");
      expect(sc.status).toBe(0);
    });
  }

  it("postgres: quoted heredoc, password read by psql from the environment, CONNECT revoked", () => {
    const s = scripts.postgres;
    expect(s).toContain(
      "psql -v ON_ERROR_STOP=1 -q -h postgres -U postgres -d postgres <<'SQL'\n\\getenv pw DB_PASSWORD\n",
    );
    expect(s).toContain("ALTER ROLE :\"usr\" WITH LOGIN PASSWORD :'pw';");
    expect(s).toContain('REVOKE ALL ON DATABASE :"db" FROM PUBLIC;');
    expect(s).toContain(
      '\\connect :"db"\nCREATE EXTENSION IF NOT EXISTS "pg_trgm";\nCREATE EXTENSION IF NOT EXISTS "unaccent";\nCREATE EXTENSION IF NOT EXISTS "uuid-ossp";\n',
    );
    expect(scripts["postgres without extensions"]).not.toContain("\\connect");
  });

  it("mariadb: idempotent statements, alphanumeric password check", () => {
    const s = scripts.mariadb;
    expect(s).toContain(
      "CREATE DATABASE IF NOT EXISTS \\`demo_wp_club\\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n" +
        "CREATE USER IF NOT EXISTS 'demo_wp_club'@'%' IDENTIFIED BY '$DB_PASSWORD';\n" +
        "ALTER USER 'demo_wp_club'@'%' IDENTIFIED BY '$DB_PASSWORD';\n" +
        "GRANT ALL PRIVILEGES ON \\`demo_wp_club\\`.* TO 'demo_wp_club'@'%';\n",
    );
    expect(s).toContain('case "$DB_PASSWORD" in\n  *[!A-Za-z0-9]*)');
  });

  it("refuses names that would need quoting, with exact messages", () => {
    expect(() => renderPostgresInit({ host: "postgres", database: "Demo", user: "x" })).toThrow(
      'db init: database "Demo" must match ^[a-z_][a-z0-9_]{0,62}$',
    );
    expect(() => renderMariadbInit({ host: "mariadb", database: "x", user: "a'b" })).toThrow(
      `db init: user "a'b" must match ^[a-z_][a-z0-9_]{0,62}$`,
    );
    expect(() => renderPostgresInit({ host: "post gres", database: "x", user: "x" })).toThrow(
      'db init: host "post gres" is not a host name',
    );
    expect(() =>
      renderPostgresInit({ host: "postgres", database: "x", user: "x", extensions: ["a b"] }),
    ).toThrow('db init: extension "a b" must match ^[a-z_][a-z0-9_-]{0,62}$');
  });
});
