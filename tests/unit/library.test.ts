/** The package as a library: the public names exist, and importing declares nothing. */
import { describe, expect, it } from "vitest";
import { installMocks, settle } from "./mocks.js";

describe('import … from "socle"', () => {
  it("exports every component class and declares no resource on import", async () => {
    const rec = await installMocks();
    const socle = await import("../../index.js");
    await settle();
    expect(rec.resources).toEqual([]);
    for (const name of [
      "LocalDockerHost",
      "ProxmoxDockerHost",
      "Platform",
      "PostgresServer",
      "PostgresDatabase",
      "MariadbServer",
      "MariadbDatabase",
      "Redis",
      "Memcached",
      "ReverseProxy",
      "Keycloak",
      "KeycloakRealm",
      "KeycloakOperators",
      "OidcClient",
      "Nextcloud",
      "Collabora",
      "Sogo",
      "SogoDirectory",
      "Mail",
      "PeerTube",
      "PeerTubeChannel",
      "WordPressSite",
    ]) {
      expect(typeof (socle as Record<string, unknown>)[name], name).toBe("function");
    }
    expect(socle.LABELS.tenant).toBe("socle.tenant");
    expect(socle.imageRef("nextcloud")).toMatch(/^nextcloud:\d+\.\d+\.\d+-apache$/);
  });
});
