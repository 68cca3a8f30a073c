/**
 * The real engine: `pulumi up` of Socle's platform (LocalDockerHost, Platform
 * with its networks and database servers, town `demo`'s own networks, one
 * PostgreSQL and one MariaDB database reached over them, the network jobs and
 * the one-shot initialisers) on this machine's Docker engine,
 * every image pulled by the real docker provider from a real registry on
 * 127.0.0.1 (`imageRegistry`, what `socle:images.registry` sets). Then a
 * no-change preview, the label contract as the engine made it, and a destroy
 * that leaves no container or network and keeps the data volumes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { imageRef } from "../../components/versions.js";
import { LABELS } from "../../components/labels.js";
import {
  clearEngine,
  engineObjects,
  Project,
  ROOT,
  startRegistry,
  toolchainDir,
  type Registry,
} from "./harness.js";

const q = $({ quiet: true });
const qn = $({ quiet: true, nothrow: true });

const program = (registry: string) => `
import { LocalDockerHost } from "${ROOT}/components/hosts/local-docker-host.js";
import { Platform } from "${ROOT}/components/platform/platform.js";
import { PostgresDatabase } from "${ROOT}/components/platform/postgres-database.js";
import { MariadbDatabase } from "${ROOT}/components/platform/mariadb-database.js";

const host = new LocalDockerHost("local", { memoryMb: 4096, imageRegistry: "${registry}" });
const platform = new Platform("local-platform", { host });
const nets = platform.tenantNetworks("demo");
new PostgresDatabase("demo-app-pg", {
  server: platform.postgres, database: "demo_app", tenant: "demo", service: "app",
  network: nets.database(platform.postgres),
});
new MariadbDatabase("demo-site-mariadb", {
  server: platform.mariadb, database: "demo_site", tenant: "demo", service: "site",
  network: nets.database(platform.mariadb),
});
export const web = platform.web.name;
export const backend = platform.backend.name;
`;

interface Inspect {
  Name: string;
  /** The image's id. */
  Image: string;
  Config: { Image: string; Labels: Record<string, string> };
  HostConfig: { Memory: number; PortBindings: Record<string, unknown> | null };
  State: { Running: boolean; ExitCode: number };
}

async function inspect(name: string): Promise<Inspect> {
  return (JSON.parse((await q`docker inspect ${name}`).stdout) as Inspect[])[0]!;
}

let registry: Registry;
let project: Project;
const upTimes: Record<string, number> = {};

beforeAll(async () => {
  const toolchain = toolchainDir();
  await clearEngine("socle-", "demo-");
  registry = await startRegistry();
  await registry.push("socle-test/pg", imageRef("postgres"));
  await registry.push("socle-test/mariadb", imageRef("mariadb"));
  await registry.push("socle-test/docker-cli", imageRef("dockercli"));
  project = new Project("platform", program(registry.address), toolchain);
  await project.init();
});

afterAll(async () => {
  if (process.env.SOCLE_KEEP_ENGINE === "1") return console.log(`kept: ${project?.dir} (registry stopped)`);
  await project?.pulumi("destroy", "--yes", "--skip-preview");
  const left = await engineObjects("socle-");
  const demo = await engineObjects("demo-");
  await qn`docker rm -f ${[...left.containers, ...demo.containers]}`;
  await qn`docker volume rm ${[...left.volumes, ...demo.volumes]}`;
  await qn`docker network rm ${left.networks}`;
  project?.remove();
  await registry?.stop();
});

describe("pulumi up of the platform on the real engine, images from a real registry", () => {
  it("creates the networks, both database servers and both databases", async () => {
    const t0 = Date.now();
    const out = await project.ok("up", "--yes", "--skip-preview");
    upTimes.first = (Date.now() - t0) / 1000;
    expect(out).toMatch(/\+ \d+ created/);
    const objects = await engineObjects("socle-");
    expect(objects.networks.sort()).toEqual([
      "socle-backend",
      "socle-t-demo-back",
      "socle-t-demo-web",
      "socle-web",
    ]);
    expect(objects.containers).toEqual(expect.arrayContaining(["socle-postgres", "socle-mariadb"]));
    expect(await project.outputs()).toEqual({ web: "socle-web", backend: "socle-backend" });
  });

  it("pulled every image from the registry under the official names the components pin", async () => {
    for (const [name, service] of [
      ["socle-postgres", "postgres"],
      ["socle-mariadb", "mariadb"],
    ] as const) {
      const pulled =
        await q`docker image inspect --format {{.Id}} ${`${registry.address}/${imageRef(service)}`}`;
      expect((await inspect(name)).Image, name).toBe(pulled.stdout.trim());
    }
  });

  it("the database servers run with the label contract, a memory limit and no published port", async () => {
    for (const name of ["socle-postgres", "socle-mariadb"]) {
      const c = await inspect(name);
      expect(c.State.Running, name).toBe(true);
      expect(c.HostConfig.Memory, name).toBeGreaterThan(0);
      expect(c.HostConfig.PortBindings ?? {}, name).toEqual({});
      expect(c.Config.Labels[LABELS.role], name).toBe("db");
    }
  });

  it("the network jobs attached both database servers to the town's back-end network", async () => {
    for (const name of ["socle-postgres", "socle-mariadb"]) {
      const nets = (await q`docker inspect --format ${"{{json .NetworkSettings.Networks}}"} ${name}`).stdout;
      expect(Object.keys(JSON.parse(nets) as object).sort(), name).toEqual([
        "socle-backend",
        "socle-t-demo-back",
      ]);
    }
  });

  it("the one-shot initialisers created each database and its user, for real", async () => {
    const pg =
      await q`docker exec socle-postgres psql -U postgres -tAc ${"select datname from pg_database where datname = 'demo_app'"}`;
    expect(pg.stdout.trim()).toBe("demo_app");
    const role =
      await q`docker exec socle-postgres psql -U postgres -tAc ${"select rolname from pg_roles where rolname = 'demo_app'"}`;
    expect(role.stdout.trim()).toBe("demo_app");
    const my =
      await q`docker exec socle-mariadb sh -c ${'mariadb -uroot -p"$MARIADB_ROOT_PASSWORD" -NBe "show databases like \'demo_site\'"'}`;
    expect(my.stdout.trim()).toBe("demo_site");
  });

  it("a second up changes nothing: pulumi preview --expect-no-changes passes", async () => {
    const t0 = Date.now();
    const r = await project.pulumi("preview", "--expect-no-changes", "--diff");
    upTimes.noChange = (Date.now() - t0) / 1000;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it("destroy leaves no Socle container or network, and keeps the data volumes (retainOnDelete)", async () => {
    const before = await engineObjects("socle-");
    const t0 = Date.now();
    await project.ok("destroy", "--yes", "--skip-preview");
    upTimes.destroy = (Date.now() - t0) / 1000;
    const after = await engineObjects("socle-");
    expect(after.containers).toEqual([]);
    expect(after.networks).toEqual([]);
    expect(after.volumes.sort()).toEqual(before.volumes.sort());
    expect(after.volumes.length).toBeGreaterThan(0);
    console.log(`engine figures (s): ${JSON.stringify(upTimes)}`);
  });
});
