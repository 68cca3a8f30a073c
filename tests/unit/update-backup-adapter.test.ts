import { describe, expect, it } from "vitest";
import { socleLabels, type LabelSpec } from "../../components/labels.js";
import { groupContainers, type EngineContainer } from "../../scripts/lib/discovery.js";
import {
  dependentGroups,
  formatCompositeRef,
  parseCompositeRef,
} from "../../scripts/update/backup-adapter.js";

const container = (name: string, spec: LabelSpec): EngineContainer => ({
  id: `id-${name}`,
  name,
  image: "x",
  running: true,
  labels: Object.fromEntries(socleLabels(spec).map((l) => [l.label, l.value])),
});

describe("shared database servers in the update's backups", () => {
  const groups = groupContainers([
    container("socle-postgres", { tenant: "_platform", service: "postgres", role: "db", version: "17.6" }),
    container("socle-mariadb", { tenant: "_platform", service: "mariadb", role: "db", version: "11.4.8" }),
    container("a-nextcloud", {
      tenant: "a",
      service: "nextcloud",
      role: "app",
      dump: { engine: "postgres", database: "a_nextcloud" },
      dumpContainer: "socle-postgres",
      volumes: ["a-nextcloud-data"],
    }),
    container("b-peertube", {
      tenant: "b",
      service: "peertube",
      role: "app",
      dump: { engine: "postgres", database: "b_peertube" },
      dumpContainer: "socle-postgres",
    }),
    container("a-assos-club", {
      tenant: "a",
      service: "wordpress-club",
      role: "app",
      dump: { engine: "mariadb", database: "a_assos_club" },
      dumpContainer: "socle-mariadb",
    }),
    container("c-redis", { tenant: "c", service: "redis", role: "cache" }),
  ]);

  it("backs up a server through the groups whose dumps run in it", () => {
    expect(dependentGroups(groups, ["socle-postgres"])).toEqual([
      { tenant: "a", service: "nextcloud" },
      { tenant: "b", service: "peertube" },
    ]);
    expect(dependentGroups(groups, ["socle-mariadb"])).toEqual([{ tenant: "a", service: "wordpress-club" }]);
    expect(dependentGroups(groups, [])).toEqual([]);
  });

  it("keeps every group's manifest in one reference", () => {
    const parts = [
      { tenant: "a", service: "nextcloud", snapshot: "1f2e3d4c" },
      { tenant: "b", service: "wordpress-club", snapshot: "9c8d7e6f" },
    ];
    expect(formatCompositeRef(parts)).toBe("a/nextcloud=1f2e3d4c,b/wordpress-club=9c8d7e6f");
    expect(parseCompositeRef(formatCompositeRef(parts))).toEqual(parts);
    expect(() => parseCompositeRef("1f2e3d4c")).toThrow('not a composite snapshot reference: "1f2e3d4c"');
  });
});
