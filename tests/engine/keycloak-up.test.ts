/**
 * The real engine with a real Keycloak: `pulumi up` of Keycloak (Maven
 * Central's distribution on Debian, socle-test/keycloak) on the platform's
 * PostgreSQL, behind the real proxy (Debian's Caddy, `tls internal` on
 * sso.socle.localhost), with the operators' group and two towns' realms, each
 * with an OIDC client, created by Socle's keycloak provider over the admin
 * REST API. Then a no-change preview, single sign-on for real (the
 * authorization-code flow through Keycloak's login form, TLS verified against
 * the deployment's CA), the isolation of the towns, and a destroy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { imageRef } from "../../components/versions.js";
import {
  clearEngine,
  engineObjects,
  Project,
  ROOT,
  startRegistry,
  toolchainDir,
  until,
  type Registry,
} from "./harness.js";
import { Browser, claims, exchange, login } from "./oidc.js";

const q = $({ quiet: true });
const qn = $({ quiet: true, nothrow: true });
const SSO = "sso.socle.localhost";
const TOWNS = ["town-a", "town-b"] as const;
const redirect = (town: string) => `https://app.${town}.localhost/callback`;

const program = (registry: string) => `
import * as pulumi from "@pulumi/pulumi";
import { LocalDockerHost } from "${ROOT}/components/hosts/local-docker-host.js";
import { Platform } from "${ROOT}/components/platform/platform.js";
import { ReverseProxy } from "${ROOT}/components/platform/proxy.js";
import { Keycloak } from "${ROOT}/components/apps/keycloak.js";
import { KeycloakOperators } from "${ROOT}/components/apps/keycloak-operators.js";
import { KeycloakRealm } from "${ROOT}/components/apps/keycloak-realm.js";
import { OidcClient } from "${ROOT}/components/apps/oidc-client.js";

const cfg = new pulumi.Config("test");
const host = new LocalDockerHost("local", { memoryMb: 8192, imageRegistry: "${registry}" });
const platform = new Platform("local-platform", { host, sharedNames: ["${SSO}"] });
const keycloak = new Keycloak("keycloak", { platform, domain: "${SSO}" });
const proxy = new ReverseProxy("local-proxy", {
  host, web: platform.web, dataVolume: platform.proxyData, address: platform.proxyAddress,
  routes: keycloak.routes,
});
platform.attachProxy(proxy);
new KeycloakOperators("operators", { keycloak }, { dependsOn: [proxy.routesJob] });
export const secrets: Record<string, pulumi.Output<string>> = {};
for (const town of ${JSON.stringify(TOWNS)}) {
  const realm = new KeycloakRealm(
    town + "-realm",
    { keycloak, realm: town, displayName: cfg.get(town + "-name") ?? "Commune " + town },
    { dependsOn: [proxy.routesJob] },
  );
  const app = new OidcClient(town + "-app", {
    realm, clientId: "app", rootUrl: "https://app." + town + ".localhost",
    redirectUris: ["https://app." + town + ".localhost/callback"],
  });
  secrets[town] = pulumi.secret(app.clientSecret);
}
export const adminPassword = pulumi.secret(keycloak.adminPassword);
`;

let registry: Registry;
let project: Project;
let browser: Browser;
let admin: string;
const figures: Record<string, number> = {};

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const r = await f();
  figures[what] = (Date.now() - t0) / 1000;
  return r;
}

/** A token of the master realm's bootstrap admin, for the test's own setup (users). */
async function adminToken(): Promise<string> {
  const out = await project.outputs();
  const r = await browser.send("POST", `https://${SSO}/realms/master/protocol/openid-connect/token`, {
    form: {
      grant_type: "password",
      client_id: "admin-cli",
      username: "socle-admin",
      password: String(out.adminPassword),
    },
  });
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { access_token: string }).access_token;
}

async function api(method: string, path: string, token: string, body?: unknown) {
  const r = await fetchJson(method, `https://${SSO}/admin/realms${path}`, token, body);
  return r;
}

/** JSON over the Browser (its TLS trust and name resolution). */
async function fetchJson(method: string, url: string, token: string, body?: unknown) {
  const { request } = await import("node:https");
  const u = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; json: unknown; location: string }>((done, fail) => {
    const req = request(
      {
        method,
        host: u.hostname,
        port: 443,
        path: u.pathname + u.search,
        servername: u.hostname,
        ca: caPem,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        lookup: (_h, _o, cb) => cb(null, [{ address: "127.0.0.1", family: 4 }]),
      },
      (res) => {
        let data = "";
        res.on("data", (d: Buffer) => (data += d.toString()));
        res.on("end", () =>
          done({
            status: res.statusCode ?? 0,
            json: data ? (JSON.parse(data) as unknown) : null,
            location: String(res.headers.location ?? ""),
          }),
        );
      },
    );
    req.on("error", fail);
    if (payload) req.write(payload);
    req.end();
  });
}

let caPem = "";

async function createUser(token: string, realm: string, username: string, groups: string[] = []) {
  const r = await api("POST", `/${realm}/users`, token, {
    username,
    enabled: true,
    email: `${username}@${realm}.example`,
    emailVerified: true,
    firstName: username,
    lastName: realm,
    groups,
    credentials: [{ type: "password", value: `${username}-password`, temporary: false }],
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
}

beforeAll(async () => {
  const toolchain = toolchainDir();
  await clearEngine("socle-");
  registry = await startRegistry();
  await registry.push("socle-test/pg", imageRef("postgres"));
  await registry.push("socle-test/mariadb", imageRef("mariadb"));
  await registry.push("socle-test/keycloak", imageRef("keycloak"));
  await registry.push("socle-test/caddy", imageRef("caddy"));
  await registry.push("socle-test/docker-cli", imageRef("dockercli"));
  project = new Project("keycloak", program(registry.address), toolchain);
  await project.init();
});

afterAll(async () => {
  if (process.env.SOCLE_KEEP_ENGINE === "1") return console.log(`kept: ${project?.dir} (registry stopped)`);
  console.log(`engine figures, keycloak stack (s): ${JSON.stringify(figures)}`);
  await project?.pulumi("destroy", "--yes", "--skip-preview");
  const left = await engineObjects("socle-");
  await qn`docker rm -f ${left.containers}`;
  await qn`docker volume rm ${left.volumes}`;
  await qn`docker network rm ${left.networks}`;
  project?.remove();
  await registry?.stop();
});

describe("Keycloak on the real engine: realms and clients by Socle's keycloak provider", () => {
  it("pulumi up creates Keycloak, the proxy, the operators and both towns' realms and clients", async () => {
    const out = await timed("up", () => project.ok("up", "--yes", "--skip-preview"));
    expect(out).toMatch(/\+ \d+ created/);
    const objects = await engineObjects("socle-");
    expect(objects.containers).toEqual(
      expect.arrayContaining(["socle-keycloak", "socle-proxy", "socle-postgres"]),
    );
    caPem = (await q`docker exec socle-proxy cat /data/caddy/pki/authorities/local/root.crt`).stdout;
    browser = new Browser(caPem);
    admin = await adminToken();
  });

  it("each realm exists as declared, with its admins group holding user management only", async () => {
    for (const town of TOWNS) {
      const realm = (await api("GET", `/${town}`, admin)).json as Record<string, unknown>;
      expect(realm).toMatchObject({
        realm: town,
        displayName: `Commune ${town}`,
        enabled: true,
        sslRequired: "external",
        registrationAllowed: false,
        internationalizationEnabled: true,
        defaultLocale: "fr",
      });
      const groups = (await api("GET", `/${town}/groups`, admin)).json as { id: string; name: string }[];
      expect(groups.map((g) => g.name)).toEqual(["admins"]);
      const roles = (await api("GET", `/${town}/groups/${groups[0]!.id}/role-mappings`, admin)).json as {
        clientMappings: Record<string, { mappings: { name: string }[] }>;
      };
      expect(roles.clientMappings["realm-management"]!.mappings.map((r) => r.name).sort()).toEqual([
        "manage-users",
        "query-groups",
        "query-users",
        "view-users",
      ]);
      const clients = (await api("GET", `/${town}/clients?clientId=app`, admin)).json as Record<
        string,
        unknown
      >[];
      expect(clients).toHaveLength(1);
      expect(clients[0]).toMatchObject({
        clientId: "app",
        publicClient: false,
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        redirectUris: [redirect(town)],
      });
    }
    const ops = (await api("GET", `/master/groups?search=operators`, admin)).json as {
      id: string;
      name: string;
    }[];
    expect(ops.map((g) => g.name)).toEqual(["operators"]);
    const opsRoles = (await api("GET", `/master/groups/${ops[0]!.id}/role-mappings/realm`, admin)).json as {
      name: string;
    }[];
    expect(opsRoles.map((r) => r.name)).toEqual(["admin"]);
  });

  it("a second up changes nothing: pulumi preview --expect-no-changes passes (invokes and diffs included)", async () => {
    const r = await timed("noChange", () => project.pulumi("preview", "--expect-no-changes", "--diff"));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it("a town user signs in through Keycloak's login form; the ID token is the town realm's", async () => {
    await createUser(admin, "town-a", "alice");
    const secrets = (await project.outputs()).secrets as Record<string, string>;
    const issuer = `https://${SSO}/realms/town-a`;
    const client = { id: "app", secret: secrets["town-a"]!, redirectUri: redirect("town-a") };
    const flow = await login(new Browser(caPem), issuer, client, {
      username: "alice",
      password: "alice-password",
    });
    expect(flow.page?.body ?? "", `status ${flow.page?.status}`).toBe("");
    const tokens = await exchange(browser, issuer, client, flow.code!);
    expect(claims(tokens.id_token!)).toMatchObject({
      iss: issuer,
      aud: "app",
      preferred_username: "alice",
      nonce: "socle-test-nonce",
    });
  });

  it("a user of town A is refused by town B's client", async () => {
    const secrets = (await project.outputs()).secrets as Record<string, string>;
    const issuer = `https://${SSO}/realms/town-b`;
    const client = { id: "app", secret: secrets["town-b"]!, redirectUri: redirect("town-b") };
    const flow = await login(new Browser(caPem), issuer, client, {
      username: "alice",
      password: "alice-password",
    });
    expect(flow.code).toBeUndefined();
    expect(flow.page!.status).toBe(200);
    // The realm's default locale is French (REALM_DEFAULTS): the login form says so, in French.
    expect(flow.page!.body).toContain("Nom d&#39;utilisateur ou mot de passe invalide.");
  });

  it("a delegated admin of town A manages town A's users and gets 403 on town B's realm", async () => {
    const groups = (await api("GET", `/town-a/groups`, admin)).json as { id: string; name: string }[];
    await createUser(admin, "town-a", "adele", ["/admins"]);
    expect(groups.map((g) => g.name)).toEqual(["admins"]);
    const r = await browser.send("POST", `https://${SSO}/realms/town-a/protocol/openid-connect/token`, {
      form: { grant_type: "password", client_id: "admin-cli", username: "adele", password: "adele-password" },
    });
    expect(r.status, r.body).toBe(200);
    const token = (JSON.parse(r.body) as { access_token: string }).access_token;
    expect((await api("GET", "/town-a/users?username=alice", token)).status).toBe(200);
    expect((await api("GET", "/town-b/users", token)).status).toBe(403);
    expect((await api("GET", "/town-a/clients", token)).status).toBe(403);
    expect((await api("PUT", "/town-a", token, { displayName: "taken over" })).status).toBe(403);
  });

  it("a changed display name updates that realm in place, and nothing else", async () => {
    await project.ok("config", "set", "test:town-b-name", "Commune de Bé");
    const out = await project.ok("up", "--yes", "--skip-preview");
    expect(out).toMatch(/~ 1 updated/);
    expect(out).not.toMatch(/created|replaced|deleted/);
    const realm = (await api("GET", "/town-b", await adminToken())).json as { displayName: string };
    expect(realm.displayName).toBe("Commune de Bé");
  });

  it("Keycloak down during up: the update fails naming Keycloak, and completes once it is back", async () => {
    await q`docker stop socle-keycloak`;
    await project.ok("config", "set", "test:town-b-name", "Commune B");
    const down = await timed("keycloakDown", () => project.pulumi("up", "--yes", "--skip-preview"));
    expect(down.exitCode).not.toBe(0);
    expect(down.stdout + down.stderr).toMatch(/Keycloak at https:\/\/sso\.socle\.localhost is unreachable/);
    await q`docker start socle-keycloak`;
    await until(
      "Keycloak healthy again",
      async () =>
        (await q`docker inspect --format ${"{{.State.Health.Status}}"} socle-keycloak`).stdout.trim() ===
        "healthy",
      240,
    );
    const out = await project.ok("up", "--yes", "--skip-preview");
    expect(out).toMatch(/~ 1 updated/);
  });

  it("destroy deletes the realms through the API, then every Socle container and network", async () => {
    const out = await timed("destroy", () => project.ok("destroy", "--yes", "--skip-preview"));
    expect(out).toMatch(/- \d+ deleted/);
    const objects = await engineObjects("socle-");
    expect(objects.containers).toEqual([]);
    expect(objects.networks).toEqual([]);
  });
});
