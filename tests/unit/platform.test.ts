import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import {
  checkInitExit,
  initContainerName,
  MariadbDatabase,
  Platform,
  postgresDataPath,
  PostgresDatabase,
  PostgresServer,
  validatePostgresServerArgs,
} from "../../components/platform/index.js";
import { renderMariadbInit, renderPostgresInit } from "../../templates/db-init.js";
import { demoCaches } from "./fixtures/caches.js";
import {
  envOf,
  installMocks,
  labelsOf,
  resolve,
  secretPaths,
  settle,
  type Recorded,
  type Recorder,
} from "./mocks.js";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const PASSWORD = "random:index/randomPassword:RandomPassword";

const LOGS = { logDriver: "json-file", logOpts: { "max-file": "3", "max-size": "10m" } };

let rec: Recorder;
let host: LocalDockerHost;
let platform: Platform;
let pgdb: PostgresDatabase;
let mdb: MariadbDatabase;

function urnOf(type: string, name: string): string {
  return rec.get(type, name).urn;
}
function component(type: string, name: string): Recorded {
  return rec.get(`socle:platform:${type}`, name);
}

beforeAll(async () => {
  rec = await installMocks();
  host = new LocalDockerHost("local");
  platform = new Platform("plat", { host });
  pgdb = new PostgresDatabase("demo-nc-db", {
    server: platform.postgres,
    database: "demo_nextcloud",
    extensions: ["unaccent", "pg_trgm"],
    tenant: "demo",
    service: "nextcloud",
    network: platform.tenantNetworks("demo").database(platform.postgres),
  });
  mdb = new MariadbDatabase("demo-wp-db", {
    server: platform.mariadb,
    database: "demo_wp_club",
    user: "demo_wp_club_user",
    tenant: "demo",
    service: "wordpress-club",
    network: platform.tenantNetworks("demo").database(platform.mariadb),
  });
  demoCaches(platform);
  await settle();
});

describe("Platform", () => {
  it("declares socle-web and the internal socle-backend, children of the platform", () => {
    expect(rec.get(NETWORK, "plat-web").inputs).toEqual({
      name: "socle-web",
      ipamConfigs: [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1", ipRange: "172.30.0.128/25" }],
    });
    expect(rec.get(NETWORK, "plat-backend").inputs).toEqual({ name: "socle-backend", internal: true });
    const platUrn = component("Platform", "plat").urn;
    for (const n of ["plat-web", "plat-backend"]) expect(rec.get(NETWORK, n).parent).toBe(platUrn);
    // a tenant's networks: children of its TenantNetworks, itself a child of the platform
    const demoUrn = component("TenantNetworks", "demo-network").urn;
    expect(component("TenantNetworks", "demo-network").parent).toBe(platUrn);
    for (const n of ["demo-network-web", "demo-network-back"])
      expect(rec.get(NETWORK, n).parent).toBe(demoUrn);
    expect(component("PostgresServer", "plat-postgres").parent).toBe(platUrn);
    expect(component("MariadbServer", "plat-mariadb").parent).toBe(platUrn);
    for (const n of ["plat-web", "plat-backend"]) {
      expect(rec.get(NETWORK, n).provider).toMatch(/::local-docker::/);
    }
  });

  it("memoizes tenant networks: one web and one internal back-end network per tenant", async () => {
    expect(platform.tenantNetworks("demo")).toBe(platform.tenantNetworks("demo"));
    const other = platform.tenantNetworks("autre-ville");
    expect(other).not.toBe(platform.tenantNetworks("demo"));
    await settle();
    // demo asked first (slot 1), autre-ville second (slot 2): no tenantSlots given
    expect(rec.get(NETWORK, "demo-network-back").inputs).toEqual({
      name: "socle-t-demo-back",
      internal: true,
      ipamConfigs: [{ subnet: "172.30.3.0/24", gateway: "172.30.3.1" }],
      labels: [
        { label: "socle.network", value: "back" },
        { label: "socle.tenant", value: "demo" },
      ],
    });
    expect(rec.get(NETWORK, "autre-ville-network-web").inputs).toEqual({
      name: "socle-t-autre-ville-web",
      ipamConfigs: [{ subnet: "172.30.4.0/24", gateway: "172.30.4.1", ipRange: "172.30.4.128/25" }],
      labels: [
        { label: "socle.network", value: "web" },
        { label: "socle.tenant", value: "autre-ville" },
      ],
    });
    expect(rec.names(NETWORK).filter((n) => n === "demo-network-back")).toHaveLength(1);
    expect(() => platform.tenantNetworks("Demo Ville")).toThrow(
      'platform: tenant "Demo Ville" is not a slug ([a-z0-9-])',
    );
  });

  it("counts the memory of its database servers", () => {
    expect(platform.memoryMb).toBe(2048);
  });
});

describe("PostgresServer", () => {
  it("runs the pinned official image with a generated secret superuser password", async () => {
    const c = rec.get(CONTAINER, "plat-postgres-container");
    expect(rec.get(IMAGE, "plat-postgres-image").inputs).toEqual({
      name: "postgres:17.6-bookworm",
      keepLocally: true,
    });
    expect(rec.get(PASSWORD, "plat-postgres-password").inputs).toEqual({ length: 32, special: false });
    // one volume per major, never deleted by Pulumi (a new major starts empty; the old data stays)
    expect(rec.get(VOLUME, "plat-postgres-data-17").options).toEqual({
      retainOnDelete: true,
      deleteBeforeReplace: false,
      protect: false,
    });
    expect(rec.get(VOLUME, "plat-postgres-data-17").inputs).toEqual({
      name: "socle-postgres-17-data",
      labels: [{ label: "socle.tenant", value: "_platform" }],
    });
    expect(c.inputs).toEqual({
      name: "socle-postgres",
      image: "sha256:plat-postgres-image",
      restart: "unless-stopped",
      memory: 1024,
      memorySwap: 1024,
      envs: ["POSTGRES_USER=postgres", "POSTGRES_PASSWORD=pw-plat-postgres-password"],
      labels: [
        { label: "socle.health", value: "cmd:pg_isready -U postgres" },
        { label: "socle.role", value: "db" },
        { label: "socle.service", value: "postgres" },
        { label: "socle.tenant", value: "_platform" },
        { label: "socle.version", value: "17.6" },
      ],
      networksAdvanced: [{ name: "socle-backend", aliases: ["postgres"] }],
      volumes: [{ volumeName: "socle-postgres-17-data", containerPath: "/var/lib/postgresql/data" }],
      healthcheck: {
        tests: ["CMD-SHELL", "pg_isready -U postgres"],
        interval: "10s",
        timeout: "10s",
        retries: 5,
        startPeriod: "1m0s",
      },
      ...LOGS,
      wait: true,
      waitTimeout: 600,
    });
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    expect(await pulumi.isSecret(platform.postgres.superuserPassword)).toBe(true);
  });

  it("mounts /var/lib/postgresql/data up to 17 and /var/lib/postgresql from 18", async () => {
    expect(postgresDataPath("15.14")).toBe("/var/lib/postgresql/data");
    expect(postgresDataPath("17.6")).toBe("/var/lib/postgresql/data");
    expect(postgresDataPath("18.0")).toBe("/var/lib/postgresql");
    expect(postgresDataPath("19.1")).toBe("/var/lib/postgresql");
    const p18 = new Platform("p18", { host, postgresVersion: "18.0", postgresMemoryMb: 2048 });
    await settle();
    expect(p18.postgres.dataPath).toBe("/var/lib/postgresql");
    const c = rec.get(CONTAINER, "p18-postgres-container").inputs;
    expect(c.volumes).toEqual([
      { volumeName: "socle-postgres-18-data", containerPath: "/var/lib/postgresql" },
    ]);
    expect(c.memory).toBe(2048);
    expect(rec.get(IMAGE, "p18-postgres-image").inputs.name).toBe("postgres:18.0-bookworm");
    expect(labelsOf(rec.get(CONTAINER, "p18-postgres-container"))["socle.version"]).toBe("18.0");
  });

  it("refuses versions it cannot run and tiny memory limits, with exact messages", () => {
    const network = platform.backend;
    const cases: [Partial<Parameters<typeof validatePostgresServerArgs>[0]>, string][] = [
      [{ version: "latest" }, 'postgres: version "latest" is not a version number like 17.6'],
      [{ version: "14.19" }, 'postgres: version "14.19" is older than 15'],
      [{ memoryMb: 100 }, "postgres: memoryMb must be an integer >= 256, got 100"],
    ];
    for (const [extra, msg] of cases) {
      expect(() => validatePostgresServerArgs({ host, network, ...extra })).toThrow(msg);
    }
    expect(() => new PostgresServer("bad-pg", { host, network, version: "14.19" })).toThrow("older than 15");
  });
});

describe("PostgresDatabase", () => {
  it("exposes host, port, names and a secret password", async () => {
    expect([pgdb.host, pgdb.port, pgdb.database, pgdb.user]).toEqual([
      "postgres",
      5432,
      "demo_nextcloud",
      "demo_nextcloud",
    ]);
    expect(await pulumi.isSecret(pgdb.password)).toBe(true);
    expect(await resolve(pgdb.password)).toBe("pw-demo-nc-db-password");
  });

  it("initialises through a one-shot container on the tenant's back-end network, passwords in env only", () => {
    const c = rec.get(CONTAINER, "demo-nc-db-init");
    expect(c.inputs).toEqual({
      name: "demo-nextcloud-dbinit",
      image: "sha256:plat-postgres-image",
      restart: "no",
      mustRun: false,
      attach: true,
      logs: true,
      memory: 64,
      memorySwap: 64,
      envs: ["PGPASSWORD=pw-plat-postgres-password", "DB_PASSWORD=pw-demo-nc-db-password"],
      labels: [
        { label: "socle.role", value: "job" },
        { label: "socle.service", value: "nextcloud" },
        { label: "socle.tenant", value: "demo" },
      ],
      networksAdvanced: [{ name: "socle-t-demo-back" }],
      uploads: [
        {
          file: "/socle/db-init.sh",
          executable: true,
          content: renderPostgresInit({
            host: "postgres",
            database: "demo_nextcloud",
            user: "demo_nextcloud",
            extensions: ["pg_trgm", "unaccent"],
          }),
        },
      ],
      entrypoints: ["/bin/sh", "/socle/db-init.sh"],
      ...LOGS,
      wait: false,
      waitTimeout: 600,
    });
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    const script = (c.inputs.uploads as { content: string }[])[0]!.content;
    expect(script).not.toContain("pw-");
    expect(script).toContain(
      'CREATE EXTENSION IF NOT EXISTS "pg_trgm";\nCREATE EXTENSION IF NOT EXISTS "unaccent";',
    );
    expect(script).toContain('REVOKE ALL ON DATABASE :"db" FROM PUBLIC;');
    expect(c.parent).toBe(component("PostgresDatabase", "demo-nc-db").urn);
    expect(c.dependencies).toContain(urnOf(CONTAINER, "plat-postgres-container"));
    // once the server is on demo's back-end network (its attachment job)
    expect(c.dependencies).toContain(urnOf(CONTAINER, "demo-network-postgres"));
  });

  it("fails the deployment with an exact message when the initialiser exits non-zero", () => {
    expect(() => checkInitExit("demo-nextcloud-dbinit", 0)).not.toThrow();
    expect(() => checkInitExit("demo-nextcloud-dbinit", undefined)).not.toThrow();
    expect(() => checkInitExit("demo-nextcloud-dbinit", 3)).toThrow(
      "demo-nextcloud-dbinit: database initialisation failed with exit code 3; read `docker logs demo-nextcloud-dbinit`, " +
        "fix the cause, then `docker rm demo-nextcloud-dbinit` and run `pulumi up --refresh`",
    );
  });

  it("names the initialiser <tenant>-<service>-dbinit, socle-<service>-dbinit for _platform", async () => {
    expect(initContainerName("demo", "nextcloud")).toBe("demo-nextcloud-dbinit");
    expect(initContainerName("_platform", "keycloak")).toBe("socle-keycloak-dbinit");
    expect(initContainerName("demo", "x", "custom-init")).toBe("custom-init");
    expect(() => initContainerName("demo", "x", "_bad")).toThrow(
      'db init: container name "_bad" is not a Docker name',
    );
    new PostgresDatabase("kc-db", {
      server: platform.postgres,
      database: "keycloak",
      tenant: "_platform",
      service: "keycloak",
    });
    await settle();
    expect(rec.get(CONTAINER, "kc-db-init").inputs.name).toBe("socle-keycloak-dbinit");
    // without a tenant network (the platform's own database): on socle-backend
    expect(rec.get(CONTAINER, "kc-db-init").inputs.networksAdvanced).toEqual([{ name: "socle-backend" }]);
  });

  it("validates names before declaring anything", () => {
    const base = { server: platform.postgres, tenant: "demo", service: "nextcloud" };
    expect(() => new PostgresDatabase("x1", { ...base, database: "demo-nextcloud" })).toThrow(
      'db init: database "demo-nextcloud" must match ^[a-z_][a-z0-9_]{0,62}$',
    );
    expect(() => new PostgresDatabase("x2", { ...base, database: "ok", user: "Robert'); DROP" })).toThrow(
      `db init: user "Robert'); DROP" must match`,
    );
    expect(() => new PostgresDatabase("x3", { ...base, database: "ok", extensions: ["x;y"] })).toThrow(
      'db init: extension "x;y" must match',
    );
    expect(() => new PostgresDatabase("x4", { ...base, database: "ok", tenant: "Demo" })).toThrow(
      'postgres database ok: tenant "Demo" is not a slug',
    );
  });
});

describe("MariadbServer and MariadbDatabase", () => {
  it("runs the pinned official image with root password, auto-upgrade and the image's healthcheck", () => {
    const c = rec.get(CONTAINER, "plat-mariadb-container");
    expect(rec.get(IMAGE, "plat-mariadb-image").inputs.name).toBe("mariadb:11.4.8");
    expect(c.inputs).toEqual({
      name: "socle-mariadb",
      image: "sha256:plat-mariadb-image",
      restart: "unless-stopped",
      memory: 1024,
      memorySwap: 1024,
      envs: ["MARIADB_ROOT_PASSWORD=pw-plat-mariadb-password", "MARIADB_AUTO_UPGRADE=1"],
      labels: [
        { label: "socle.health", value: "cmd:healthcheck.sh --connect --innodb_initialized" },
        { label: "socle.role", value: "db" },
        { label: "socle.service", value: "mariadb" },
        { label: "socle.tenant", value: "_platform" },
        { label: "socle.version", value: "11.4.8" },
      ],
      networksAdvanced: [{ name: "socle-backend", aliases: ["mariadb"] }],
      volumes: [{ volumeName: "socle-mariadb-11.4-data", containerPath: "/var/lib/mysql" }],
      healthcheck: {
        tests: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"],
        interval: "10s",
        timeout: "10s",
        retries: 5,
        startPeriod: "1m0s",
      },
      ...LOGS,
      wait: true,
      waitTimeout: 600,
    });
    expect(secretPaths(c.raw)).toEqual(["envs"]);
  });

  it("creates the database and user through a one-shot container", async () => {
    expect([mdb.host, mdb.port, mdb.database, mdb.user]).toEqual([
      "mariadb",
      3306,
      "demo_wp_club",
      "demo_wp_club_user",
    ]);
    expect(await pulumi.isSecret(mdb.password)).toBe(true);
    const c = rec.get(CONTAINER, "demo-wp-db-init");
    expect(c.inputs).toMatchObject({
      name: "demo-wordpress-club-dbinit",
      image: "sha256:plat-mariadb-image",
      restart: "no",
      mustRun: false,
      attach: true,
      memory: 64,
      memorySwap: 64,
      envs: ["MYSQL_PWD=pw-plat-mariadb-password", "DB_PASSWORD=pw-demo-wp-db-password"],
      networksAdvanced: [{ name: "socle-t-demo-back" }],
      entrypoints: ["/bin/sh", "/socle/db-init.sh"],
      uploads: [
        {
          file: "/socle/db-init.sh",
          executable: true,
          content: renderMariadbInit({
            host: "mariadb",
            database: "demo_wp_club",
            user: "demo_wp_club_user",
          }),
        },
      ],
    });
    expect(labelsOf(c)).toEqual({
      "socle.role": "job",
      "socle.service": "wordpress-club",
      "socle.tenant": "demo",
    });
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    expect(c.dependencies).toContain(urnOf(CONTAINER, "plat-mariadb-container"));
    expect(c.dependencies).toContain(urnOf(CONTAINER, "demo-network-mariadb"));
  });
});

describe("platform-wide security facts", () => {
  it("no platform container publishes a port; the servers declare socle-backend only (jobs attach the rest)", () => {
    for (const c of rec.byType(CONTAINER)) expect(c.inputs.ports, c.name).toBeUndefined();
    for (const name of ["plat-postgres-container", "plat-mariadb-container"]) {
      expect(rec.get(CONTAINER, name).inputs.networksAdvanced).toHaveLength(1);
    }
  });

  it("every container has a memory limit and a pinned image, every password input is secret", () => {
    for (const c of rec.byType(CONTAINER)) {
      expect(c.inputs.memory, c.name).toBeGreaterThan(0);
      const env = envOf(c);
      for (const [k, v] of Object.entries(env)) {
        if (/PASSWORD|PWD/.test(k)) {
          expect(v, `${c.name} ${k}`).toMatch(/^pw-/);
          expect(secretPaths(c.raw), c.name).toContain("envs");
        }
      }
    }
    for (const i of rec.byType(IMAGE)) expect(i.inputs.name, i.name).toMatch(/:[0-9]/);
  });
});
