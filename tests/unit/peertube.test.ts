import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envOf, installMocks, labelsOf, resolve, secretPaths, settle, type Recorder } from "./mocks.js";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Platform } from "../../components/platform/platform.js";
import { publicText, upload } from "./fixtures/inspect.js";
import { demoSso } from "./fixtures/sso.js";
import { KeycloakRealm } from "../../components/apps/keycloak-realm.js";
import { memoryMbFor, PeerTube, PEERTUBE_DEFAULTS, peertubeDomain } from "../../components/apps/peertube.js";
import { renderPeertubeFollow } from "../../templates/peertube-follow.js";

const T = {
  container: "docker:index/container:Container",
  volume: "docker:index/volume:Volume",
  image: "docker:index/remoteImage:RemoteImage",
  client: "keycloak:openid/client:Client",
  bytes: "random:index/randomBytes:RandomBytes",
  password: "random:index/randomPassword:RandomPassword",
};

/**
 * The default PEERTUBE_TRUST_PROXY: loopback and the proxy alone, at its static
 * address on demo's web network (demo's networks are the platform's first: slot 1).
 */
const DEMO_TRUST = JSON.stringify(["loopback", "172.30.2.2"]);

let rec: Recorder;
let platform: Platform;
let realm: KeycloakRealm;
let pt: PeerTube;
beforeAll(async () => {
  rec = await installMocks();
  ({ platform, realm } = demoSso());
  pt = new PeerTube("demo-peertube", {
    tenant: "demo",
    domain: peertubeDomain("demo.localhost"),
    platform,
    realm,
    adminEmail: "dsi@demo.localhost",
    previousHostname: "video.demo.localhost",
    smtp: { host: "demo-mail", port: 25, from: "video@demo.localhost" },
    federation: { follow: ["video.voisine.fr"], autoFollowBack: true, redundancy: true },
    instanceName: "Vidéos de Démo",
  });
  await settle();
});

describe("PeerTube under the mock engine", () => {
  it("declares its children with names derived from its own", () => {
    const children = rec.resources
      .filter((r) => r.name.startsWith("demo-peertube"))
      .map((r) => `${r.type} ${r.name}`);
    expect(children.sort()).toEqual(
      [
        "socle:apps:PeerTube demo-peertube",
        "socle:platform:PostgresDatabase demo-peertube-db",
        "random:index/randomPassword:RandomPassword demo-peertube-db-password",
        `${T.container} demo-peertube-db-init`,
        "socle:platform:Redis demo-peertube-redis",
        "random:index/randomPassword:RandomPassword demo-peertube-redis-password",
        `${T.image} demo-peertube-redis-image`,
        `${T.container} demo-peertube-redis-container`,
        `${T.bytes} demo-peertube-secret`,
        `${T.password} demo-peertube-root-password`,
        "socle:apps:OidcClient demo-peertube-oidc",
        `${T.password} demo-peertube-oidc-secret`,
        `${T.client} demo-peertube-oidc-client`,
        "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper demo-peertube-oidc-groups",
        `${T.image} demo-peertube-image`,
        `${T.volume} demo-peertube-data`,
        `${T.volume} demo-peertube-config`,
        `${T.container} demo-peertube-app`,
        `${T.container} demo-peertube-follow`,
      ].sort(),
    );
  });

  it("creates the database with pg_trgm and unaccent (exact extension list)", () => {
    const init = rec.get(T.container, "demo-peertube-db-init");
    const script = upload(init, "/socle/db-init.sh");
    const exts = script.split("\n").filter((l) => l.startsWith("CREATE EXTENSION"));
    expect(exts).toEqual([
      'CREATE EXTENSION IF NOT EXISTS "pg_trgm";',
      'CREATE EXTENSION IF NOT EXISTS "unaccent";',
    ]);
    expect(script).toContain("\\set db demo_peertube");
    expect(PEERTUBE_DEFAULTS.extensions).toEqual(["pg_trgm", "unaccent"]);
  });

  it("runs Redis on the tenant's back-end network only, with noeviction for the job queues", () => {
    const r = rec.get(T.container, "demo-peertube-redis-container").inputs;
    expect(r.name).toBe("demo-peertube-redis");
    expect(r.networksAdvanced).toEqual([{ name: "socle-t-demo-back" }]);
    expect(JSON.stringify(r.command)).toContain("noeviction");
  });

  it("declares the app container with exact env, volumes, networks, health, entrypoint", () => {
    const c = rec.get(T.container, "demo-peertube-app");
    expect(c.inputs.name).toBe("demo-peertube");
    expect(c.inputs.image).toBe("sha256:demo-peertube-image");
    expect(rec.get(T.image, "demo-peertube-image").inputs.name).toBe("chocobozzz/peertube:v7.3.0-bookworm");
    expect(c.inputs.memory).toBe(2048);
    expect(c.inputs.ports).toBeUndefined();
    expect(c.inputs.restart).toBe("unless-stopped");
    expect(envOf(c)).toEqual({
      PEERTUBE_ADMIN_EMAIL: "dsi@demo.localhost",
      PEERTUBE_DB_HOSTNAME: "postgres",
      PEERTUBE_DB_NAME: "demo_peertube",
      PEERTUBE_DB_PASSWORD: "pw-demo-peertube-db-password",
      PEERTUBE_DB_PORT: "5432",
      PEERTUBE_DB_SSL: "false",
      PEERTUBE_DB_USERNAME: "demo_peertube",
      PEERTUBE_INSTANCE_NAME: "Vidéos de Démo",
      PEERTUBE_REDIS_AUTH: "pw-demo-peertube-redis-password",
      PEERTUBE_REDIS_HOSTNAME: "demo-peertube-redis",
      PEERTUBE_REDIS_PORT: "6379",
      PEERTUBE_SECRET: "hex-demo-peertube-secret",
      PEERTUBE_SIGNUP_ENABLED: "false",
      PEERTUBE_SMTP_DISABLE_STARTTLS: "false",
      PEERTUBE_SMTP_FROM: "video@demo.localhost",
      PEERTUBE_SMTP_HOSTNAME: "demo-mail",
      PEERTUBE_SMTP_PORT: "25",
      PEERTUBE_SMTP_TLS: "false",
      PEERTUBE_TRUST_PROXY: DEMO_TRUST,
      PEERTUBE_WEBSERVER_HOSTNAME: "video.demo.localhost",
      PEERTUBE_WEBSERVER_HTTPS: "true",
      PEERTUBE_WEBSERVER_PORT: "443",
      PT_INITIAL_ROOT_PASSWORD: "pw-demo-peertube-root-password",
      SOCLE_OIDC_CLIENT_SECRET: "pw-demo-peertube-oidc-secret",
    });
    expect(c.inputs.volumes).toEqual([
      { volumeName: "demo-peertube-data", containerPath: "/data" },
      { volumeName: "demo-peertube-config", containerPath: "/config" },
    ]);
    expect(rec.get(T.volume, "demo-peertube-data").inputs.name).toBe("demo-peertube-data");
    expect(rec.get(T.volume, "demo-peertube-config").inputs.name).toBe("demo-peertube-config");
    expect(c.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-web" }, { name: "socle-t-demo-back" }]);
    expect(c.inputs.entrypoints).toEqual(["/socle/entrypoint.sh"]);
    expect(c.inputs.command).toEqual(["node", "dist/server"]);
    expect(c.inputs.healthcheck).toEqual({
      tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9000/api/v1/ping"],
      interval: "30s",
      timeout: "10s",
      retries: 5,
      startPeriod: "5m0s",
    });
    const deps = c.dependencies ?? [];
    expect(deps.some((u) => u.endsWith("::demo-peertube-db-init"))).toBe(true);
    expect(deps.some((u) => u.endsWith("::demo-peertube-redis-container"))).toBe(true);
  });

  it("carries the backup labels of the contract exactly", () => {
    expect(labelsOf(rec.get(T.container, "demo-peertube-app"))).toEqual({
      "socle.backup.dump": "postgres:demo_peertube",
      "socle.backup.dump.container": "socle-postgres",
      "socle.backup.volumes": "demo-peertube-data,demo-peertube-config",
      "socle.health": "http:9000/api/v1/ping",
      "socle.role": "app",
      "socle.service": "peertube",
      "socle.tenant": "demo",
      "socle.version": "7.3.0",
    });
  });

  it("keeps every secret secret, and none in clear anywhere", async () => {
    const c = rec.get(T.container, "demo-peertube-app");
    // A list holding a secret is secret as a whole (the engine stores `envs` encrypted).
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    expect(await pulumi.isSecret(pt.adminPassword)).toBe(true);
    expect(secretPaths(rec.get(T.bytes, "demo-peertube-secret").raw)).toEqual([]);
    const values = [
      "pw-demo-peertube-db-password",
      "pw-demo-peertube-redis-password",
      "hex-demo-peertube-secret",
    ];
    values.push("pw-demo-peertube-root-password", "pw-demo-peertube-oidc-secret");
    for (const r of rec.resources) {
      const text = publicText(r.raw);
      for (const v of values) expect(text, `${r.name} shows ${v}`).not.toContain(v);
    }
  });

  it("registers the exact redirect URI with the realm", () => {
    const client = rec.get(T.client, "demo-peertube-oidc-client").inputs;
    expect(client.clientId).toBe("peertube");
    expect(client.validRedirectUris).toEqual([
      "https://video.demo.localhost/plugins/auth-openid-connect/router/code-cb",
    ]);
  });

  it("uploads the federation overrides, the entrypoint and the configurator", () => {
    const c = rec.get(T.container, "demo-peertube-app");
    expect((c.inputs.uploads as { file: string }[]).map((u) => u.file)).toEqual([
      "/config/local-production.yaml",
      "/socle/entrypoint.sh",
      "/socle/configure.sh",
    ]);
    const yaml = parse(upload(c, "/config/local-production.yaml")) as Record<string, Record<string, unknown>>;
    expect(yaml.followings).toEqual({
      instance: { auto_follow_back: { enabled: true }, auto_follow_index: { enabled: false, index_url: "" } },
    });
    expect(yaml.remote_redundancy).toEqual({ videos: { accept_from: "followings" } });
    const script = upload(c, "/socle/configure.sh");
    expect(script).toContain(
      "export SOCLE_DISCOVER_URL='https://sso.demo.localhost/realms/demo/.well-known/openid-configuration'",
    );
    // following is the follow job's: a new sibling never changes (replaces) the instance
    expect(script).not.toContain("server/following");
    expect(JSON.stringify(c.inputs)).not.toContain("video.voisine.fr");
  });

  it("follows the siblings from a one-shot job: the instance's image, on its web network, root's password from env", () => {
    const app = rec.get(T.container, "demo-peertube-app");
    const job = rec.get(T.container, "demo-peertube-follow");
    expect(job.inputs).toEqual({
      name: "demo-peertube-follow",
      image: "sha256:demo-peertube-image",
      restart: "no",
      mustRun: false,
      attach: true,
      logs: true,
      memory: 128,
      memorySwap: 128,
      envs: ["PT_ROOT_PASSWORD=pw-demo-peertube-root-password"],
      labels: [
        { label: "socle.role", value: "job" },
        { label: "socle.service", value: "peertube" },
        { label: "socle.tenant", value: "demo" },
      ],
      networksAdvanced: [{ name: "socle-t-demo-web" }],
      uploads: [
        {
          file: "/socle/follow.sh",
          content: renderPeertubeFollow({
            hostname: "video.demo.localhost",
            api: "http://demo-peertube:9000/api/v1",
            follow: ["video.voisine.fr"],
          }),
          executable: true,
        },
      ],
      entrypoints: ["/bin/bash", "/socle/follow.sh"],
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      wait: false,
      waitTimeout: 600,
    });
    expect(secretPaths(job.raw)).toEqual(["envs"]);
    expect(job.dependencies).toContain(app.urn);
    expect(job.options?.deleteBeforeReplace).toBe(true);
    expect(pt.follow?.job).toBeDefined();
  });

  it("routes video.<domain> to the container, with a large body limit", () => {
    expect(pt.routes).toEqual([
      {
        host: "video.demo.localhost",
        upstream: "demo-peertube:9000",
        tenant: "demo",
        service: "peertube",
        maxBodySize: "10GB",
      },
    ]);
    expect(pt.url).toBe("https://video.demo.localhost");
    expect(pt.memoryMb).toBe(2048 + 128);
    expect(memoryMbFor({})).toBe(2176);
    expect(memoryMbFor({ memoryMb: 4096, redisMemoryMb: 256 })).toBe(4352);
    expect(pt.adminUser).toBe("root");
  });

  it("exposes the admin password and the hostname as outputs", async () => {
    expect(await resolve(pt.adminPassword)).toBe("pw-demo-peertube-root-password");
    expect(pulumi.isSecret(pt.adminPassword)).toBeTruthy();
    expect(await resolve(pt.hostname)).toBe("video.demo.localhost");
  });

  it("trusts loopback and the proxy's address on its own web network, or an explicit list", async () => {
    rec.reset();
    const host = new LocalDockerHost("local-b");
    const p2 = new Platform("b-platform", { host, tenantSlots: { b: 9, c: 10 } });
    new PeerTube("b-peertube", { tenant: "b", domain: "video.b.fr", platform: p2, adminEmail: "a@b.fr" });
    new PeerTube("c-peertube", {
      tenant: "c",
      domain: "video.c.fr",
      platform: p2,
      adminEmail: "a@c.fr",
      trustProxy: ["loopback", "10.9.0.0/24"],
    });
    await settle();
    // slot 9: web network 172.30.18.0/24, the proxy at .2
    expect(envOf(rec.get(T.container, "b-peertube-app")).PEERTUBE_TRUST_PROXY).toBe(
      '["loopback","172.30.18.2"]',
    );
    expect(envOf(rec.get(T.container, "c-peertube-app")).PEERTUBE_TRUST_PROXY).toBe(
      '["loopback","10.9.0.0/24"]',
    );
    // no realm: no OIDC client and no secret env; no SMTP env
    const env = envOf(rec.get(T.container, "b-peertube-app"));
    expect(env.SOCLE_OIDC_CLIENT_SECRET).toBeUndefined();
    expect(Object.keys(env).filter((k) => k.startsWith("PEERTUBE_SMTP"))).toEqual([]);
    expect(rec.names(T.client)).toEqual([]);
    // nobody to follow: no follow job
    expect(rec.names(T.container).filter((n) => n.endsWith("-follow"))).toEqual([]);
  });
});
