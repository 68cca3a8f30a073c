import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { envOf, installMocks, labelsOf, resolve, secretPaths, settle, type Recorder } from "./mocks.js";
import { publicText } from "./fixtures/inspect.js";
import { demoSso } from "./fixtures/sso.js";
import { KeycloakRealm } from "../../components/apps/keycloak-realm.js";
import {
  defaultOfficeDomain,
  memoryMbFor,
  Nextcloud,
  NEXTCLOUD_BACKUP,
  NEXTCLOUD_HEALTH_PHP,
  nextcloudHealthPhp,
  validateNextcloudArgs,
} from "../../components/apps/nextcloud.js";
import { renderNextcloudHook } from "../../templates/nextcloud-hooks.js";
import { renderNextcloudFederation } from "../../templates/nextcloud-federation.js";
import { toolPath } from "../templates/tools.js";

const C = "docker:index/container:Container";
/**
 * Who may set X-Forwarded-For: the proxy alone, at its static address on demo's
 * web network (demo asks for its networks first: slot 1, 172.30.2.0/24; ville
 * second: 172.30.4.0/24). WOPI calls (Collabora, through the proxy) are allowed
 * from demo's web subnet only.
 */
const DEMO_PROXY = "172.30.2.2";
const DEMO_WEB = "172.30.2.0/24";

let rec: Recorder;
let demo: Nextcloud;
let ville: Nextcloud;
beforeAll(async () => {
  rec = await installMocks();
  const { platform, keycloak: kc, realm } = demoSso("Démo");
  const villeRealm = new KeycloakRealm("ville-realm", { keycloak: kc, realm: "ville", displayName: "Ville" });
  demo = new Nextcloud("demo-nextcloud", {
    tenant: "demo",
    domain: "cloud.demo.localhost",
    platform,
    realm,
    federation: { trustedServers: ["https://cloud.ville.fr"] },
  });
  ville = new Nextcloud("ville-nextcloud", {
    tenant: "ville",
    domain: "cloud.ville.fr",
    platform,
    realm: villeRealm,
    office: false,
    memoryMb: { app: 2048 },
  });
  await settle();
});

const demoRuntime = {
  POSTGRES_HOST: "postgres:5432",
  POSTGRES_DB: "demo_nextcloud",
  POSTGRES_USER: "demo_nextcloud",
  POSTGRES_PASSWORD: "pw-demo-nextcloud-db-password",
  REDIS_HOST: "demo-nextcloud-redis",
  REDIS_HOST_PORT: "6379",
  REDIS_HOST_PASSWORD: "pw-demo-nextcloud-redis-password",
  NEXTCLOUD_TRUSTED_DOMAINS: "cloud.demo.localhost",
  TRUSTED_PROXIES: DEMO_PROXY,
  OVERWRITEPROTOCOL: "https",
  OVERWRITEHOST: "cloud.demo.localhost",
  OVERWRITECLIURL: "https://cloud.demo.localhost",
  APACHE_DISABLE_REWRITE_IP: "1",
  PHP_UPLOAD_LIMIT: "10G",
};

describe("Nextcloud", () => {
  it("app container: pinned image, exact env, networks, limits, health", () => {
    const app = rec.get(C, "demo-nextcloud-app");
    expect(app.inputs.name).toBe("demo-nextcloud");
    expect(rec.get("docker:index/remoteImage:RemoteImage", "demo-nextcloud-image").inputs.name).toBe(
      "nextcloud:32.0.3-apache",
    );
    expect(app.inputs.memory).toBe(1024);
    expect(app.inputs.ports).toBeUndefined();
    expect(envOf(app)).toEqual({
      ...demoRuntime,
      NEXTCLOUD_ADMIN_USER: "admin",
      NEXTCLOUD_ADMIN_PASSWORD: "pw-demo-nextcloud-admin",
      SOCLE_OIDC_CLIENT_SECRET: "pw-demo-nextcloud-oidc-secret",
    });
    // its own web network (proxy, egress) and back-end network (its Redis, the database server)
    expect(app.inputs.networksAdvanced).toEqual([
      { name: "socle-t-demo-web" },
      { name: "socle-t-demo-back" },
    ]);
    // ville: its own networks and its own proxy address, none of demo's
    const villeApp = rec.get(C, "ville-nextcloud-app");
    expect(villeApp.inputs.networksAdvanced).toEqual([
      { name: "socle-t-ville-web" },
      { name: "socle-t-ville-back" },
    ]);
    expect(envOf(villeApp).TRUSTED_PROXIES).toBe("172.30.4.2");
    expect(app.inputs.healthcheck).toEqual({
      tests: ["CMD", "php", "-r", NEXTCLOUD_HEALTH_PHP],
      interval: "30s",
      timeout: "10s",
      retries: 10,
      startPeriod: "5m0s",
    });
    expect(NEXTCLOUD_HEALTH_PHP).toBe(
      '$s=json_decode((string)@file_get_contents("http://localhost/status.php"),true);' +
        'exit(is_array($s)&&($s["installed"]??null)===true&&($s["maintenance"]??null)===false?0:1);',
    );
  });

  it("labels: maintenance mode around the copy as www-data, dump on the shared server, both volumes", () => {
    expect(labelsOf(rec.get(C, "demo-nextcloud-app"))).toEqual({
      "socle.tenant": "demo",
      "socle.service": "nextcloud",
      "socle.role": "app",
      "socle.version": "32.0.3",
      "socle.backup.volumes": "demo-nextcloud-html,demo-nextcloud-data",
      "socle.backup.dump": "postgres:demo_nextcloud",
      "socle.backup.dump.container": "socle-postgres",
      "socle.backup.pre": "runuser -u www-data -- php /var/www/html/occ maintenance:mode --on",
      "socle.backup.post": "runuser -u www-data -- php /var/www/html/occ maintenance:mode --off",
      "socle.backup.restore.post":
        "runuser -u www-data -- php /var/www/html/occ maintenance:data-fingerprint && " +
        "runuser -u www-data -- php /var/www/html/occ maintenance:mode --off",
      "socle.health": `cmd:php -r '${NEXTCLOUD_HEALTH_PHP}'`,
    });
    expect(NEXTCLOUD_BACKUP.pre).not.toContain("'");
  });

  it("cron container: /cron.sh on exactly the app's volumes, no admin or OIDC secret", () => {
    const app = rec.get(C, "demo-nextcloud-app");
    const cron = rec.get(C, "demo-nextcloud-cron");
    expect(cron.inputs.name).toBe("demo-nextcloud-cron");
    expect(cron.inputs.entrypoints).toEqual(["/cron.sh"]);
    expect(cron.inputs.image).toBe(app.inputs.image);
    expect(cron.inputs.volumes).toEqual(app.inputs.volumes);
    expect(app.inputs.volumes).toEqual([
      { volumeName: "demo-nextcloud-html", containerPath: "/var/www/html" },
      { volumeName: "demo-nextcloud-data", containerPath: "/var/www/html/data" },
    ]);
    expect(cron.inputs.networksAdvanced).toEqual(app.inputs.networksAdvanced);
    expect(cron.inputs.memory).toBe(512);
    expect(envOf(cron)).toEqual(demoRuntime);
    expect(labelsOf(cron)).toEqual({
      "socle.tenant": "demo",
      "socle.service": "nextcloud",
      "socle.role": "app",
      "socle.version": "32.0.3",
    });
    expect(cron.inputs.uploads).toBeUndefined();
  });

  it("Redis per instance on the tenant's back-end network, database on the shared server through it", () => {
    const redis = rec.get(C, "demo-nextcloud-redis-container");
    expect(redis.inputs.name).toBe("demo-nextcloud-redis");
    expect(redis.inputs.memory).toBe(128);
    expect(redis.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-back" }]);
    const init = rec.get(C, "demo-nextcloud-db-init");
    expect(init.inputs.name).toBe("demo-nextcloud-dbinit");
    expect(init.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-back" }]);
    expect(init.dependencies).toContain(rec.get(C, "demo-network-postgres").urn);
  });

  it("uploads the rendered hook (exact) to both hook folders, with no secret in it", async () => {
    const app = rec.get(C, "demo-nextcloud-app");
    const expected = renderNextcloudHook({
      url: "https://cloud.demo.localhost",
      phoneRegion: "FR",
      insecureTls: true,
      office: { wopiUrl: "https://office.demo.localhost", wopiAllowlist: [DEMO_WEB] },
      oidc: {
        provider: "keycloak",
        clientId: "nextcloud",
        discoveryUri: "https://sso.demo.localhost/realms/demo/.well-known/openid-configuration",
      },
    });
    expect(app.inputs.uploads).toEqual([
      {
        file: "/docker-entrypoint-hooks.d/post-installation/50-socle-config.sh",
        content: expected,
        executable: true,
      },
      {
        file: "/docker-entrypoint-hooks.d/before-starting/50-socle-config.sh",
        content: expected,
        executable: true,
      },
    ]);
    expect(secretPaths(app.raw).filter((p) => p.startsWith("uploads"))).toEqual([]);
    expect(expected).not.toMatch(/pw-/);
    expect(expected).toContain('--clientsecret="${SOCLE_OIDC_CLIENT_SECRET:?');
    // the trusted servers are the federation job's, not the app's: a new sibling never replaces the app
    expect(JSON.stringify(app.inputs)).not.toContain("cloud.ville.fr");
  });

  it("federation job: one-shot, the app's image, volumes, networks and runtime env, as www-data", () => {
    const app = rec.get(C, "demo-nextcloud-app");
    const job = rec.get(C, "demo-nextcloud-federation");
    expect(job.inputs).toEqual({
      name: "demo-nextcloud-federation",
      image: app.inputs.image,
      restart: "no",
      mustRun: false,
      attach: true,
      logs: true,
      memory: 256,
      memorySwap: 256,
      envs: rec.get(C, "demo-nextcloud-cron").inputs.envs,
      labels: [
        { label: "socle.role", value: "job" },
        { label: "socle.service", value: "nextcloud" },
        { label: "socle.tenant", value: "demo" },
      ],
      networksAdvanced: app.inputs.networksAdvanced,
      volumes: app.inputs.volumes,
      uploads: [
        {
          file: "/socle/nextcloud-federation.sh",
          content: renderNextcloudFederation({
            url: "https://cloud.demo.localhost",
            trustedServers: ["https://cloud.ville.fr"],
          }),
          executable: true,
        },
      ],
      entrypoints: ["/bin/bash", "/socle/nextcloud-federation.sh"],
      user: "www-data",
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      wait: false,
      waitTimeout: 600,
    });
    // same database / Redis / proxy env as the cron container: no admin password, no OIDC secret
    expect(envOf(job)).toEqual(demoRuntime);
    expect(secretPaths(job.raw)).toEqual(["envs"]);
    // after the app (created healthy, hence installed); replaced by delete first (fixed name)
    expect(job.dependencies).toContain(app.urn);
    expect(job.options?.deleteBeforeReplace).toBe(true);
    expect(job.parent).toBe(rec.get("socle:apps:Nextcloud", "demo-nextcloud").urn);
    expect(demo.federation?.job).toBeDefined();
    // no trusted server, no job
    expect(ville.federation).toBeUndefined();
    expect(rec.names(C).filter((n) => n.startsWith("ville-nextcloud-federation"))).toEqual([]);
  });

  it("federation job: a non-zero exit fails the deployment with the job's name and logs", async () => {
    expect(await resolve(demo.federation!.applied)).toBe(true); // the mock engine reports no exit code
    const { checkInitExit } = await import("../../components/platform/init-job.js");
    expect(() => checkInitExit("demo-nextcloud-federation", 1, "trusting the federation servers")).toThrow(
      "demo-nextcloud-federation: trusting the federation servers failed with exit code 1; " +
        "read `docker logs demo-nextcloud-federation`, fix the cause, then `docker rm demo-nextcloud-federation` " +
        "and run `pulumi up --refresh`",
    );
  });

  it("secrets: only as secrets, never in clear in any input of any resource", async () => {
    for (const r of rec.resources) expect(publicText(r.raw), `${r.type} ${r.name}`).not.toMatch(/pw-/);
    expect(secretPaths(rec.get(C, "demo-nextcloud-app").raw)).toEqual(["envs"]);
    expect(await pulumi.isSecret(demo.adminPassword)).toBe(true);
    expect(await resolve(demo.adminPassword)).toBe("pw-demo-nextcloud-admin");
    expect(demo.adminUser).toBe("admin");
  });

  it("OIDC client in the tenant's realm with the exact user_oidc redirect URI", () => {
    const client = rec.get("keycloak:openid/client:Client", "demo-nextcloud-oidc-client");
    expect(client.inputs.realmId).toBe("demo-realm-realm-id");
    expect(client.inputs.clientId).toBe("nextcloud");
    expect(client.inputs.validRedirectUris).toEqual(["https://cloud.demo.localhost/apps/user_oidc/code"]);
    expect(
      rec.get("keycloak:openid/client:Client", "ville-nextcloud-oidc-client").inputs.validRedirectUris,
    ).toEqual(["https://cloud.ville.fr/apps/user_oidc/code"]);
  });

  it("Collabora: one per Nextcloud, aliasgroup1 is exactly its Nextcloud's URL", () => {
    const office = rec.get(C, "demo-nextcloud-office-app");
    expect(office.inputs.name).toBe("demo-collabora");
    expect(envOf(office).aliasgroup1).toBe(`${demo.url}:443`);
    expect(envOf(office).server_name).toBe("office.demo.localhost");
    expect(demo.collabora?.url).toBe("https://office.demo.localhost");
  });

  it("routes: cloud with DAV redirects and a large body, office with its paths", () => {
    expect(demo.routes).toEqual([
      {
        host: "cloud.demo.localhost",
        upstream: "demo-nextcloud:80",
        tenant: "demo",
        service: "nextcloud",
        redirects: [
          { from: "/.well-known/carddav", to: "/remote.php/dav" },
          { from: "/.well-known/caldav", to: "/remote.php/dav" },
        ],
        maxBodySize: "10GB",
      },
      {
        host: "office.demo.localhost",
        upstream: "demo-collabora:9980",
        tenant: "demo",
        service: "collabora",
        paths: ["/browser/*", "/hosting/*", "/cool/*"],
      },
    ]);
    expect(demo.memoryMb).toBe(1024 + 512 + 128 + 1024);
    expect(memoryMbFor({})).toBe(demo.memoryMb);
  });

  it("office: false ⇒ no Collabora, no richdocuments in the hook, no office route", () => {
    expect(rec.names(C).filter((n) => n.startsWith("ville-nextcloud-office"))).toEqual([]);
    expect(ville.collabora).toBeUndefined();
    const hook = (rec.get(C, "ville-nextcloud-app").inputs.uploads as { content: string }[])[0]!.content;
    expect(hook).not.toContain("richdocuments");
    expect(hook).not.toContain("disable_certificate_verification"); // a real domain: TLS verified
    expect(hook).toContain("occ user_oidc:provider 'keycloak'");
    expect(ville.routes.map((r) => r.host)).toEqual(["cloud.ville.fr"]);
    expect(ville.memoryMb).toBe(2048 + 512 + 128);
    expect(memoryMbFor({ office: false, memoryMb: { app: 2048 } })).toBe(ville.memoryMb);
    expect(rec.get(C, "ville-nextcloud-app").inputs.memory).toBe(2048);
  });

  it("validates args with exact messages", () => {
    const ok = { tenant: "demo", domain: "cloud.demo.fr" };
    expect(() => validateNextcloudArgs({ ...ok, tenant: "Demo" })).toThrow(
      'Nextcloud: tenant "Demo" is not a slug ([a-z0-9-])',
    );
    expect(() => validateNextcloudArgs({ ...ok, domain: "demo.fr" })).toThrow(
      'Nextcloud demo: domain "demo.fr" must be a sub-domain like cloud.<town domain>',
    );
    expect(() => validateNextcloudArgs({ ...ok, memoryMb: { cron: 0 } })).toThrow(
      "Nextcloud demo: memoryMb.cron must be a positive integer, got 0",
    );
    expect(() => validateNextcloudArgs({ ...ok, federation: { trustedServers: ["cloud.x.fr"] } })).toThrow(
      'Nextcloud demo: federation.trustedServers: "cloud.x.fr" is not an https URL',
    );
    expect(() => validateNextcloudArgs({ ...ok, trustedProxies: ["any"] })).toThrow(
      'Nextcloud demo: trustedProxies: "any" is not an IP or CIDR',
    );
    expect(defaultOfficeDomain("cloud.demo.localhost")).toBe("office.demo.localhost");
  });
});

const php = () => toolPath("php");

describe("the status.php health check (real php against a real HTTP server)", () => {
  it("is healthy only when installed and not in maintenance", async () => {
    const bin = php();
    if (!bin) {
      console.warn("php not installed: health check execution skipped outside CI (apt-get install php-cli)");
      return;
    }
    let body = "";
    const server = createServer((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(body),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status.php`;
    const run = (code: string, viaShell = false) =>
      new Promise<number>((r) => {
        const p = viaShell ? spawn("sh", ["-c", `php -r '${code}'`]) : spawn(bin, ["-r", code]);
        p.on("exit", (c) => r(c ?? -1));
      });
    try {
      const cases: [string, number][] = [
        ['{"installed":true,"maintenance":false,"needsDbUpgrade":false,"version":"32.0.3.2"}', 0],
        ['{"installed":true,"maintenance":true,"needsDbUpgrade":false}', 1],
        ['{"installed":false,"maintenance":false}', 1],
        ['{"installed":"true","maintenance":false}', 1],
        ["<html>Internal Server Error</html>", 1],
      ];
      for (const [json, want] of cases) {
        body = json;
        expect(await run(nextcloudHealthPhp(url)), json).toBe(want);
        expect(await run(nextcloudHealthPhp(url), true), `label form: ${json}`).toBe(want);
      }
    } finally {
      server.close();
    }
    expect(await run(nextcloudHealthPhp("http://127.0.0.1:1/status.php"))).toBe(1);
    expect(NEXTCLOUD_HEALTH_PHP).not.toContain("'");
  });
});
