import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  envOf,
  installMocks,
  labelsOf,
  resolve,
  secretPaths,
  settle,
  unwrap,
  type Recorder,
} from "./mocks.js";
import { publicText } from "./fixtures/inspect.js";
import { demoSso } from "./fixtures/sso.js";
import {
  bashHttpProbe,
  Keycloak,
  KEYCLOAK_DEFAULTS,
  keycloakReadyProbe,
  memoryMbFor,
  validateKeycloakArgs,
} from "../../components/apps/keycloak.js";
import { KeycloakRealm, validateKeycloakRealmArgs } from "../../components/apps/keycloak-realm.js";

/** A stand-in resource (the proxy the realm waits for). */
class Marker extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Marker", name, {});
  }
}
import { OidcClient, validateOidcClientArgs } from "../../components/apps/oidc-client.js";

const T = {
  container: "docker:index/container:Container",
  provider: "pulumi:providers:keycloak",
  realm: "keycloak:index/realm:Realm",
  group: "keycloak:index/group:Group",
  client: "keycloak:openid/client:Client",
  mapper: "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper",
};

let rec: Recorder;
let kc: Keycloak;
let demo: KeycloakRealm;
let client: OidcClient;
beforeAll(async () => {
  rec = await installMocks();
  ({ keycloak: kc, realm: demo } = demoSso());
  new KeycloakRealm("ville-realm", { keycloak: kc, realm: "ville", displayName: "Ville" });
  client = new OidcClient("demo-nextcloud-oidc", {
    realm: demo,
    clientId: "nextcloud",
    rootUrl: "https://cloud.demo.localhost",
    redirectUris: ["https://cloud.demo.localhost/apps/user_oidc/code"],
  });
  await settle();
});

describe("Keycloak", () => {
  it("runs the pinned image with exact env, limits, networks, health and labels", () => {
    const c = rec.get(T.container, "sso-app");
    expect(c.inputs.name).toBe("socle-keycloak");
    expect(c.inputs.image).toBe("sha256:sso-image");
    expect(rec.get("docker:index/remoteImage:RemoteImage", "sso-image").inputs.name).toBe(
      "quay.io/keycloak/keycloak:26.4.5",
    );
    expect(c.inputs.memory).toBe(1536);
    expect(c.inputs.command).toEqual(["start"]);
    expect(c.inputs.ports).toBeUndefined();
    expect(envOf(c)).toEqual({
      KC_DB: "postgres",
      KC_DB_URL: "jdbc:postgresql://postgres:5432/keycloak",
      KC_DB_USERNAME: "keycloak",
      KC_DB_PASSWORD: "pw-sso-db-password",
      KC_HOSTNAME: "https://sso.demo.localhost",
      KC_PROXY_HEADERS: "xforwarded",
      // X-Forwarded-* from the proxy only: its static address on socle-web
      KC_PROXY_TRUSTED_ADDRESSES: "172.30.0.2",
      KC_HTTP_ENABLED: "true",
      KC_HEALTH_ENABLED: "true",
      KC_BOOTSTRAP_ADMIN_USERNAME: "socle-admin",
      KC_BOOTSTRAP_ADMIN_PASSWORD: "pw-sso-admin",
      JAVA_OPTS_KC_HEAP: "-XX:MaxRAMPercentage=70 -XX:InitialRAMPercentage=50",
    });
    expect(c.inputs.networksAdvanced).toEqual([
      { name: "socle-web", aliases: ["keycloak"] },
      { name: "socle-backend" },
    ]);
    expect(c.inputs.healthcheck).toEqual({
      tests: ["CMD", "bash", "-c", keycloakReadyProbe()],
      interval: "15s",
      timeout: "10s",
      retries: 10,
      startPeriod: "2m0s",
    });
    expect(c.inputs.wait).toBe(true);
    expect(labelsOf(c)).toEqual({
      "socle.tenant": "_platform",
      "socle.service": "keycloak",
      "socle.role": "app",
      "socle.version": "26.4.5",
      "socle.backup.dump": "postgres:keycloak",
      "socle.backup.dump.container": "socle-postgres",
      "socle.health": "http:9000/health/ready",
    });
  });

  it("keeps both passwords secret and out of every clear input", async () => {
    const c = rec.get(T.container, "sso-app");
    // A list holding a secret is secret as a whole (the engine stores `envs` encrypted).
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    expect(unwrap(c.raw.envs)).toContain("KC_BOOTSTRAP_ADMIN_PASSWORD=pw-sso-admin");
    expect(secretPaths(rec.get(T.provider, "sso-provider").raw)).toContain("password");
    for (const r of rec.resources) expect(publicText(r.raw), `${r.type} ${r.name}`).not.toMatch(/pw-/);
    expect(await pulumi.isSecret(kc.adminPassword)).toBe(true);
  });

  it("declares the admin provider on the public URL as the bootstrap admin, after the container", () => {
    const p = rec.get(T.provider, "sso-provider");
    expect(p.inputs).toMatchObject({
      url: "https://sso.demo.localhost",
      realm: "master",
      clientId: "admin-cli",
      username: "socle-admin",
      password: "pw-sso-admin",
    });
    expect(String(p.inputs.tlsInsecureSkipVerify)).toBe("true"); // *.localhost: Caddy's internal CA
    expect(p.dependencies).toContain(rec.get(T.container, "sso-app").urn);
    expect(kc.url).toBe("https://sso.demo.localhost");
    expect(kc.adminUser).toBe("socle-admin");
    expect(kc.memoryMb).toBe(1536);
    expect(kc.routes).toEqual([
      {
        host: "sso.demo.localhost",
        upstream: "socle-keycloak:8080",
        tenant: "_platform",
        service: "keycloak",
      },
    ]);
  });

  it("uses the platform's database on the shared server", () => {
    expect(rec.names("docker:index/container:Container")).toContain("sso-db-init");
    expect(rec.get(T.container, "sso-db-init").inputs.name).toBe("socle-keycloak-dbinit");
  });

  it("validates args and memory with exact messages", () => {
    expect(() => validateKeycloakArgs({ domain: "SSO.x" })).toThrow(
      'Keycloak: domain "SSO.x" is not a lower-case domain name',
    );
    expect(() => validateKeycloakArgs({ domain: "sso.x.fr", version: "26" })).toThrow(
      'Keycloak: version "26" is not x.y.z',
    );
    expect(() => validateKeycloakArgs({ domain: "sso.x.fr", memoryMb: 512 })).toThrow(
      "Keycloak: memoryMb 512 is below the 768 MiB Keycloak needs to start",
    );
    expect(memoryMbFor({})).toBe(KEYCLOAK_DEFAULTS.memoryMb);
    expect(memoryMbFor({ memoryMb: 2048 })).toBe(2048);
  });
});

describe("KeycloakRealm and OidcClient", () => {
  it("declares one realm per tenant with an admins group, over the Keycloak provider", () => {
    expect(rec.byType(T.realm).map((r) => r.inputs.realm)).toEqual(["demo", "ville"]);
    const realm = rec.get(T.realm, "demo-realm-realm");
    expect(realm.inputs).toEqual({
      realm: "demo",
      displayName: "Commune de Démo",
      enabled: true,
      sslRequired: "external",
      loginWithEmailAllowed: true,
      duplicateEmailsAllowed: false,
      resetPasswordAllowed: true,
      registrationAllowed: false,
      internationalization: { supportedLocales: ["fr", "en"], defaultLocale: "fr" },
    });
    expect(realm.provider).toMatch(/::sso-provider::/);
    expect(rec.byType(T.group).map((g) => [g.name, g.inputs])).toEqual([
      ["demo-realm-admins", { realmId: "demo-realm-realm-id", name: "admins" }],
      ["ville-realm-admins", { realmId: "ville-realm-realm-id", name: "admins" }],
    ]);
    expect(demo.issuerUrl).toBe("https://sso.demo.localhost/realms/demo");
    expect(demo.discoveryUrl).toBe("https://sso.demo.localhost/realms/demo/.well-known/openid-configuration");
    expect(demo.adminsGroup).toBe("admins");
  });

  it("declares a confidential client with exact redirect URIs and a secret known to Pulumi", async () => {
    const c = rec.get(T.client, "demo-nextcloud-oidc-client");
    expect(c.inputs).toEqual({
      realmId: "demo-realm-realm-id",
      clientId: "nextcloud",
      name: "nextcloud",
      enabled: true,
      accessType: "CONFIDENTIAL",
      clientSecret: "pw-demo-nextcloud-oidc-secret",
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      rootUrl: "https://cloud.demo.localhost",
      baseUrl: "https://cloud.demo.localhost",
      validRedirectUris: ["https://cloud.demo.localhost/apps/user_oidc/code"],
      validPostLogoutRedirectUris: [],
      webOrigins: ["https://cloud.demo.localhost"],
    });
    expect(secretPaths(c.raw)).toEqual(["clientSecret"]);
    expect(c.provider).toMatch(/::sso-provider::/);
    expect(await pulumi.isSecret(client.clientSecret)).toBe(true);
    expect(await resolve(client.clientSecret)).toBe("pw-demo-nextcloud-oidc-secret");
    expect(rec.get(T.mapper, "demo-nextcloud-oidc-groups").inputs).toEqual({
      realmId: "demo-realm-realm-id",
      clientId: "demo-nextcloud-oidc-client-id",
      name: "groups",
      claimName: "groups",
      fullPath: false,
      addToIdToken: true,
      addToAccessToken: true,
      addToUserinfo: true,
    });
  });

  it("forwards the realm's dependsOn (the proxy) to its children and its clients' children", async () => {
    const marker = new Marker("proxy-marker");
    const r = new KeycloakRealm(
      "late-realm",
      { keycloak: kc, realm: "late", displayName: "Late" },
      { dependsOn: [marker] },
    );
    new OidcClient("late-client", {
      realm: r,
      clientId: "wp",
      rootUrl: "https://site.late.fr",
      redirectUris: ["https://site.late.fr/cb"],
    });
    await settle();
    const urn = rec.get("test:index:Marker", "proxy-marker").urn;
    for (const [type, name] of [
      [T.realm, "late-realm-realm"],
      [T.group, "late-realm-admins"],
      [T.client, "late-client-client"],
      [T.mapper, "late-client-groups"],
    ] as const) {
      expect(rec.get(type, name).dependencies, name).toContain(urn);
    }
  });

  it("accepts a proxy declared later (a promise in dependsOn), as the composition needs", async () => {
    let declareProxy: (r: pulumi.Resource) => void = () => undefined;
    const proxy = new Promise<pulumi.Resource>((r) => (declareProxy = r));
    const r = new KeycloakRealm(
      "deferred-realm",
      { keycloak: kc, realm: "deferred", displayName: "D" },
      { dependsOn: [proxy] },
    );
    new OidcClient("deferred-client", {
      realm: r,
      clientId: "app",
      rootUrl: "https://a.d.fr",
      redirectUris: ["https://a.d.fr/cb"],
    });
    declareProxy(new Marker("later-proxy"));
    await settle();
    const urn = rec.get("test:index:Marker", "later-proxy").urn;
    expect(rec.get(T.realm, "deferred-realm-realm").dependencies).toContain(urn);
    expect(rec.get(T.client, "deferred-client-client").dependencies).toContain(urn);
  });

  it("refuses bad realms and clients with exact messages", () => {
    expect(() => validateKeycloakRealmArgs({ realm: "Demo", displayName: "x" })).toThrow(
      'KeycloakRealm: realm "Demo" must be a tenant slug ([a-z0-9-], 1-63 chars)',
    );
    expect(() => validateKeycloakRealmArgs({ realm: "master", displayName: "x" })).toThrow(
      'KeycloakRealm: realm "master" is Keycloak\'s own admin realm',
    );
    const ok = {
      clientId: "nextcloud",
      rootUrl: "https://cloud.x.fr",
      redirectUris: ["https://cloud.x.fr/cb"],
    };
    expect(() => validateOidcClientArgs({ ...ok, redirectUris: [] })).toThrow(
      "OidcClient nextcloud: at least one redirect URI is required",
    );
    expect(() => validateOidcClientArgs({ ...ok, redirectUris: ["https://cloud.x.fr/*"] })).toThrow(
      'OidcClient nextcloud: redirect URI "https://cloud.x.fr/*" must be exact (no wildcard)',
    );
    expect(() => validateOidcClientArgs({ ...ok, redirectUris: ["https://evil.fr/cb"] })).toThrow(
      'OidcClient nextcloud: redirect URI "https://evil.fr/cb" is not under https://cloud.x.fr',
    );
    expect(() => validateOidcClientArgs({ ...ok, rootUrl: "http://cloud.x.fr" })).toThrow(
      'OidcClient nextcloud: rootUrl "http://cloud.x.fr" must be https://<host> without a path',
    );
  });
});

describe("the readiness probe (real bash against a real HTTP server)", () => {
  it("passes bash -n and succeeds only on 200", async () => {
    execFileSync("bash", ["-n", "-c", keycloakReadyProbe()]);
    let status = 503;
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(status, { "content-type": "application/json" }).end('{"status":"DOWN"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const run = () =>
      new Promise<number>((r) => {
        import("node:child_process").then(({ spawn }) =>
          spawn("bash", ["-c", bashHttpProbe(port, "/health/ready")], { stdio: "ignore" }).on("exit", (c) =>
            r(c ?? -1),
          ),
        );
      });
    try {
      expect(await run()).not.toBe(0);
      status = 200;
      expect(await run()).toBe(0);
      expect(seen).toEqual(["GET /health/ready", "GET /health/ready"]);
    } finally {
      server.close();
    }
    const closed = await new Promise<number>((r) =>
      import("node:child_process").then(({ spawn }) =>
        spawn("bash", ["-c", bashHttpProbe(1, "/health/ready")], { stdio: "ignore" }).on("exit", (c) =>
          r(c ?? -1),
        ),
      ),
    );
    expect(closed).not.toBe(0);
  });
});
