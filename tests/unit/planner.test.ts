import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../components/versions.js";
import { RELEASE_NOTES, catalogueKey, compareVersions, majorOf } from "../../scripts/update/catalogue.js";
import { formatSteps, parseVersionList, plan, PlanError } from "../../scripts/update/planner.js";
import { b, CAT, cases, NOTES, up } from "./fixtures/planner-cases.js";

describe("plan (table)", () => {
  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
  for (const c of cases) {
    it(c.name, () => {
      const run = () => plan({ current: c.current, target: c.target, catalogue: CAT, notes: NOTES });
      if (c.error) {
        const [cls, message] = c.error;
        expect(run).toThrow(cls);
        let thrown: unknown;
        try {
          run();
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(PlanError);
        expect((thrown as Error).message).toBe(message);
      } else {
        expect(run()).toEqual(c.steps);
      }
    });
  }
});

describe("plan invariants", () => {
  it("every upgrade or dump-restore step is immediately preceded by a backup of the same service and versions", () => {
    for (const c of cases.filter((x) => x.steps)) {
      const steps = plan({ current: c.current, target: c.target, catalogue: CAT, notes: NOTES });
      steps.forEach((s, i) => {
        if (s.action === "upgrade" || s.action === "dump-restore") {
          expect(steps[i - 1], c.name).toEqual({
            service: s.service,
            from: s.from,
            to: s.to,
            action: "backup",
          });
        }
      });
    }
  });

  it("defaults to the repository's catalogue and PeerTube notes", () => {
    expect(
      plan({ current: { nextcloud: "31.0.11" }, target: { nextcloud: CATALOGUE.nextcloud.pinned } }),
    ).toEqual([
      b("nextcloud", "31.0.11", CATALOGUE.nextcloud.pinned),
      up("nextcloud", "31.0.11", CATALOGUE.nextcloud.pinned),
    ]);
    const pt = plan({ current: { peertube: "5.1.0" }, target: { peertube: "6.0.4" } });
    expect(pt.filter((s) => s.action === "note").map((s) => s.to)).toEqual(["5.2.0", "6.0.3", "6.0.4"]);
    expect(pt[0]!.note).toBe(RELEASE_NOTES.peertube!["5.2.0"]);
  });
});

describe("catalogue helpers", () => {
  it("orders versions numerically, not as strings", () => {
    expect(compareVersions("32.0.10", "32.0.9")).toBeGreaterThan(0);
    expect(compareVersions("9.0.0", "10.0.0")).toBeLessThan(0);
    expect(compareVersions("17.6", "17.6.0")).toBe(0);
  });
  it("reads majors the way the catalogue spells them", () => {
    expect(majorOf(CATALOGUE.mariadb, "11.4.8")).toBe("11.4");
    expect(majorOf(CATALOGUE.postgres, "17.6")).toBe("17");
    expect(majorOf(CATALOGUE.collabora, "25.04.7.2.1")).toBe("25");
  });
  it("maps deployed service names to catalogue entries", () => {
    expect(catalogueKey("wordpress-club-echecs")).toBe("wordpress");
    expect(catalogueKey("mail")).toBe("mailserver");
    expect(catalogueKey("proxy")).toBe("caddy");
    expect(catalogueKey("nextcloud-cron")).toBeUndefined();
  });
});

describe("parseVersionList", () => {
  it("parses svc=ver lists", () => {
    expect(parseVersionList("--current", "nextcloud=31.0.11, postgres=17.6")).toEqual({
      nextcloud: "31.0.11",
      postgres: "17.6",
    });
  });
  it.each([
    ["nextcloud", '--current: "nextcloud" is not service=version'],
    ["=31.0.1", '--current: "=31.0.1" is not service=version'],
    ["nextcloud=", '--current: "nextcloud=" is not service=version'],
    ["nextcloud=1.0,nextcloud=2.0", '--current: service "nextcloud" given twice'],
  ])("%s → %s", (value, message) => {
    expect(() => parseVersionList("--current", value)).toThrow(new PlanError(message));
  });
});

describe("formatSteps", () => {
  it("prints an aligned table, or says there is nothing to do", () => {
    expect(formatSteps([])).toBe("nothing to do: every service is at its target version");
    expect(formatSteps([b("nextcloud", "31.0.11", "32.0.3"), up("nextcloud", "31.0.11", "32.0.3")])).toBe(
      [
        "#  service    action   from     to      note",
        "1  nextcloud  backup   31.0.11  32.0.3",
        "2  nextcloud  upgrade  31.0.11  32.0.3",
      ].join("\n"),
    );
  });
});
