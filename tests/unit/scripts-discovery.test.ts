import { describe, expect, it } from "vitest";
import {
  appContainers,
  describeGroup,
  groupContainers,
  hasData,
  type EngineContainer,
} from "../../scripts/lib/discovery.js";
import { LABELS, socleLabels, type LabelSpec } from "../../components/labels.js";

function c(name: string, spec: LabelSpec | Record<string, string>, running = true): EngineContainer {
  const labels =
    "role" in spec && typeof spec.role === "string" && "tenant" in spec
      ? Object.fromEntries(socleLabels(spec as LabelSpec).map((l) => [l.label, l.value]))
      : (spec as Record<string, string>);
  return { id: `id-${name}`, name, image: "img", running, labels };
}

const engine = [
  c("socle-postgres", { tenant: "_platform", service: "postgres", role: "db" }),
  c("demo-nextcloud", {
    tenant: "demo",
    service: "nextcloud",
    role: "app",
    version: "32.0.3",
    volumes: ["demo-nextcloud-html", "demo-nextcloud-data"],
    dump: { engine: "postgres", database: "demo_nextcloud" },
    dumpContainer: "socle-postgres",
    pre: "php occ maintenance:mode --on",
    post: "php occ maintenance:mode --off",
    restorePost: "php occ maintenance:data-fingerprint",
    health: "http:80/status.php",
  }),
  c("demo-nextcloud-cron", {
    tenant: "demo",
    service: "nextcloud",
    role: "job",
    volumes: ["demo-nextcloud-html"],
  }),
  c("demo-redis", { tenant: "demo", service: "nextcloud", role: "cache" }, false),
  c("demo-site-db", {
    tenant: "demo",
    service: "wordpress-club",
    role: "db",
    dump: { engine: "mariadb", database: "wp" },
  }),
  c("user-thing", {
    [LABELS.tenant]: "demo",
    [LABELS.service]: "extra",
    [LABELS.backupDump]: "oracle:x",
    [LABELS.backupVolumes]: "ok-vol, bad/vol",
  }),
  c("unlabelled", { other: "x" }),
];

describe("groupContainers", () => {
  it("groups by (tenant, service), sorted, with hooks, dumps, volumes and health", () => {
    const groups = groupContainers(engine);
    expect(groups.map((g) => `${g.tenant}/${g.service}`)).toEqual([
      "_platform/postgres",
      "demo/extra",
      "demo/nextcloud",
      "demo/wordpress-club",
    ]);
    const nc = groups.find((g) => g.service === "nextcloud")!;
    expect(nc.version).toBe("32.0.3");
    expect(nc.containers.map((x) => x.name)).toEqual(["demo-nextcloud", "demo-nextcloud-cron", "demo-redis"]);
    expect(nc.pre).toEqual([{ container: "demo-nextcloud", command: "php occ maintenance:mode --on" }]);
    expect(nc.post).toEqual([{ container: "demo-nextcloud", command: "php occ maintenance:mode --off" }]);
    expect(nc.restorePost).toEqual([
      { container: "demo-nextcloud", command: "php occ maintenance:data-fingerprint" },
    ]);
    expect(nc.dumps).toEqual([
      {
        engine: "postgres",
        database: "demo_nextcloud",
        container: "socle-postgres",
        declaredBy: "demo-nextcloud",
        shared: true,
      },
    ]);
    expect(nc.volumes).toEqual(["demo-nextcloud-data", "demo-nextcloud-html"]);
    expect(nc.health).toEqual([
      { container: "demo-nextcloud", spec: { kind: "http", port: 80, path: "/status.php" } },
    ]);
    expect(nc.problems).toEqual([]);
    expect(appContainers(nc).map((x) => x.name)).toEqual([
      "demo-nextcloud",
      "demo-nextcloud-cron",
      "demo-redis",
    ]);
  });

  it("a stand-alone database container dumps itself and is not stopped on restore", () => {
    const wp = groupContainers(engine, { service: "wordpress-club" })[0]!;
    expect(wp.dumps).toEqual([
      {
        engine: "mariadb",
        database: "wp",
        container: "demo-site-db",
        declaredBy: "demo-site-db",
        shared: false,
      },
    ]);
    expect(appContainers(wp)).toEqual([]);
  });

  it("reports malformed labels as problems with exact messages (never skipped silently)", () => {
    const extra = groupContainers(engine, { tenant: "demo", service: "extra" })[0]!;
    expect(extra.problems).toEqual([
      'user-thing: socle.backup.dump: "oracle:x" is not postgres:<database> or mariadb:<database>',
      'user-thing: socle.backup.volumes: "bad/vol" is not a Docker volume name',
    ]);
    expect(extra.volumes).toEqual(["ok-vol"]);
  });

  it("filters and tells which groups hold data", () => {
    const groups = groupContainers(engine, { tenant: "demo" });
    expect(groups.map((g) => g.service)).toEqual(["extra", "nextcloud", "wordpress-club"]);
    expect(groupContainers(engine, { tenant: "_platform" }).map(hasData)).toEqual([false]);
  });

  it("describes the plan for --dry-run", () => {
    expect(describeGroup(groupContainers(engine, { service: "nextcloud" })[0]!)).toEqual([
      "demo/nextcloud (version 32.0.3)",
      "  pre   demo-nextcloud: php occ maintenance:mode --on",
      "  dump  postgres:demo_nextcloud in socle-postgres",
      "  vols  demo-nextcloud-data, demo-nextcloud-html",
      "  post  demo-nextcloud: php occ maintenance:mode --off",
    ]);
  });
});

describe("where a dump may run (finding 15: never another town's server or database)", () => {
  const server = c("socle-postgres", { tenant: "_platform", service: "postgres", role: "db" });
  const townDb = c("b-db", { tenant: "b", service: "nextcloud", role: "db" });
  const app = (name: string, tenant: string, database: string, dumpContainer?: string) =>
    c(name, {
      tenant,
      service: "nextcloud",
      role: "app",
      dump: { engine: "postgres", database },
      ...(dumpContainer !== undefined ? { dumpContainer } : {}),
    });
  const only = (containers: EngineContainer[], tenant: string) =>
    groupContainers(containers, { tenant, service: "nextcloud" })[0]!;

  it("refuses another town's database server, naming the container and the label", () => {
    const g = only([server, townDb, app("a-nextcloud", "a", "a_nextcloud", "b-db")], "a");
    expect(g.dumps).toEqual([]);
    expect(g.problems).toEqual([
      'a-nextcloud: socle.backup.dump.container: "b-db" is neither a container of a/nextcloud nor the platform\'s postgres server (socle.tenant=_platform, socle.role=db, socle.service=postgres); fix the label',
    ]);
  });

  it("refuses an unknown container and the platform server of another engine", () => {
    const unknown = only([server, app("a-nextcloud", "a", "a_nextcloud", "nowhere")], "a");
    expect(unknown.problems[0]).toMatch(/^a-nextcloud: socle.backup.dump.container: "nowhere" is neither/);
    const mdb = c("a-nextcloud", {
      tenant: "a",
      service: "nextcloud",
      role: "app",
      dump: { engine: "mariadb", database: "a_nextcloud" },
      dumpContainer: "socle-postgres",
    });
    expect(only([server, mdb], "a").problems[0]).toContain("nor the platform's mariadb server");
  });

  it("on the shared server, only the group's own database", () => {
    const g = only([server, app("a-nextcloud", "a", "b_nextcloud", "socle-postgres")], "a");
    expect(g.dumps).toEqual([]);
    expect(g.problems).toEqual([
      'a-nextcloud: socle.backup.dump: database "b_nextcloud" on the shared server socle-postgres is not a/nextcloud\'s own (a_nextcloud); fix the label',
    ]);
    // "saint" may not reach "saint-denis"'s database through the shared prefix.
    const prefix = only(
      [server, app("saint-nextcloud", "saint", "saint_denis_nextcloud", "socle-postgres")],
      "saint",
    );
    expect(prefix.problems[0]).toContain("is not saint/nextcloud's own (saint_nextcloud)");
  });

  it("a dump in another container of the same group is the group's own server", () => {
    const ownDb = c("a-db", { tenant: "a", service: "nextcloud", role: "db" });
    const g = only([ownDb, app("a-nextcloud", "a", "anything", "a-db")], "a");
    expect(g.problems).toEqual([]);
    expect(g.dumps).toEqual([
      {
        engine: "postgres",
        database: "anything",
        container: "a-db",
        declaredBy: "a-nextcloud",
        shared: false,
      },
    ]);
  });

  it("two groups claiming one shared database are both refused, even under a filter", () => {
    const wp = c("demo-assos-nextcloud", {
      tenant: "demo",
      service: "wordpress-nextcloud",
      role: "app",
      dump: { engine: "postgres", database: "demo_assos_nextcloud" },
      dumpContainer: "socle-postgres",
    });
    const nc = app("demo-assos-nextcloud-app", "demo-assos", "demo_assos_nextcloud", "socle-postgres");
    const g = only([server, wp, nc], "demo-assos");
    expect(g.dumps).toEqual([]);
    expect(g.problems).toEqual([
      'demo-assos-nextcloud-app: socle.backup.dump: database "demo_assos_nextcloud" on socle-postgres is also claimed by demo/wordpress-nextcloud; fix the labels',
    ]);
  });

  it("refuses tenant and service values outside the name grammar (they become restic tags)", () => {
    const bad = c("x", {
      [LABELS.tenant]: "a,kind=manifest",
      [LABELS.service]: "s",
      [LABELS.backupVolumes]: "v",
    });
    expect(groupContainers([bad])[0]!.problems).toEqual([
      'x: socle.tenant: "a,kind=manifest" is not a valid name',
    ]);
  });
});
