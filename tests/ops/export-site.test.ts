/**
 * export-site for real: a stand-in WordPress site container (no WordPress
 * image here) labelled like WordPressSite declares it, its database on a
 * separate MariaDB container (like socle-mariadb). The archive is unpacked
 * with the real `tar`, its database.sql imported into a FRESH MariaDB (as a
 * new host would), and wp-content compared file by file.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as exportSite } from "../../scripts/export-site.js";
import {
  ADMIN_SCRIPT,
  DUMP_SCRIPT,
  LOAD_SCRIPT,
  MARIADB_PLAIN_DUMP,
  PING_SCRIPT,
  QUERY_SCRIPT,
} from "../../scripts/lib/db.js";
import { createOutput } from "../../scripts/lib/output.js";
import {
  IMAGES,
  SOCLE_BIN,
  cleanup,
  createVolume,
  ensureImages,
  execIn,
  mariadb,
  runContainer,
  sh,
  tempDir,
  toolsReady,
  waitMariadb,
  withEnv,
} from "./fixtures/backup-env.js";

const SUITE = "export-site";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });

describe.skipIf(!ready)("socle export-site, for real", () => {
  const dir = tempDir("socle-export-");
  const archive = path.join(dir, "club-echecs.tar.gz");

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    createVolume("ex-assos-club-echecs-html", SUITE);
    runContainer({
      name: "ex-socle-mariadb",
      image: IMAGES.mariadb,
      suite: SUITE,
      labels: { tenant: "_platform", service: "mariadb", role: "db" },
      env: { MARIADB_ROOT_PASSWORD: "root-pw", MARIADB_DATABASE: "demo_assos_club_echecs" },
    });
    runContainer({
      name: "ex-fresh-mariadb",
      image: IMAGES.mariadb,
      suite: SUITE,
      env: { MARIADB_ROOT_PASSWORD: "fresh-pw", MARIADB_DATABASE: "imported" },
    });
    runContainer({
      name: "ex-assos-club-echecs",
      image: IMAGES.app,
      suite: SUITE,
      labels: {
        tenant: "demo",
        service: "wordpress-club-echecs",
        role: "app",
        volumes: ["ex-assos-club-echecs-html"],
        dump: { engine: "mariadb", database: "demo_assos_club_echecs" },
        dumpContainer: "ex-socle-mariadb",
      },
      volumes: { "ex-assos-club-echecs-html": "/var/www/html" },
    });
    await waitMariadb("ex-socle-mariadb");
    await waitMariadb("ex-fresh-mariadb");
    mariadb(
      "ex-socle-mariadb",
      "demo_assos_club_echecs",
      "CREATE TABLE wp_options (option_id BIGINT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT) DEFAULT CHARSET=utf8mb4; " +
        "INSERT INTO wp_options VALUES (1, 'siteurl', 'https://club-echecs.assos.demo.localhost'), (2, 'blogname', 'Club d''échecs'); " +
        "CREATE TABLE wp_posts (ID BIGINT AUTO_INCREMENT PRIMARY KEY, post_title TEXT, post_content LONGTEXT) DEFAULT CHARSET=utf8mb4; " +
        "INSERT INTO wp_posts (post_title, post_content) SELECT CONCAT('Partie ', seq), REPEAT('e4 e5 ', 50) FROM seq_1_to_2000",
    );
    execIn(
      "ex-assos-club-echecs",
      "cd /var/www/html && echo '<?php // core' > index.php && echo 'define(\"DB_NAME\", \"x\");' > wp-config.php && " +
        "mkdir -p wp-content/themes/club wp-content/plugins/openid-connect-generic wp-content/uploads/2025/03 && " +
        "echo '/* Theme Name: Club */' > wp-content/themes/club/style.css && echo '<?php' > wp-content/plugins/openid-connect-generic/plugin.php && " +
        "head -c 500000 /dev/urandom > 'wp-content/uploads/2025/03/tournoi d été.jpg'",
    );
  });

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  it("--dry-run prints the plan and writes nothing", async () => {
    const r = await exportSite({
      tenant: "demo",
      site: "club-echecs",
      out: archive,
      dryRun: true,
      output: out,
    });
    expect(r.exitCode).toBe(0);
    expect(r.plan).toEqual([
      "database demo_assos_club_echecs: mariadb-dump in ex-socle-mariadb",
      "wp-content from volume ex-assos-club-echecs-html (container ex-assos-club-echecs)",
      `archive ${archive}`,
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("writes one archive: database.sql, wp-content/, README.txt — importable into a fresh MariaDB", async () => {
    const r = await withEnv({ SOCLE_HELPER_IMAGE: IMAGES.helper }, () =>
      exportSite({ tenant: "demo", site: "club-echecs", out: archive, output: out }),
    );
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.tablePrefix).toBe("wp_");
    expect(readdirSync(dir)).toEqual(["club-echecs.tar.gz"]);
    const list = sh("tar", ["-tzf", archive]).split("\n").filter(Boolean).sort();
    expect(list).toEqual([
      "README.txt",
      "database.sql",
      "wp-content/",
      "wp-content/plugins/",
      "wp-content/plugins/openid-connect-generic/",
      "wp-content/plugins/openid-connect-generic/plugin.php",
      "wp-content/themes/",
      "wp-content/themes/club/",
      "wp-content/themes/club/style.css",
      "wp-content/uploads/",
      "wp-content/uploads/2025/",
      "wp-content/uploads/2025/03/",
      "wp-content/uploads/2025/03/tournoi d été.jpg",
    ]);
    const x = tempDir("socle-export-x-");
    sh("tar", ["-xzf", archive, "-C", x]);
    const sql = readFileSync(path.join(x, "database.sql"), "utf8");
    expect(sql).not.toMatch(/enable the sandbox mode/);
    expect(sql).toContain("CREATE TABLE `wp_posts`");
    expect(readFileSync(path.join(x, "README.txt"), "utf8")).toContain("$table_prefix = 'wp_';");
    // Import into a fresh server, as the association's new host would.
    const imp = spawnSync(
      "docker",
      ["exec", "-i", "ex-fresh-mariadb", "sh", "-c", 'mariadb -uroot -p"$MARIADB_ROOT_PASSWORD" imported'],
      { input: sql },
    );
    expect(imp.status).toBe(0);
    expect(mariadb("ex-fresh-mariadb", "imported", "SELECT COUNT(*) FROM wp_posts")).toBe("2000");
    expect(
      mariadb(
        "ex-fresh-mariadb",
        "imported",
        "SELECT option_value FROM wp_options WHERE option_name = 'blogname'",
      ),
    ).toBe("Club d'échecs");
    const inSite = execIn(
      "ex-assos-club-echecs",
      "cd /var/www/html && find wp-content -type f | sort | xargs -d '\\n' sha256sum",
    );
    const inArchive = sh("sh", [
      "-c",
      `cd ${x} && find wp-content -type f | sort | xargs -d '\\n' sha256sum`,
    ]);
    expect(inArchive).toBe(inSite);
  });

  it("the CLI: --help describes it, a missing site is a clear failure", () => {
    const help = spawnSync(process.execPath, [SOCLE_BIN, "export-site", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain(
      "Usage: socle export-site --tenant <slug> --site <slug> --out <file.tar.gz>",
    );
    const r = spawnSync(
      process.execPath,
      [
        SOCLE_BIN,
        "export-site",
        "--tenant",
        "demo",
        "--site",
        "nope",
        "--out",
        path.join(dir, "x.tgz"),
        "--json",
      ],
      {
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout.trim()).errors).toEqual([
      "no container labelled socle.tenant=demo, socle.service=wordpress-nope",
    ]);
  });

  it("the MariaDB clients read the root password from MYSQL_PWD, never from their argv (real server)", () => {
    const server = "ex-socle-mariadb";
    // A shim in front of each client logs its argv, then runs the real one.
    execIn(server, "mkdir -p /tmp/shim && : >/tmp/shim/argv");
    for (const c of ["mariadb", "mariadb-dump", "mariadb-admin"]) {
      execIn(
        server,
        `cat >/tmp/shim/${c} && chmod +x /tmp/shim/${c}`,
        `#!/bin/sh\nfor a in "$0" "$@"; do printf '%s\\n' "$a"; done >>/tmp/shim/argv\nexec /usr/bin/${c} "$@"\n`,
      );
    }
    const db = "demo_assos_club_echecs";
    for (const [script, args, input] of [
      [DUMP_SCRIPT.mariadb, [db], ""],
      [MARIADB_PLAIN_DUMP, [db], ""],
      [QUERY_SCRIPT.mariadb, [db, "SELECT COUNT(*) FROM wp_posts"], ""],
      [PING_SCRIPT.mariadb, [], ""],
      [ADMIN_SCRIPT.mariadb, [db, "SELECT 1"], ""],
      [LOAD_SCRIPT.mariadb, [db], "SELECT 1;"],
    ] as const) {
      const r = spawnSync(
        "docker",
        [
          "exec",
          "-i",
          "-e",
          "PATH=/tmp/shim:/usr/sbin:/usr/bin:/sbin:/bin",
          server,
          "sh",
          "-c",
          script,
          "sh",
          ...args,
        ],
        { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      );
      expect([r.status, r.stderr]).toEqual([0, ""]);
    }
    const argv = execIn(server, "cat /tmp/shim/argv");
    for (const c of ["mariadb", "mariadb-dump", "mariadb-admin"]) expect(argv).toContain(`/tmp/shim/${c}\n`);
    expect(argv).not.toContain("root-pw");
  });

  it("refuses a site whose dump label names another town's database on the shared server", async () => {
    runContainer({
      name: "ex-assos-intrus",
      image: IMAGES.app,
      suite: SUITE,
      labels: {
        tenant: "autre",
        service: "wordpress-intrus",
        role: "app",
        dump: { engine: "mariadb", database: "demo_assos_club_echecs" },
        dumpContainer: "ex-socle-mariadb",
      },
    });
    const target = path.join(dir, "intrus.tar.gz");
    const r = await withEnv({ SOCLE_HELPER_IMAGE: IMAGES.helper }, () =>
      exportSite({ tenant: "autre", site: "intrus", out: target, output: out }),
    );
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      `autre/wordpress-intrus: its labels are wrong: ex-assos-intrus: socle.backup.dump: database "demo_assos_club_echecs" on the shared server ex-socle-mariadb is not autre/wordpress-intrus's own (autre_assos_intrus); fix the label`,
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith("intrus"))).toEqual([]);
  });
});
