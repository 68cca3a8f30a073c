/**
 * One web and one back-end network per tenant (issue 12): the address plan
 * (pure), the slot allocation, and under the mock engine the exact networks,
 * the database servers' attachment jobs and the host's network job that puts
 * the proxy on every tenant's web network — without any change to the
 * declarations of the proxy or the database servers.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Platform, ReverseProxy, type Route } from "../../components/platform/index.js";
import {
  addressBlock,
  allocateNetworkSlots,
  tenantNetworkNames,
  tenantNetworkPlan,
  tenantNetworkSpecs,
} from "../../components/platform/network-plan.js";
import { renderNetworkScript } from "../../templates/network-attach.js";
import { installMocks, settle, type Recorder } from "./mocks.js";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const LOGS = { logDriver: "json-file", logOpts: { "max-file": "3", "max-size": "10m" } };
const SOCKET = [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }];

describe("the address plan (pure)", () => {
  it("cuts a /16 into socle-web, a reserved /24 and two /24s per slot, 127 slots", () => {
    const b = addressBlock("172.30.0.0/16");
    expect(b.platformWeb).toEqual({
      subnet: "172.30.0.0/24",
      gateway: "172.30.0.1",
      ipRange: "172.30.0.128/25",
      proxyAddress: "172.30.0.2",
    });
    expect(b.maxSlot).toBe(127);
    expect(addressBlock("10.40.16.0/20").maxSlot).toBe(7);
    expect(tenantNetworkPlan("172.30.0.0/16", "demo", 1)).toEqual({
      tenant: "demo",
      slot: 1,
      web: {
        name: "socle-t-demo-web",
        subnet: "172.30.2.0/24",
        gateway: "172.30.2.1",
        ipRange: "172.30.2.128/25",
        proxyAddress: "172.30.2.2",
      },
      back: { name: "socle-t-demo-back", subnet: "172.30.3.0/24", gateway: "172.30.3.1" },
    });
    const last = tenantNetworkPlan("172.30.0.0/16", "x", 127);
    expect([last.web.subnet, last.back.subnet, last.web.proxyAddress]).toEqual([
      "172.30.254.0/24",
      "172.30.255.0/24",
      "172.30.254.2",
    ]);
    expect(tenantNetworkPlan("10.40.16.0/20", "x", 7).back.subnet).toBe("10.40.31.0/24");
  });

  it("never gives two slots, or a slot and socle-web, overlapping subnets", () => {
    const seen = new Set<string>(["172.30.0", "172.30.1"]);
    for (let s = 1; s <= 127; s++) {
      const p = tenantNetworkPlan("172.30.0.0/16", "t", s);
      for (const subnet of [p.web.subnet, p.back.subnet]) {
        const third = subnet.split(".").slice(0, 3).join(".");
        expect(seen.has(third), subnet).toBe(false);
        seen.add(third);
      }
    }
    expect(seen.size).toBe(256);
  });

  it("declares the web network with egress, the back-end one internal, both labelled", () => {
    expect(tenantNetworkSpecs(tenantNetworkPlan("172.30.0.0/16", "demo", 3))).toEqual({
      web: {
        name: "socle-t-demo-web",
        ipamConfigs: [{ subnet: "172.30.6.0/24", gateway: "172.30.6.1", ipRange: "172.30.6.128/25" }],
        labels: [
          { label: "socle.network", value: "web" },
          { label: "socle.tenant", value: "demo" },
        ],
      },
      back: {
        name: "socle-t-demo-back",
        internal: true,
        ipamConfigs: [{ subnet: "172.30.7.0/24", gateway: "172.30.7.1" }],
        labels: [
          { label: "socle.network", value: "back" },
          { label: "socle.tenant", value: "demo" },
        ],
      },
    });
  });

  it.each([
    ["10.0.0.0/8", 'platform: addressBlock "10.0.0.0/8" must have a prefix between /16 and /20'],
    ["10.0.0.0/21", 'platform: addressBlock "10.0.0.0/21" must have a prefix between /16 and /20'],
    ["10.0.1.0/16", 'platform: addressBlock "10.0.1.0/16" is not a network address (host bits set)'],
    ["10.0.0/16", 'platform: addressBlock "10.0.0/16" is not an IPv4 CIDR like 172.30.0.0/16'],
  ])("addressBlock refuses %s", (block, message) => {
    expect(() => addressBlock(block)).toThrow(message);
  });

  it("refuses slots outside the block and tenants that are not slugs", () => {
    expect(() => tenantNetworkPlan("172.30.0.0/16", "demo", 0)).toThrow(
      "platform: tenant demo: network slot 0 is not between 1 and 127",
    );
    expect(() => tenantNetworkPlan("172.30.0.0/16", "demo", 128)).toThrow(
      "platform: tenant demo: network slot 128 is not between 1 and 127",
    );
    expect(() => tenantNetworkPlan("172.30.0.0/20", "demo", 1.5)).toThrow(
      "platform: tenant demo: network slot 1.5 is not between 1 and 7",
    );
    expect(() => tenantNetworkNames("Demo")).toThrow('platform: tenant "Demo" is not a slug ([a-z0-9-])');
  });
});

describe("network slots: allocated once, then kept", () => {
  it("a first deployment numbers the tenants of each host in order", () => {
    expect(allocateNetworkSlots({}, { apps1: ["shared", "a", "c"], apps2: ["b"] }, 127)).toEqual({
      apps1: { a: 2, c: 3, shared: 1 },
      apps2: { b: 1 },
    });
  });

  it("a tenant keeps its slot whatever is added, removed or reordered around it", () => {
    const before = { apps1: { a: 1, b: 2, c: 3 } };
    // b removed, d inserted before c: c keeps 3, d does not reuse b's slot in this update
    expect(allocateNetworkSlots(before, { apps1: ["a", "d", "c"] }, 127)).toEqual({
      apps1: { a: 1, c: 3, d: 4 },
    });
    // the next update (b no longer in the outputs) reuses slot 2
    expect(
      allocateNetworkSlots({ apps1: { a: 1, c: 3, d: 4 } }, { apps1: ["e", "a", "c", "d"] }, 127),
    ).toEqual({
      apps1: { a: 1, c: 3, d: 4, e: 2 },
    });
  });

  it("a tenant moved to another host gets a slot there; its old one waits an update", () => {
    expect(
      allocateNetworkSlots(
        { apps1: { a: 1, b: 2 }, apps2: { c: 1 } },
        { apps1: ["a", "x"], apps2: ["c", "b"] },
        127,
      ),
    ).toEqual({ apps1: { a: 1, x: 3 }, apps2: { b: 2, c: 1 } });
  });

  it("ignores malformed previous outputs and duplicate slots", () => {
    const garbage = { apps1: { a: "1", b: 0, c: 200, D: 4, e: 2, f: 2 } };
    expect(allocateNetworkSlots(garbage, { apps1: ["a", "e", "f"] }, 127)).toEqual({
      apps1: { a: 1, e: 2, f: 3 },
    });
    expect(allocateNetworkSlots("nonsense", { apps1: ["a"] }, 127)).toEqual({ apps1: { a: 1 } });
    expect(allocateNetworkSlots(null, { apps1: [] }, 127)).toEqual({ apps1: {} });
  });

  it("says so when a host has no slot left", () => {
    expect(() => allocateNetworkSlots({ h: { a: 1, b: 2 } }, { h: ["a", "c"] }, 2)).toThrow(
      "host h: no network slot left for tenant c (2 per host; " +
        "a removed tenant's slot is free again after the update that removes it)",
    );
  });
});

const routes: Route[] = [
  { host: "cloud.a.fr", upstream: "a-nextcloud:80", tenant: "a", service: "nextcloud" },
  { host: "cloud.b.fr", upstream: "b-nextcloud:80", tenant: "b", service: "nextcloud" },
];

describe("TenantNetworks and the network jobs (mock engine)", () => {
  let rec: Recorder;
  let platform: Platform;
  let proxy: ReverseProxy;
  beforeAll(async () => {
    rec = await installMocks();
    const host = new LocalDockerHost("local");
    platform = new Platform("plat", { host, tenantSlots: { a: 5, b: 2 } });
    platform.tenantNetworks("a").database(platform.postgres);
    platform.tenantNetworks("b").database(platform.mariadb);
    platform.tenantNetworks("b").database(platform.mariadb); // memoized
    proxy = new ReverseProxy("proxy", {
      host,
      web: platform.web,
      routes,
      dataVolume: platform.proxyData,
      address: platform.proxyAddress,
    });
    platform.attachProxy(proxy);
    await settle();
  });

  it("gives each tenant its subnets from its slot", () => {
    expect(rec.get(NETWORK, "a-network-web").inputs.ipamConfigs).toEqual([
      { subnet: "172.30.10.0/24", gateway: "172.30.10.1", ipRange: "172.30.10.128/25" },
    ]);
    expect(rec.get(NETWORK, "a-network-back").inputs).toEqual({
      name: "socle-t-a-back",
      internal: true,
      ipamConfigs: [{ subnet: "172.30.11.0/24", gateway: "172.30.11.1" }],
      labels: [
        { label: "socle.network", value: "back" },
        { label: "socle.tenant", value: "a" },
      ],
    });
    expect(rec.get(NETWORK, "b-network-web").inputs.name).toBe("socle-t-b-web");
    expect(rec.get(NETWORK, "b-network-web").inputs.internal).toBeUndefined();
  });

  it("attaches a database server to a tenant's back-end network by a one-shot job of that tenant", () => {
    const job = rec.get(CONTAINER, "a-network-postgres");
    expect(job.inputs).toEqual({
      name: "a-network-postgres",
      image: "sha256:plat-docker-cli",
      restart: "no",
      mustRun: false,
      attach: true,
      logs: true,
      memory: 32,
      memorySwap: 32,
      envs: ["SOCLE_NETWORK_ID=a-network-back-id", "SOCLE_SERVER_ID=plat-postgres-container-id"],
      labels: [
        { label: "socle.role", value: "job" },
        { label: "socle.service", value: "network" },
        { label: "socle.tenant", value: "a" },
      ],
      networksAdvanced: [],
      networkMode: "none",
      volumes: SOCKET,
      uploads: [
        {
          file: "/socle/networks.sh",
          executable: true,
          content: renderNetworkScript({
            connect: [{ container: "socle-postgres", network: "socle-t-a-back", alias: "postgres" }],
          }),
        },
      ],
      entrypoints: ["/bin/sh", "/socle/networks.sh"],
      ...LOGS,
      wait: false,
      waitTimeout: 600,
    });
    expect(job.options?.deleteBeforeReplace).toBe(true);
    expect(rec.get(IMAGE, "plat-docker-cli").inputs).toEqual({
      name: "docker:28.5.1-cli",
      keepLocally: true,
    });
    expect(rec.names(CONTAINER).filter((n) => n.startsWith("b-network-"))).toEqual(["b-network-mariadb"]);
  });

  it("puts the proxy on every tenant's web network at .2 and prunes the others, in one host job", () => {
    const job = rec.get(CONTAINER, "plat-networks");
    expect(job.inputs.name).toBe("socle-networks");
    expect(job.inputs.envs).toEqual(["SOCLE_PROXY_ID=proxy-container-id"]);
    expect(job.inputs.networkMode).toBe("none");
    expect(job.inputs.volumes).toEqual(SOCKET);
    expect((job.inputs.uploads as { content: string }[])[0]!.content).toBe(
      renderNetworkScript({
        connect: [
          { container: "socle-proxy", network: "socle-t-a-web", ipv4Address: "172.30.10.2" },
          { container: "socle-proxy", network: "socle-t-b-web", ipv4Address: "172.30.4.2" },
        ],
        prune: {
          containers: ["socle-proxy", "socle-postgres", "socle-mariadb"],
          keep: ["socle-t-a-web", "socle-t-a-back", "socle-t-b-web", "socle-t-b-back"],
        },
      }),
    );
    expect(job.dependencies).toContain(rec.get(CONTAINER, "proxy-container").urn);
  });

  it("never changes the shared containers: they declare their own network only", () => {
    expect(rec.get(CONTAINER, "proxy-container").inputs.networksAdvanced).toEqual([
      { name: "socle-web", ipv4Address: "172.30.0.2" },
    ]);
    expect(rec.get(CONTAINER, "plat-postgres-container").inputs.networksAdvanced).toEqual([
      { name: "socle-backend", aliases: ["postgres"] },
    ]);
    expect(rec.get(CONTAINER, "plat-mariadb-container").inputs.networksAdvanced).toEqual([
      { name: "socle-backend", aliases: ["mariadb"] },
    ]);
  });

  it("refuses a tenant declared after the proxy was attached, and a second attachProxy", () => {
    expect(() => platform.tenantNetworks("late")).toThrow(
      "platform plat: tenant late asks for its networks after attachProxy (declare every tenant before the proxy)",
    );
    expect(platform.tenantNetworks("a")).toBeDefined(); // an existing tenant is fine
    expect(() => platform.attachProxy(proxy)).toThrow("platform plat: attachProxy called twice");
  });
});
