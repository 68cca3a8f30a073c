/**
 * The real round trip (real Docker engine, restic, Debian-built PostgreSQL and
 * MariaDB, ~1 GB of mixed files, 120,000 table rows): backup → destroy the
 * volumes and databases (really removed) → recreate the containers as
 * `pulumi up` would → restore → every file's sha256 and every table's row
 * count identical; then a drill of the same backup passes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as backup } from "../../scripts/backup.js";
import { main as restore } from "../../scripts/restore.js";
import { main as drill } from "../../scripts/drill.js";
import { createOutput } from "../../scripts/lib/output.js";
import {
  IMAGES,
  appLabels,
  cleanup,
  copyDataset,
  createVolume,
  dockerQuiet,
  ensureImages,
  execIn,
  hookLog,
  mariadb,
  psql,
  runContainer,
  sh,
  socleEnv,
  tempDir,
  toolsReady,
  volumeSums,
  waitMariadb,
  waitPg,
  withEnv,
} from "./fixtures/backup-env.js";

const SUITE = "backup-roundtrip";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });

const PG = "rt-socle-postgres";
const MDB = "rt-mariadb";
const NC = "rt-nextcloud";
const WP = "rt-assos-club";
const NC_VOL = "rt-nextcloud-data";
const WP_VOL = "rt-assos-club-html";

function startApps(): void {
  runContainer({
    name: NC,
    image: IMAGES.app,
    suite: SUITE,
    labels: appLabels("rt", "nextcloud", [NC_VOL], {
      dump: { engine: "postgres", database: "rt_nextcloud" },
      dumpContainer: PG,
    }),
    volumes: { [NC_VOL]: "/data", "rt-nextcloud-state": "/var/lib/app" },
  });
  runContainer({
    name: WP,
    image: IMAGES.app,
    suite: SUITE,
    labels: appLabels("rt", "wordpress-club", [WP_VOL]),
    volumes: { [WP_VOL]: "/var/www/html", "rt-assos-club-state": "/var/lib/app" },
  });
}

function counts() {
  return {
    filecache: psql(PG, "rt_nextcloud", "select count(*) from oc_filecache"),
    activity: psql(PG, "rt_nextcloud", "select count(*) from oc_activity"),
    checksum: psql(
      PG,
      "rt_nextcloud",
      "select md5(string_agg(path || etag, ',' order by fileid)) from oc_filecache",
    ),
    owner: psql(
      PG,
      "postgres",
      "select pg_get_userbyid(datdba) from pg_database where datname = 'rt_nextcloud'",
    ),
    posts: mariadb(MDB, "wp_club", "select count(*) from wp_posts"),
    postsSum: mariadb(MDB, "wp_club", "select md5(group_concat(post_title order by id)) from wp_posts"),
  };
}

describe.skipIf(!ready)("backup → destroy → restore, for real", () => {
  const state = tempDir("socle-rt-state-");
  const repo = `${tempDir("socle-rt-repo-")}/repo`;
  const env = socleEnv(state, "round-trip-password");
  let before: ReturnType<typeof counts>;
  let sumsBefore: { nc: string; wp: string };

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    for (const v of ["rt-nextcloud-state", "rt-assos-club-state", "rt-pgdata", "rt-mariadb-data"])
      createVolume(v, SUITE);
    copyDataset(NC_VOL, SUITE);
    createVolume(WP_VOL, SUITE);
    runContainer({
      name: PG,
      image: IMAGES.pg,
      suite: SUITE,
      labels: { tenant: "_platform", service: "postgres", role: "db" },
      env: { POSTGRES_USER: "admin", POSTGRES_PASSWORD: "pg-admin-pw" },
      volumes: { "rt-pgdata": "/var/lib/postgresql/data" },
    });
    runContainer({
      name: MDB,
      image: IMAGES.mariadb,
      suite: SUITE,
      labels: {
        tenant: "rt",
        service: "wordpress-club",
        role: "db",
        dump: { engine: "mariadb", database: "wp_club" },
      },
      env: { MARIADB_ROOT_PASSWORD: "mdb-root-pw", MARIADB_DATABASE: "wp_club" },
      volumes: { "rt-mariadb-data": "/var/lib/mysql" },
    });
    await waitPg(PG);
    await waitMariadb(MDB);
    psql(PG, "postgres", "CREATE ROLE rt_nextcloud LOGIN PASSWORD 'nc-pw'");
    psql(PG, "postgres", "CREATE DATABASE rt_nextcloud OWNER rt_nextcloud");
    execIn(
      PG,
      `psql -X -v ON_ERROR_STOP=1 -U admin -d rt_nextcloud -q <<'SQL'
SET ROLE rt_nextcloud;
CREATE TABLE oc_filecache (fileid bigserial PRIMARY KEY, path text NOT NULL, etag text, size bigint, mtime timestamptz);
INSERT INTO oc_filecache (path, etag, size, mtime)
  SELECT 'files/dossier-' || (g % 500) || '/document-' || g || '.odt', md5(g::text), g * 37 % 1000000, '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 100000) g;
CREATE TABLE oc_activity (id serial PRIMARY KEY, subject text, at timestamptz);
INSERT INTO oc_activity (subject, at) SELECT 'partage ' || g, now() FROM generate_series(1, 20000) g;
CREATE INDEX ON oc_filecache (path);
SQL`,
    );
    mariadb(
      MDB,
      "wp_club",
      "CREATE TABLE wp_posts (id INT AUTO_INCREMENT PRIMARY KEY, post_title VARCHAR(200), post_content TEXT) DEFAULT CHARSET=utf8mb4",
    );
    mariadb(
      MDB,
      "wp_club",
      "INSERT INTO wp_posts (post_title, post_content) SELECT CONCAT('Tournoi d''échecs n°', seq), REPEAT('partie ', 20) FROM seq_1_to_10000",
    );
    mariadb(
      MDB,
      "wp_club",
      "CREATE TABLE wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value TEXT); INSERT INTO wp_options VALUES (1, 'siteurl', 'https://club-echecs.assos.rt.localhost')",
    );
    startApps();
    execIn(
      WP,
      "mkdir -p /var/www/html/wp-content/uploads/2024 && echo '<?php // theme' > /var/www/html/wp-content/index.php && head -c 300000 /dev/urandom > /var/www/html/wp-content/uploads/2024/affiche.jpg",
    );
    before = counts();
    sumsBefore = { nc: volumeSums(NC_VOL), wp: volumeSums(WP_VOL) };
  });

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  it("backs up both services with hooks around the copy and a manifest each", async () => {
    const r = await withEnv(env, () => backup({ repo, tenant: "rt", out }));
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.repositoryCreated).toBe(true);
    expect(r.groups.map((g) => `${g.tenant}/${g.service}:${g.ok}`)).toEqual([
      "rt/nextcloud:true",
      "rt/wordpress-club:true",
    ]);
    const nc = r.groups[0]!;
    expect(nc.dumps.map((d) => [d.database, d.tables, d.rows])).toEqual([["rt_nextcloud", 2, 120000]]);
    expect(nc.volumes?.files).toBeGreaterThan(24000);
    expect(nc.volumes?.bytes).toBeGreaterThan(1_000_000_000);
    expect(r.groups[1]!.dumps.map((d) => [d.database, d.rows])).toEqual([["wp_club", 10001]]);
    const log = hookLog(NC).map((l) => l.split(" ").slice(0, 2).join(" "));
    expect(log).toEqual(["maintenance on", "maintenance off"]);
  });

  it("destroys the volumes and databases, restores them in place, identical", async () => {
    sh("docker", ["rm", "-f", NC, WP]);
    sh("docker", ["volume", "rm", NC_VOL, WP_VOL]);
    psql(PG, "postgres", "DROP DATABASE rt_nextcloud");
    mariadb(MDB, "mysql", "DROP DATABASE wp_club");
    expect(psql(PG, "postgres", "select count(*) from pg_database where datname = 'rt_nextcloud'")).toBe("0");
    expect(dockerQuiet(["volume", "inspect", NC_VOL])).not.toBe(0);
    // `pulumi up` recreates the containers, with new empty volumes.
    startApps();
    expect(volumeSums(NC_VOL)).toBe("");

    const r = await withEnv(env, () => restore({ repo, tenant: "rt", out, healthTimeout: 60 }));
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.groups.map((g) => [g.service, g.ok, g.databases])).toEqual([
      ["nextcloud", true, ["postgres:rt_nextcloud"]],
      ["wordpress-club", true, ["mariadb:wp_club"]],
    ]);
    expect(r.groups[0]!.stopped).toEqual([NC]);
    expect(volumeSums(NC_VOL)).toBe(sumsBefore.nc);
    expect(volumeSums(WP_VOL)).toBe(sumsBefore.wp);
    expect(counts()).toEqual(before);
    expect(hookLog(NC).at(-1)).toMatch(/^data-fingerprint /);
    expect(sh("docker", ["inspect", "--format", "{{.State.Running}}", NC]).trim()).toBe("true");
  });

  it("a drill of the backup verifies every file and row, and leaves nothing behind", async () => {
    const r = await withEnv(env, () => drill({ repo, out }));
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.mismatches).toBe(0);
    const items = r.checks.map((c) => `${c.service} ${c.item}`);
    expect(items).toContain("nextcloud volume rt-nextcloud-data");
    expect(items).toContain("nextcloud rows rt_nextcloud.public.oc_filecache");
    expect(items).toContain("wordpress-club rows wp_club.wp_posts");
    expect(r.checks.find((c) => c.item === "rows rt_nextcloud.public.oc_filecache")?.actual).toBe("100000");
    expect(
      sh("docker", ["ps", "-a", "--format", "{{.Names}}"])
        .split("\n")
        .filter((n) => n.startsWith("socle-drill-")),
    ).toEqual([]);
    expect(
      sh("docker", ["volume", "ls", "-q"])
        .split("\n")
        .filter((n) => n.startsWith("socle-drill-")),
    ).toEqual([]);
  });
});
