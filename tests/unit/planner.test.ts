import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../components/versions.js";
import { RELEASE_NOTES, catalogueKey, compareVersions, majorOf } from "../../scripts/update/catalogue.js";
import {
  DowngradeError,
  KEYCLOAK_NOTE,
  MalformedVersionError,
  MissingCurrentError,
  MissingIntermediateError,
  POSTGRES_18_NOTE,
  PlanError,
  UnknownServiceError,
  WORDPRESS_NOTE,
  formatSteps,
  parseVersionList,
  plan,
  type Step,
} from "../../scripts/update/planner.js";

// A frozen catalogue, so these cases do not move when components/versions.ts gains a release.
const CAT = {
  nextcloud: {
    pinned: "32.0.3",
    majors: { "29": "29.0.16", "30": "30.0.17", "31": "31.0.11", "32": "32.0.3" },
  },
  keycloak: { pinned: "26.4.5", majors: { "25": "25.0.6", "26": "26.4.5" } },
  peertube: { pinned: "7.3.0", majors: { "6": "6.3.3", "7": "7.3.0" } },
  wordpress: { pinned: "6.8.3", majors: { "6": "6.8.3" } },
  postgres: { pinned: "17.6", majors: { "15": "15.14", "16": "16.10", "17": "17.6", "18": "18.0" } },
  mariadb: { pinned: "11.4.8", majors: { "10.11": "10.11.14", "11.4": "11.4.8", "11.8": "11.8.3" } },
  collabora: { pinned: "25.04.7.2.1", majors: { "24": "24.04.17.3.1", "25": "25.04.7.2.1" } },
  redis: { pinned: "7.4.6", majors: { "7": "7.4.6" } },
  mailserver: { pinned: "15.1.0", majors: { "15": "15.1.0" } },
  caddy: { pinned: "2.10.2", majors: { "2": "2.10.2" } },
};
const NOTES = { peertube: { "7.0.0": "PT7 notes", "7.1.0": "PT7.1 notes" } };

const b = (service: string, from: string, to: string): Step => ({ service, from, to, action: "backup" });
const up = (service: string, from: string, to: string): Step => ({ service, from, to, action: "upgrade" });
const dr = (service: string, from: string, to: string): Step => ({
  service,
  from,
  to,
  action: "dump-restore",
});
const note = (service: string, from: string, to: string, text: string): Step => ({
  service,
  from,
  to,
  action: "note",
  note: text,
});

type Case = {
  name: string;
  current: Record<string, string>;
  target: Record<string, string>;
  steps?: Step[];
  error?: [new (...a: never[]) => PlanError, string];
};

const cases: Case[] = [
  {
    name: "same version: no steps",
    current: { nextcloud: "32.0.3" },
    target: { nextcloud: "32.0.3" },
    steps: [],
  },
  {
    name: "same version with trailing zero part: no steps",
    current: { postgres: "17.6" },
    target: { postgres: "17.6.0" },
    steps: [],
  },
  {
    name: "nextcloud patch: backup then upgrade",
    current: { nextcloud: "32.0.1" },
    target: { nextcloud: "32.0.3" },
    steps: [b("nextcloud", "32.0.1", "32.0.3"), up("nextcloud", "32.0.1", "32.0.3")],
  },
  {
    name: "nextcloud one major from the last patch",
    current: { nextcloud: "31.0.11" },
    target: { nextcloud: "32.0.3" },
    steps: [b("nextcloud", "31.0.11", "32.0.3"), up("nextcloud", "31.0.11", "32.0.3")],
  },
  {
    name: "nextcloud one major from an older patch: through the last patch first",
    current: { nextcloud: "31.0.2" },
    target: { nextcloud: "32.0.3" },
    steps: [
      b("nextcloud", "31.0.2", "31.0.11"),
      up("nextcloud", "31.0.2", "31.0.11"),
      b("nextcloud", "31.0.11", "32.0.3"),
      up("nextcloud", "31.0.11", "32.0.3"),
    ],
  },
  {
    name: "nextcloud three majors: one major at a time through each last patch",
    current: { nextcloud: "29.0.3" },
    target: { nextcloud: "32.0.1" },
    steps: [
      b("nextcloud", "29.0.3", "29.0.16"),
      up("nextcloud", "29.0.3", "29.0.16"),
      b("nextcloud", "29.0.16", "30.0.17"),
      up("nextcloud", "29.0.16", "30.0.17"),
      b("nextcloud", "30.0.17", "31.0.11"),
      up("nextcloud", "30.0.17", "31.0.11"),
      b("nextcloud", "31.0.11", "32.0.1"),
      up("nextcloud", "31.0.11", "32.0.1"),
    ],
  },
  {
    name: "nextcloud from a major older than the catalogue, next major known",
    current: { nextcloud: "28.0.14" },
    target: { nextcloud: "29.0.16" },
    steps: [b("nextcloud", "28.0.14", "29.0.16"), up("nextcloud", "28.0.14", "29.0.16")],
  },
  {
    name: "nextcloud from a patch newer than the catalogue's last: no backwards stone",
    current: { nextcloud: "31.0.12" },
    target: { nextcloud: "32.0.3" },
    steps: [b("nextcloud", "31.0.12", "32.0.3"), up("nextcloud", "31.0.12", "32.0.3")],
  },
  {
    name: "nextcloud to a major the catalogue does not know yet",
    current: { nextcloud: "32.0.3" },
    target: { nextcloud: "33.0.0" },
    steps: [b("nextcloud", "32.0.3", "33.0.0"), up("nextcloud", "32.0.3", "33.0.0")],
  },
  {
    name: "nextcloud skipping a major without a known release: error",
    current: { nextcloud: "27.1.3" },
    target: { nextcloud: "30.0.17" },
    error: [
      MissingIntermediateError,
      "nextcloud: cannot upgrade from 27.1.3 to 30.0.17: no known release of major 28 (Nextcloud upgrades one major at a time; add the last 28.x release to the catalogue's majors)",
    ],
  },
  {
    name: "nextcloud downgrade: refused",
    current: { nextcloud: "32.0.3" },
    target: { nextcloud: "31.0.11" },
    error: [
      DowngradeError,
      "nextcloud: downgrade from 32.0.3 to 31.0.11 refused (restore a backup taken before the upgrade instead)",
    ],
  },
  {
    name: "postgres minor: plain upgrade",
    current: { postgres: "17.5" },
    target: { postgres: "17.6" },
    steps: [b("postgres", "17.5", "17.6"), up("postgres", "17.5", "17.6")],
  },
  {
    name: "postgres major: dump and restore",
    current: { postgres: "16.10" },
    target: { postgres: "17.6" },
    steps: [b("postgres", "16.10", "17.6"), dr("postgres", "16.10", "17.6")],
  },
  {
    name: "postgres two majors: one dump and restore",
    current: { postgres: "15.14" },
    target: { postgres: "17.6" },
    steps: [b("postgres", "15.14", "17.6"), dr("postgres", "15.14", "17.6")],
  },
  {
    name: "postgres into 18: the volume path note, then dump and restore",
    current: { postgres: "17.6" },
    target: { postgres: "18.0" },
    steps: [
      note("postgres", "17.6", "18.0", POSTGRES_18_NOTE),
      b("postgres", "17.6", "18.0"),
      dr("postgres", "17.6", "18.0"),
    ],
  },
  {
    name: "postgres within 18: no path note",
    current: { postgres: "18.0" },
    target: { postgres: "18.1" },
    steps: [b("postgres", "18.0", "18.1"), up("postgres", "18.0", "18.1")],
  },
  {
    name: "postgres downgrade across a major: refused",
    current: { postgres: "17.6" },
    target: { postgres: "16.10" },
    error: [
      DowngradeError,
      "postgres: downgrade from 17.6 to 16.10 refused (restore a backup taken before the upgrade instead)",
    ],
  },
  {
    name: "mariadb minor within 11.4: plain upgrade",
    current: { mariadb: "11.4.7" },
    target: { mariadb: "11.4.8" },
    steps: [b("mariadb", "11.4.7", "11.4.8"), up("mariadb", "11.4.7", "11.4.8")],
  },
  {
    name: "mariadb 11.4 to 11.8 is a major (two-part majors): dump and restore",
    current: { mariadb: "11.4.8" },
    target: { mariadb: "11.8.3" },
    steps: [b("mariadb", "11.4.8", "11.8.3"), dr("mariadb", "11.4.8", "11.8.3")],
  },
  {
    name: "mariadb 10.11 to 11.4: dump and restore",
    current: { mariadb: "10.11.14" },
    target: { mariadb: "11.4.8" },
    steps: [b("mariadb", "10.11.14", "11.4.8"), dr("mariadb", "10.11.14", "11.4.8")],
  },
  {
    name: "keycloak: the no-way-back note, backup, upgrade",
    current: { keycloak: "25.0.6" },
    target: { keycloak: "26.4.5" },
    steps: [
      note("keycloak", "25.0.6", "26.4.5", KEYCLOAK_NOTE("25.0.6", "26.4.5")),
      b("keycloak", "25.0.6", "26.4.5"),
      up("keycloak", "25.0.6", "26.4.5"),
    ],
  },
  {
    name: "keycloak patch also warns (schema may migrate)",
    current: { keycloak: "26.4.4" },
    target: { keycloak: "26.4.5" },
    steps: [
      note("keycloak", "26.4.4", "26.4.5", KEYCLOAK_NOTE("26.4.4", "26.4.5")),
      b("keycloak", "26.4.4", "26.4.5"),
      up("keycloak", "26.4.4", "26.4.5"),
    ],
  },
  {
    name: "peertube: every crossed release's important notes, in order",
    current: { peertube: "6.3.3" },
    target: { peertube: "7.3.0" },
    steps: [
      note("peertube", "6.3.3", "7.0.0", "PT7 notes"),
      note("peertube", "6.3.3", "7.1.0", "PT7.1 notes"),
      b("peertube", "6.3.3", "7.3.0"),
      up("peertube", "6.3.3", "7.3.0"),
    ],
  },
  {
    name: "peertube: notes of releases not crossed are left out",
    current: { peertube: "7.0.0" },
    target: { peertube: "7.1.0" },
    steps: [
      note("peertube", "7.0.0", "7.1.0", "PT7.1 notes"),
      b("peertube", "7.0.0", "7.1.0"),
      up("peertube", "7.0.0", "7.1.0"),
    ],
  },
  {
    name: "peertube without known notes: a pointer to the CHANGELOG",
    current: { peertube: "7.2.0" },
    target: { peertube: "7.3.0" },
    steps: [
      note(
        "peertube",
        "7.2.0",
        "7.3.0",
        "PeerTube 7.3.0: no IMPORTANT NOTES recorded in Socle's catalogue for the releases crossed; read https://github.com/Chocobozzz/PeerTube/blob/develop/CHANGELOG.md before applying (migrations run on first start and cannot be undone).",
      ),
      b("peertube", "7.2.0", "7.3.0"),
      up("peertube", "7.2.0", "7.3.0"),
    ],
  },
  {
    name: "wordpress site (wordpress-<slug>): the core-files note, backup, upgrade",
    current: { "wordpress-club-echecs": "6.8.2" },
    target: { "wordpress-club-echecs": "6.8.3" },
    steps: [
      note("wordpress-club-echecs", "6.8.2", "6.8.3", WORDPRESS_NOTE("6.8.3")),
      b("wordpress-club-echecs", "6.8.2", "6.8.3"),
      up("wordpress-club-echecs", "6.8.2", "6.8.3"),
    ],
  },
  {
    name: "collabora five-part version: backup, upgrade",
    current: { collabora: "24.04.17.3.1" },
    target: { collabora: "25.04.7.2.1" },
    steps: [b("collabora", "24.04.17.3.1", "25.04.7.2.1"), up("collabora", "24.04.17.3.1", "25.04.7.2.1")],
  },
  {
    name: "deployed aliases: mail → mailserver, proxy → caddy",
    current: { mail: "15.0.0", proxy: "2.10.0" },
    target: { mail: "15.1.0", proxy: "2.10.2" },
    steps: [
      b("mail", "15.0.0", "15.1.0"),
      up("mail", "15.0.0", "15.1.0"),
      b("proxy", "2.10.0", "2.10.2"),
      up("proxy", "2.10.0", "2.10.2"),
    ],
  },
  {
    name: "several services: databases, caches, SSO, apps, proxy order; unchanged ones skipped",
    current: { caddy: "2.10.0", nextcloud: "32.0.2", postgres: "17.5", redis: "7.4.6", keycloak: "26.4.5" },
    target: { caddy: "2.10.2", nextcloud: "32.0.3", postgres: "17.6", redis: "7.4.6", keycloak: "26.4.5" },
    steps: [
      b("postgres", "17.5", "17.6"),
      up("postgres", "17.5", "17.6"),
      b("nextcloud", "32.0.2", "32.0.3"),
      up("nextcloud", "32.0.2", "32.0.3"),
      b("caddy", "2.10.0", "2.10.2"),
      up("caddy", "2.10.0", "2.10.2"),
    ],
  },
  {
    name: "a service only in current is left alone",
    current: { nextcloud: "32.0.2", redis: "7.4.5" },
    target: { nextcloud: "32.0.3" },
    steps: [b("nextcloud", "32.0.2", "32.0.3"), up("nextcloud", "32.0.2", "32.0.3")],
  },
  {
    name: "unknown service in target: error",
    current: { nextcloud: "32.0.3" },
    target: { owncloud: "10.0.0" },
    error: [
      UnknownServiceError,
      'unknown service "owncloud": not in the versions catalogue (components/versions.ts)',
    ],
  },
  {
    name: "unknown service in current: error",
    current: { jitsi: "1.0.0" },
    target: {},
    error: [
      UnknownServiceError,
      'unknown service "jitsi": not in the versions catalogue (components/versions.ts)',
    ],
  },
  {
    name: "wordpress- with an invalid site slug is unknown",
    current: { "wordpress-Club": "6.8.2" },
    target: { "wordpress-Club": "6.8.3" },
    error: [
      UnknownServiceError,
      'unknown service "wordpress-Club": not in the versions catalogue (components/versions.ts)',
    ],
  },
  {
    name: "malformed target version: error",
    current: { nextcloud: "32.0.3" },
    target: { nextcloud: "latest" },
    error: [
      MalformedVersionError,
      'nextcloud: version "latest" is malformed (expected 2 to 5 numbers separated by dots, e.g. 32.0.3)',
    ],
  },
  {
    name: "a bare major is malformed",
    current: { nextcloud: "32.0.3" },
    target: { nextcloud: "33" },
    error: [
      MalformedVersionError,
      'nextcloud: version "33" is malformed (expected 2 to 5 numbers separated by dots, e.g. 32.0.3)',
    ],
  },
  {
    name: "an image tag is not a version",
    current: { nextcloud: "32.0.3-apache" },
    target: { nextcloud: "32.0.3" },
    error: [
      MalformedVersionError,
      'nextcloud: version "32.0.3-apache" is malformed (expected 2 to 5 numbers separated by dots, e.g. 32.0.3)',
    ],
  },
  {
    name: "target without a current version: error",
    current: {},
    target: { peertube: "7.3.0" },
    error: [MissingCurrentError, "peertube: no current version (not deployed, and not given with --current)"],
  },
];

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
