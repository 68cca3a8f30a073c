/**
 * Split horizon: inside its containers, a deployment's public names resolve to
 * the proxy of their host, at its static address on the container's own web
 * network (socle-web for Keycloak, the tenant's web network for a tenant's
 * apps). A tenant's containers list its own names and the deployment-wide ones,
 * never another tenant's: adding a tenant changes none of the first tenant's
 * containers.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, labelsOf, resolve, settle, type Recorder, type Recorded } from "./mocks.js";
import { parseConfig, type RawConfig } from "../../stacks/config.js";
import { buildProgram } from "../../stacks/program.js";
import { tenantPublicNames } from "../../stacks/tenant.js";
import { stackConfig } from "./stack-config.js";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Platform, webAddressing } from "../../components/platform/platform.js";
import * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer } from "../../components/container.js";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
/** The proxy on socle-web (Keycloak), on demo's web network (slot 1), on ville's (slot 2). */
const PROXY_IP = "172.30.0.2";
const DEMO_PROXY = "172.30.2.2";
const VILLE_PROXY = "172.30.4.2";

function localRaw(): RawConfig {
  const c = stackConfig("stacks/Pulumi.local.yaml");
  const get = (k: string) => (c[`socle:${k}`] === undefined ? undefined : JSON.parse(c[`socle:${k}`]!));
  // Room for two towns on the one local host.
  return { target: { ...get("target"), memoryMb: 32768 }, tenants: get("tenants"), backup: get("backup") };
}

// The town keeps its own mail servers: the one local host publishes the mail ports for demo's.
const VILLE = {
  slug: "ville",
  name: "Ville Voisine",
  domain: "ville.localhost",
  services: {
    nextcloud: {},
    sogo: { mail: { imap: "imap.ville.example:993", smtp: "smtp.ville.example:465" } },
    wordpress: { sites: [{ slug: "judo", title: "Judo", admin: "judo@ville.example" }] },
  },
};

const DEMO_NAMES = [
  "cloud.demo.localhost",
  "office.demo.localhost",
  "mail.demo.localhost",
  "video.demo.localhost",
  "club-echecs.assos.demo.localhost",
  "comite-fetes.assos.demo.localhost",
  "amicale-pompiers.assos.demo.localhost",
];
const entries = (names: string[], ip = DEMO_PROXY) => [...names].sort().map((host) => ({ host, ip }));

/** Every container of a tenant, by resource name → its inputs. */
function containersOf(rec: Recorder, tenant: string): Map<string, Recorded["inputs"]> {
  return new Map(
    rec
      .byType(CONTAINER)
      .filter((c) => labelsOf(c)["socle.tenant"] === tenant)
      .map((c) => [c.name, c.inputs]),
  );
}
const onWeb = (inputs: Recorded["inputs"]) =>
  ((inputs.networksAdvanced ?? []) as { name: string }[]).some((n) =>
    /^socle-t-[a-z0-9-]+-web$/.test(n.name),
  );

let rec: Recorder;
let alone: Map<string, Recorded["inputs"]>;
let withVille: Map<string, Recorded["inputs"]>;
let villeContainers: Map<string, Recorded["inputs"]>;
let platformContainers: Recorded[];

beforeAll(async () => {
  rec = await installMocks();
  // Run 1: the one-town local deployment.
  buildProgram(parseConfig(localRaw()), { readPreviousOutputs: false });
  await settle();
  alone = containersOf(rec, "demo");
  rec.reset();
  // Run 2: the same, plus a second town on the same platform.
  const raw = localRaw();
  buildProgram(parseConfig({ ...raw, tenants: [...(raw.tenants as unknown[]), VILLE] }), {
    readPreviousOutputs: false,
  });
  await settle();
  withVille = containersOf(rec, "demo");
  villeContainers = containersOf(rec, "ville");
  platformContainers = rec.byType(CONTAINER).filter((c) => labelsOf(c)["socle.tenant"] === "_platform");
});

describe("split horizon: public names inside the containers", () => {
  it("gives socle-web and each tenant's web network a fixed subnet, the proxy .2 on each", () => {
    expect(rec.get(NETWORK, "local-platform-web").inputs).toEqual({
      name: "socle-web",
      ipamConfigs: [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1", ipRange: "172.30.0.128/25" }],
    });
    expect(rec.get(NETWORK, "demo-network-web").inputs.ipamConfigs).toEqual([
      { subnet: "172.30.2.0/24", gateway: "172.30.2.1", ipRange: "172.30.2.128/25" },
    ]);
    expect(rec.get(NETWORK, "ville-network-web").inputs.ipamConfigs).toEqual([
      { subnet: "172.30.4.0/24", gateway: "172.30.4.1", ipRange: "172.30.4.128/25" },
    ]);
    // The proxy declares socle-web only; the host's network job puts it on the tenants' networks.
    const proxy = rec.get(CONTAINER, "local-proxy-container").inputs;
    expect(proxy.networksAdvanced).toEqual([{ name: "socle-web", ipv4Address: PROXY_IP }]);
    const job = (rec.get(CONTAINER, "local-platform-networks").inputs.uploads as { content: string }[])[0]!;
    expect(job.content).toContain("connect 'socle-proxy' 'socle-t-demo-web' '172.30.2.2' ''\n");
    expect(job.content).toContain("connect 'socle-proxy' 'socle-t-ville-web' '172.30.4.2' ''\n");
    expect(proxy.hosts).toBeUndefined();
    expect(proxy.volumes).toEqual([
      { volumeName: "socle-proxy-data", containerPath: "/data" },
      { volumeName: "socle-proxy-config", containerPath: "/config" },
    ]);
    // The certificate volume is the Platform's (declared once, before the tenants).
    expect(
      rec
        .byType("docker:index/volume:Volume")
        .filter((v) => v.inputs.name === "socle-proxy-data")
        .map((v) => v.name),
    ).toEqual(["local-platform-proxy-data"]);
  });

  it("the tenant's names come from its config: the hosts of its routes", () => {
    const cfg = parseConfig({ ...localRaw(), tenants: [VILLE] });
    expect(tenantPublicNames(cfg.tenants[0]!)).toEqual([
      "cloud.ville.localhost",
      "office.ville.localhost",
      "mail.ville.localhost",
      "judo.assos.ville.localhost",
    ]);
  });

  it("every container of the first town on its web network lists exactly its own names and SSO", () => {
    const web = [...withVille].filter(([, i]) => onWeb(i));
    // (Also any job a service adds on that network: every one of them gets the same entries.)
    expect(web.map(([n]) => n)).toEqual(
      expect.arrayContaining([
        "demo-nextcloud-app",
        "demo-nextcloud-cron",
        "demo-nextcloud-office-app",
        "demo-sogo-cron",
        "demo-mail-server",
        "demo-sogo-app",
        "demo-sogo-web",
        "demo-peertube-app",
        "demo-assos-club-echecs-app",
        "demo-assos-comite-fetes-app",
        "demo-assos-amicale-pompiers-app",
      ]),
    );
    for (const [, inputs] of web) {
      expect(inputs.hosts).toEqual(entries([...DEMO_NAMES, "sso.demo.localhost"]));
    }
    // Containers off the web network (caches, one-shot jobs on the back-end) get no entry.
    for (const [, inputs] of withVille) if (!onWeb(inputs)) expect(inputs.hosts).toBeUndefined();
  });

  it("the second town's containers list its own names and SSO, none of the first town's", () => {
    const web = [...villeContainers].filter(([, i]) => onWeb(i));
    expect(web.length).toBeGreaterThan(0);
    for (const [, inputs] of web) {
      expect(inputs.hosts).toEqual(
        entries(
          [
            "cloud.ville.localhost",
            "office.ville.localhost",
            "mail.ville.localhost",
            "judo.assos.ville.localhost",
            "sso.demo.localhost",
          ],
          VILLE_PROXY,
        ),
      );
    }
  });

  it("adding the second town changes none of the first town's existing containers (every input)", () => {
    expect(alone.size).toBeGreaterThan(15);
    for (const [name, inputs] of alone) expect(withVille.get(name), name).toEqual(inputs);
  });

  it("Keycloak (deployment-wide) resolves the deployment-wide names only", () => {
    const kc = platformContainers.find((c) => c.inputs.name === "socle-keycloak");
    expect(kc?.inputs.hosts).toEqual(entries(["sso.demo.localhost"], PROXY_IP));
  });

  it("mail: TLS from its own copy of the proxy's certificate for its host, never the proxy's volume", () => {
    const m = withVille.get("demo-mail-server")!;
    expect(m.volumes).toContainEqual({
      volumeName: "demo-mail-tls",
      containerPath: "/etc/socle/mail-tls",
      readOnly: true,
    });
    expect(JSON.stringify(m.volumes)).not.toContain("socle-proxy-data");
    const env = Object.fromEntries((m.envs as string[]).map((e) => e.split(/=(.*)/s).slice(0, 2)));
    expect(env.SSL_CERT_PATH).toBe("/etc/socle/mail-tls/cert.pem");
    expect(env.SSL_KEY_PATH).toBe("/etc/socle/mail-tls/key.pem");
    // the copier reads the proxy's volume (read-only) and copies this host's certificate only
    const copier = withVille.get("demo-mail-certs")!;
    expect(copier.volumes).toEqual([
      { volumeName: "socle-proxy-data", containerPath: "/etc/socle/proxy-data", readOnly: true },
      { volumeName: "demo-mail-tls", containerPath: "/etc/socle/mail-tls" },
    ]);
    const script = (copier.uploads as { content: string }[])[0]!.content;
    expect(script).toContain(
      "src_cert='/etc/socle/proxy-data/caddy/certificates/local/mail.demo.localhost/mail.demo.localhost.crt'",
    );
  });
});

describe("Platform names API", () => {
  let p: Platform;
  beforeAll(async () => {
    const host = new LocalDockerHost("names-host");
    p = new Platform("names", {
      host,
      addressBlock: "10.99.0.0/16",
      sharedNames: ["sso.epci.fr", { name: "video.epci.fr", address: pulumi.output("10.20.0.10") }],
    });
    p.setTenantNames("a", ["cloud.a.fr", "mail.a.fr"]);
    await settle();
  });

  it("addresses a custom block and maps names to the right proxy, sorted", async () => {
    expect(p.proxyAddress).toBe("10.99.0.2");
    expect(rec.get(NETWORK, "names-web").inputs.ipamConfigs).toEqual([
      { subnet: "10.99.0.0/24", gateway: "10.99.0.1", ipRange: "10.99.0.128/25" },
    ]);
    expect(await resolve(p.hostsFor([...p.sharedNames, "cloud.a.fr", "cloud.a.fr"]))).toEqual([
      { host: "cloud.a.fr", ip: "10.99.0.2" },
      { host: "sso.epci.fr", ip: "10.99.0.2" },
      { host: "video.epci.fr", ip: "10.20.0.10" },
    ]);
  });

  it("refuses names set twice, after the tenant's containers, or malformed", () => {
    expect(() => p.setTenantNames("a", ["x.a.fr"])).toThrow(
      "platform: the names of tenant a are already set",
    );
    // A container of tenant b on socle-web took b's names: too late to set them after.
    const image = pullImage("b-image", p.host, "redis:7.4.6-bookworm", {});
    const b = serviceContainer(
      "b-app",
      {
        host: p.host,
        containerName: "b-app",
        image,
        memoryMb: 64,
        labels: { tenant: "b", service: "app", role: "app" },
        networks: [{ network: p.web }],
      },
      {},
    );
    expect(b).toBeDefined();
    expect(() => p.setTenantNames("b", ["cloud.b.fr"])).toThrow(
      "platform: the names of tenant b are set after its containers were declared",
    );
    expect(() => p.setTenantNames("c", ["Cloud.C.fr"])).toThrow(
      'platform: name "Cloud.C.fr" of tenant c is not a lower-case domain name',
    );
    expect(() => p.setTenantNames("C c", [])).toThrow('platform: tenant "C c" is not a slug ([a-z0-9-])');
    expect(() => new Platform("bad", { host: p.host, sharedNames: ["sso"] })).toThrow(
      'platform: shared name "sso" is not a lower-case domain name',
    );
    expect(() => p.proxyCertificate("mail")).toThrow(
      'platform: certificate host "mail" is not a lower-case domain name',
    );
  });

  it.each([
    ["172.30.0.0/24", { gateway: "172.30.0.1", ipRange: "172.30.0.128/25", proxyAddress: "172.30.0.2" }],
    [
      "192.168.50.0/28",
      { gateway: "192.168.50.1", ipRange: "192.168.50.8/29", proxyAddress: "192.168.50.2" },
    ],
    ["10.99.0.0/16", { gateway: "10.99.0.1", ipRange: "10.99.128.0/17", proxyAddress: "10.99.0.2" }],
  ])("webAddressing(%s)", (subnet, expected) => {
    expect(webAddressing(subnet)).toEqual({ subnet, ...expected });
  });

  it.each([
    ["172.30.0.0", 'platform: webSubnet "172.30.0.0" is not an IPv4 CIDR like 172.30.0.0/24'],
    ["300.1.1.0/24", 'platform: webSubnet "300.1.1.0/24" is not an IPv4 CIDR like 172.30.0.0/24'],
    ["10.0.0.0/8", 'platform: webSubnet "10.0.0.0/8" must have a prefix between /16 and /28'],
    ["10.0.0.0/30", 'platform: webSubnet "10.0.0.0/30" must have a prefix between /16 and /28'],
    ["172.30.0.1/24", 'platform: webSubnet "172.30.0.1/24" is not a network address (host bits set)'],
  ])("webAddressing refuses %s", (subnet, message) => {
    expect(() => webAddressing(subnet)).toThrow(message);
  });
});
