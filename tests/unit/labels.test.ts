import { describe, expect, it } from "vitest";
import {
  DATABASE_RE,
  LABELS,
  NAME_RE,
  PLATFORM_TENANT,
  VOLUME_RE,
  isPlatformDatabaseServer,
  parseDump,
  serviceDatabase,
  socleLabels,
} from "../../components/labels.js";
import { wordpressDatabaseName } from "../../components/apps/wordpress-site.js";
import { KEYCLOAK_DEFAULTS } from "../../components/apps/keycloak.js";

const labels = (spec: Parameters<typeof socleLabels>[0]) =>
  Object.fromEntries(socleLabels(spec).map((l) => [l.label, l.value]));

describe("the label contract's names", () => {
  it("derives each service's own database as the components name it", () => {
    expect(serviceDatabase("demo", "nextcloud")).toBe("demo_nextcloud");
    expect(serviceDatabase("saint-denis", "peertube")).toBe("saint_denis_peertube");
    expect(serviceDatabase("demo", "sogo")).toBe("demo_sogo");
    expect(serviceDatabase("demo", "wordpress-club-echecs")).toBe("demo_assos_club_echecs");
    expect(wordpressDatabaseName("saint-denis", "club-echecs")).toBe("saint_denis_assos_club_echecs");
    expect(serviceDatabase(PLATFORM_TENANT, "keycloak")).toBe("keycloak");
    expect(KEYCLOAK_DEFAULTS.database).toBe("keycloak");
  });

  it("recognises the platform's shared database servers only", () => {
    const server = labels({ tenant: PLATFORM_TENANT, service: "postgres", role: "db" });
    expect(isPlatformDatabaseServer(server, "postgres")).toBe(true);
    expect(isPlatformDatabaseServer(server, "mariadb")).toBe(false);
    expect(
      isPlatformDatabaseServer(labels({ tenant: "b", service: "postgres", role: "db" }), "postgres"),
    ).toBe(false);
    expect(
      isPlatformDatabaseServer(
        labels({ tenant: PLATFORM_TENANT, service: "postgres", role: "app" }),
        "postgres",
      ),
    ).toBe(false);
    expect(isPlatformDatabaseServer({ [LABELS.role]: "db", [LABELS.service]: "postgres" }, "postgres")).toBe(
      false,
    );
  });

  it("name grammars refuse what could reach a mount option, a tag list or a shell", () => {
    for (const bad of ["a,type=bind", "a=b", "../x", "a b", "-v", "*", "a/b", ""]) {
      expect(VOLUME_RE.test(bad)).toBe(false);
    }
    expect(VOLUME_RE.test("demo-nextcloud-data")).toBe(true);
    for (const bad of ["x,kind=manifest", "a b", "-x", "a/b", "a\nb"]) expect(NAME_RE.test(bad)).toBe(false);
    expect(NAME_RE.test(PLATFORM_TENANT)).toBe(true);
    for (const bad of ["a;drop", "a b", "a.b", "a`b"]) expect(DATABASE_RE.test(bad)).toBe(false);
    expect(() => parseDump("postgres:a\nb")).toThrow('socle.backup.dump: "postgres:a\nb" is not');
  });
});
