import { beforeAll, describe, expect, it } from "vitest";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Platform, ReverseProxy, type Route } from "../../components/platform/index.js";
import { caddyCertificateFiles } from "../../components/platform/proxy.js";
import {
  renderCaddyBase,
  renderCaddyfile,
  renderCaddySites,
  renderRoutesApplyScript,
} from "../../templates/caddyfile.js";
import { installMocks, settle, type Recorder } from "./mocks.js";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const IMAGE = "docker:index/remoteImage:RemoteImage";

const routes: Route[] = [
  {
    host: "cloud.demo.localhost",
    upstream: "demo-nextcloud:80",
    tenant: "demo",
    service: "nextcloud",
    maxBodySize: "10GB",
    redirects: [{ from: "/.well-known/caldav", to: "/remote.php/dav" }],
  },
  {
    host: "office.demo.localhost",
    upstream: "demo-collabora:9980",
    tenant: "demo",
    service: "collabora",
    paths: ["/browser/*", "/hosting/*", "/cool/*"],
  },
];

let rec: Recorder;
let proxy: ReverseProxy;
let platform: Platform;

beforeAll(async () => {
  rec = await installMocks();
  const host = new LocalDockerHost("local");
  platform = new Platform("plat", { host });
  proxy = new ReverseProxy("proxy", { host, web: platform.web, routes, acmeEmail: "dsi@demo.fr" });
  await settle();
});

describe("ReverseProxy", () => {
  it("runs the pinned Caddy image as socle-proxy with the base Caddyfile, ports 80, 443 and 443/udp", () => {
    const c = rec.get(CONTAINER, "proxy-container");
    expect(rec.get(IMAGE, "proxy-image").inputs).toEqual({ name: "caddy:2.10.2", keepLocally: true });
    expect(proxy.caddyfile).toBe(renderCaddyfile({ acmeEmail: "dsi@demo.fr", routes }));
    expect(proxy.baseCaddyfile).toBe(renderCaddyBase({ acmeEmail: "dsi@demo.fr" }));
    expect(proxy.sitesCaddyfile).toBe(renderCaddySites(routes));
    expect(c.inputs).toEqual({
      name: "socle-proxy",
      image: "sha256:proxy-image",
      restart: "unless-stopped",
      memory: 256,
      memorySwap: 256,
      labels: [
        { label: "socle.backup.volumes", value: "socle-proxy-data" },
        { label: "socle.health", value: "http:8081/socle-health" },
        { label: "socle.role", value: "proxy" },
        { label: "socle.service", value: "proxy" },
        { label: "socle.tenant", value: "_platform" },
        { label: "socle.version", value: "2.10.2" },
      ],
      networksAdvanced: [{ name: "socle-web" }],
      volumes: [
        { volumeName: "socle-proxy-data", containerPath: "/data" },
        { volumeName: "socle-proxy-config", containerPath: "/config" },
      ],
      uploads: [{ file: "/etc/caddy/Caddyfile", content: renderCaddyBase({ acmeEmail: "dsi@demo.fr" }) }],
      ports: [
        { internal: 80, external: 80, protocol: "tcp" },
        { internal: 443, external: 443, protocol: "tcp" },
        { internal: 443, external: 443, protocol: "udp" },
      ],
      healthcheck: {
        tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8081/socle-health"],
        interval: "10s",
        timeout: "10s",
        retries: 5,
        startPeriod: "20s",
      },
      logDriver: "json-file",
      logOpts: { "max-file": "3", "max-size": "10m" },
      wait: true,
      waitTimeout: 600,
    });
  });

  it("applies the routes with a one-shot job that reloads Caddy through the admin socket", () => {
    const job = rec.get(CONTAINER, "proxy-routes");
    expect(job.inputs).toEqual({
      name: "socle-proxy-routes",
      image: "sha256:proxy-image",
      restart: "no",
      mustRun: false,
      attach: true,
      logs: true,
      memory: 128,
      memorySwap: 128,
      labels: [
        { label: "socle.role", value: "job" },
        { label: "socle.service", value: "proxy" },
        { label: "socle.tenant", value: "_platform" },
      ],
      networksAdvanced: [],
      volumes: [{ volumeName: "socle-proxy-config", containerPath: "/config" }],
      uploads: [
        { file: "/etc/caddy/Caddyfile", content: renderCaddyBase({ acmeEmail: "dsi@demo.fr" }) },
        { file: "/socle/sites.caddy", content: renderCaddySites(routes) },
        { file: "/socle/apply-routes.sh", content: renderRoutesApplyScript(), executable: true },
      ],
      entrypoints: ["/bin/sh", "/socle/apply-routes.sh"],
      logDriver: "json-file",
      logOpts: { "max-file": "3", "max-size": "10m" },
      wait: false,
      waitTimeout: 600,
    });
    expect(job.dependencies).toContain(rec.get(CONTAINER, "proxy-container").urn);
  });

  it("does not change the proxy container when routes change (only the job)", async () => {
    const more: Route[] = [
      ...routes,
      {
        host: "cloud.autre.localhost",
        upstream: "autre-nextcloud:80",
        tenant: "autre",
        service: "nextcloud",
      },
    ];
    new ReverseProxy("proxy-b", {
      host: platform.host,
      web: platform.web,
      routes: more,
      acmeEmail: "dsi@demo.fr",
    });
    await settle();
    const a = rec.get(CONTAINER, "proxy-container").inputs;
    const b = rec.get(CONTAINER, "proxy-b-container").inputs;
    expect({ ...b, image: a.image }).toEqual(a);
    const uploads = (n: string) => rec.get(CONTAINER, n).inputs.uploads as { content: string }[];
    expect(uploads("proxy-b-routes")[1]!.content).toContain("cloud.autre.localhost {");
    expect(uploads("proxy-routes")[1]!.content).not.toContain("cloud.autre.localhost");
  });

  it("keeps certificates and config in named platform volumes, children of the proxy", () => {
    const proxyUrn = rec.get("socle:platform:ReverseProxy", "proxy").urn;
    for (const [name, volumeName] of [
      ["proxy-data", "socle-proxy-data"],
      ["proxy-config", "socle-proxy-config"],
    ] as const) {
      const v = rec.get(VOLUME, name);
      expect(v.inputs).toEqual({ name: volumeName, labels: [{ label: "socle.tenant", value: "_platform" }] });
      expect(v.parent).toBe(proxyUrn);
    }
    expect(rec.get(CONTAINER, "proxy-container").parent).toBe(proxyUrn);
    expect(rec.get(CONTAINER, "proxy-container").provider).toMatch(/::local-docker::/);
  });

  it("with the Platform's data volume and static address: mounts it, declares none, lists no hosts", async () => {
    const withNames = new Platform("plat-n", { host: platform.host, sharedNames: ["sso.demo.localhost"] });
    new ReverseProxy("proxy-n", {
      host: platform.host,
      web: withNames.web,
      routes,
      dataVolume: withNames.proxyData,
      address: withNames.proxyAddress,
    });
    await settle();
    const c = rec.get(CONTAINER, "proxy-n-container").inputs;
    expect(c.networksAdvanced).toEqual([{ name: "socle-web", ipv4Address: "172.30.0.2" }]);
    expect(c.volumes).toEqual([
      { volumeName: "socle-proxy-data", containerPath: "/data" },
      { volumeName: "socle-proxy-config", containerPath: "/config" },
    ]);
    expect(c.hosts).toBeUndefined();
    expect(rec.names(VOLUME)).not.toContain("proxy-n-data");
    expect(rec.get(VOLUME, "plat-n-proxy-data").inputs).toEqual({
      name: "socle-proxy-data",
      labels: [{ label: "socle.tenant", value: "_platform" }],
    });
    expect(rec.get(VOLUME, "plat-n-proxy-data").options?.retainOnDelete).toBe(true);
  });

  it("knows where Caddy writes a host's certificate (internal CA for *.localhost, Let's Encrypt otherwise)", () => {
    expect(caddyCertificateFiles("mail.demo.localhost", "/d/")).toEqual({
      certPath: "/d/caddy/certificates/local/mail.demo.localhost/mail.demo.localhost.crt",
      keyPath: "/d/caddy/certificates/local/mail.demo.localhost/mail.demo.localhost.key",
    });
    expect(caddyCertificateFiles("mail.ville.fr", "/data")).toEqual({
      certPath:
        "/data/caddy/certificates/acme-v02.api.letsencrypt.org-directory/mail.ville.fr/mail.ville.fr.crt",
      keyPath:
        "/data/caddy/certificates/acme-v02.api.letsencrypt.org-directory/mail.ville.fr/mail.ville.fr.key",
    });
  });

  it("is the only container publishing ports", () => {
    const publishing = rec.byType(CONTAINER).filter((c) => c.inputs.ports !== undefined);
    expect([...new Set(publishing.map((c) => c.inputs.name))]).toEqual(["socle-proxy"]);
  });

  it("refuses duplicate hosts before declaring anything", () => {
    const before = rec.resources.length;
    expect(
      () =>
        new ReverseProxy("proxy-dup", {
          host: platform.host,
          web: platform.web,
          routes: [routes[0]!, { ...routes[1]!, host: "cloud.demo.localhost" }],
        }),
    ).toThrow('routes: host "cloud.demo.localhost" is routed twice (demo/nextcloud and demo/collabora)');
    expect(
      () => new ReverseProxy("proxy-mem", { host: platform.host, web: platform.web, routes, memoryMb: 10 }),
    ).toThrow("proxy: memoryMb must be an integer >= 64, got 10");
    return settle().then(() => {
      const added = rec.resources.slice(before).filter((r) => r.type !== "socle:platform:ReverseProxy");
      expect(added).toEqual([]);
    });
  });
});
