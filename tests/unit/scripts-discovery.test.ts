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
    dump: { engine: "postgres", database: "nextcloud_demo" },
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
        database: "nextcloud_demo",
        container: "socle-postgres",
        declaredBy: "demo-nextcloud",
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
      { engine: "mariadb", database: "wp", container: "demo-site-db", declaredBy: "demo-site-db" },
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
      "  dump  postgres:nextcloud_demo in socle-postgres",
      "  vols  demo-nextcloud-data, demo-nextcloud-html",
      "  post  demo-nextcloud: php occ maintenance:mode --off",
    ]);
  });
});
