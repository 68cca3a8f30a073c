/**
 * The database initialisers of templates/db-init.ts run for real, the way
 * PostgresDatabase / MariadbDatabase run them: the rendered script as the
 * entrypoint of a one-shot container of the SERVER's image (here the Debian
 * stand-ins socle-test/pg = PostgreSQL 15 and socle-test/mariadb = MariaDB
 * 10.11), on an internal network where the server has the alias the script
 * names, passwords only in the environment. Proves: the user can work in its
 * database, a re-run is harmless and rotates the password, extensions exist,
 * another tenant's user cannot connect, a wrong superuser password exits non-zero,
 * no password is in the container's command line.
 *
 * No docker: skipped outside CI, a failure under CI=true.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { renderMariadbInit, renderPostgresInit } from "../../templates/db-init.js";

function dockerUsable(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const haveDocker = dockerUsable();
if (!haveDocker && process.env.CI === "true") {
  throw new Error("db-init: docker is not usable and CI=true: this real test cannot be skipped");
}
if (!haveDocker) console.warn("db-init: SKIPPED, no usable docker engine (start dockerd to run it)");
const real = haveDocker ? describe : describe.skip;

const q = $({ quiet: true });
const qn = $({ quiet: true, nothrow: true });
const RUN = `socle-dbinit-test-${process.pid}`;
const NET = RUN;
const work = mkdtempSync(join(tmpdir(), "socle-dbinit-"));
const pw = () => randomBytes(16).toString("hex");
const SUPER = pw();

/** Runs a rendered script like the one-shot init container; returns its exit code and output. */
async function runInit(
  image: string,
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; out: string; args: string }> {
  const name = `${RUN}-init-${randomBytes(3).toString("hex")}`;
  const file = join(work, `${name}.sh`);
  writeFileSync(file, script);
  const envFlags = Object.keys(env).flatMap((k) => ["-e", k]);
  const r = await $({
    quiet: true,
    nothrow: true,
    env: { ...process.env, ...env },
  })`docker run --name ${name} --network ${NET} --memory 64m ${envFlags} -v ${file}:/socle/db-init.sh:ro --entrypoint /bin/sh ${image} /socle/db-init.sh`;
  const inspect =
    await q`docker inspect --format ${"{{json .Path}} {{json .Args}} {{json .Config.Cmd}}"} ${name}`;
  await qn`docker rm -f ${name}`;
  return { code: r.exitCode ?? -1, out: `${r.stdout}${r.stderr}`, args: inspect.stdout };
}

real("PostgreSQL initialiser (socle-test/pg, PostgreSQL 15)", () => {
  const server = `${RUN}-pg`;
  const psqlAs = (user: string, password: string, db: string, sql: string) =>
    $({
      quiet: true,
      nothrow: true,
    })`docker exec -e PGPASSWORD=${password} ${server} psql -q -h 127.0.0.1 -U ${user} -d ${db} -v ON_ERROR_STOP=1 -tAc ${sql}`;

  beforeAll(async () => {
    await q`docker network create --internal ${NET}`;
    await q`docker run -d --name ${server} --network ${NET} --network-alias postgres --memory 512m -e POSTGRES_PASSWORD=${SUPER} socle-test/pg`;
    for (let i = 0; i < 60; i++) {
      if ((await qn`docker exec ${server} pg_isready -q -h 127.0.0.1 -U postgres`).exitCode === 0) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error("postgres did not start");
  }, 120_000);

  afterAll(async () => {
    await qn`docker rm -f ${server}`;
  });

  const script = renderPostgresInit({
    host: "postgres",
    database: "demo_nextcloud",
    user: "demo_nextcloud",
    extensions: ["pg_trgm", "unaccent"],
  });
  const first = pw();
  const second = pw();

  it("creates the role, its database and the extensions; the role works in it", async () => {
    const r = await runInit("socle-test/pg", script, { PGPASSWORD: SUPER, DB_PASSWORD: first });
    expect(r.out).toContain("socle db init: postgres database demo_nextcloud ready for demo_nextcloud");
    expect(r.code).toBe(0);
    expect(r.args).not.toContain(first);
    expect(r.args).not.toContain(SUPER);
    const t = await psqlAs(
      "demo_nextcloud",
      first,
      "demo_nextcloud",
      "CREATE TABLE t (x int); SELECT current_user",
    );
    expect(t.stdout.trim()).toBe("demo_nextcloud");
    const ext = await psqlAs(
      "demo_nextcloud",
      first,
      "demo_nextcloud",
      "SELECT extname FROM pg_extension ORDER BY 1",
    );
    expect(ext.stdout.trim().split("\n")).toEqual(["pg_trgm", "plpgsql", "unaccent"]);
    const owner = await psqlAs(
      "postgres",
      SUPER,
      "postgres",
      "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'demo_nextcloud'",
    );
    expect(owner.stdout.trim()).toBe("demo_nextcloud");
  });

  it("re-runs harmlessly and rotates the password (data kept)", async () => {
    const r = await runInit("socle-test/pg", script, { PGPASSWORD: SUPER, DB_PASSWORD: second });
    expect(r.code).toBe(0);
    expect((await psqlAs("demo_nextcloud", first, "demo_nextcloud", "SELECT 1")).exitCode).not.toBe(0);
    const t = await psqlAs("demo_nextcloud", second, "demo_nextcloud", "SELECT count(*) FROM t");
    expect(t.stdout.trim()).toBe("0");
  });

  it("keeps tenants apart: another tenant's role cannot connect to this database", async () => {
    const other = pw();
    const r = await runInit(
      "socle-test/pg",
      renderPostgresInit({ host: "postgres", database: "autre_nextcloud", user: "autre_nextcloud" }),
      { PGPASSWORD: SUPER, DB_PASSWORD: other },
    );
    expect(r.code).toBe(0);
    const denied = await psqlAs("autre_nextcloud", other, "demo_nextcloud", "SELECT 1");
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain('permission denied for database "demo_nextcloud"');
    expect((await psqlAs("autre_nextcloud", other, "autre_nextcloud", "SELECT 1")).stdout.trim()).toBe("1");
  });

  it("exits non-zero with a wrong superuser password", async () => {
    const r = await runInit("socle-test/pg", script, { PGPASSWORD: "wrong", DB_PASSWORD: second });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("password authentication failed");
  });
});

real("MariaDB initialiser (socle-test/mariadb, MariaDB 10.11)", () => {
  const server = `${RUN}-mariadb`;
  const sqlAs = (user: string, password: string, sql: string) =>
    $({
      quiet: true,
      nothrow: true,
    })`docker exec -e MYSQL_PWD=${password} ${server} mariadb -h 127.0.0.1 -u${user} -N -e ${sql}`;

  beforeAll(async () => {
    if ((await qn`docker network inspect ${NET}`).exitCode !== 0)
      await q`docker network create --internal ${NET}`;
    await q`docker run -d --name ${server} --network ${NET} --network-alias mariadb --memory 512m -e MARIADB_ROOT_PASSWORD=${SUPER} socle-test/mariadb`;
    for (let i = 0; i < 90; i++) {
      if (
        (await qn`docker exec -e MYSQL_PWD=${SUPER} ${server} mariadb-admin -h 127.0.0.1 -uroot ping`)
          .exitCode === 0
      )
        return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error("mariadb did not start");
  }, 150_000);

  afterAll(async () => {
    await qn`docker rm -f ${server}`;
    await qn`docker network rm ${NET}`;
  });

  const script = renderMariadbInit({ host: "mariadb", database: "demo_wp_club", user: "demo_wp_club" });
  const first = pw();
  const second = pw();

  it("creates the database and the user, who works in it", async () => {
    const r = await runInit("socle-test/mariadb", script, { MYSQL_PWD: SUPER, DB_PASSWORD: first });
    expect(r.out).toContain("socle db init: mariadb database demo_wp_club ready for demo_wp_club");
    expect(r.code).toBe(0);
    expect(r.args).not.toContain(first);
    const t = await sqlAs(
      "demo_wp_club",
      first,
      "CREATE TABLE demo_wp_club.t (x int); SELECT DATABASE() FROM DUAL",
    );
    expect(t.exitCode).toBe(0);
    const cs = await sqlAs(
      "root",
      SUPER,
      "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='demo_wp_club'",
    );
    expect(cs.stdout.trim()).toBe("utf8mb4");
  });

  it("re-runs harmlessly and rotates the password (data kept)", async () => {
    const r = await runInit("socle-test/mariadb", script, { MYSQL_PWD: SUPER, DB_PASSWORD: second });
    expect(r.code).toBe(0);
    expect((await sqlAs("demo_wp_club", first, "SELECT 1")).exitCode).not.toBe(0);
    expect((await sqlAs("demo_wp_club", second, "SELECT COUNT(*) FROM demo_wp_club.t")).stdout.trim()).toBe(
      "0",
    );
  });

  it("keeps sites apart: another user cannot read this database", async () => {
    const other = pw();
    const r = await runInit(
      "socle-test/mariadb",
      renderMariadbInit({ host: "mariadb", database: "demo_wp_autre", user: "demo_wp_autre" }),
      { MYSQL_PWD: SUPER, DB_PASSWORD: other },
    );
    expect(r.code).toBe(0);
    const denied = await sqlAs("demo_wp_autre", other, "SELECT COUNT(*) FROM demo_wp_club.t");
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain("denied");
  });

  it("refuses a non-alphanumeric password and a wrong root password", async () => {
    const bad = await runInit("socle-test/mariadb", script, { MYSQL_PWD: SUPER, DB_PASSWORD: "a'b" });
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("socle db init: DB_PASSWORD must be alphanumeric");
    const wrong = await runInit("socle-test/mariadb", script, { MYSQL_PWD: "wrong", DB_PASSWORD: second });
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toContain("Access denied");
  });
});
