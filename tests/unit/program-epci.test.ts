/**
 * An EPCI under the mock engine: 40 towns on a three-node Proxmox cluster,
 * one Keycloak with 40 realms, towns placed stably, federation wired; a 41st
 * town moves nothing; a cluster too small is refused before any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, envOf, settle, type Recorder } from "./mocks.js";
import { parseConfig, type SocleConfig } from "../../stacks/config.js";
import { buildProgram, computePlacement, type ProgramResult } from "../../stacks/program.js";
import { PlacementError } from "../../stacks/placement.js";
import { epciRaw, townSlug } from "./fixtures/epci.js";

const CONTAINER = "docker:index/container:Container";
let rec: Recorder;
let cfg: SocleConfig;
let result: ProgramResult;

function withToken(raw: ReturnType<typeof epciRaw>): SocleConfig {
  const c = parseConfig(raw);
  c.secrets.proxmoxApiToken = pulumi.secret("socle@pve!deploy=00000000-0000-0000-0000-000000000000");
  return c;
}

beforeAll(async () => {
  rec = await installMocks();
  cfg = withToken(epciRaw({ towns: 40, sharedPeertube: true }));
  result = buildProgram(cfg, { readPreviousOutputs: false });
  await settle();
});

describe("EPCI: 40 towns on three Proxmox nodes", () => {
  it("declares three VMs spread over the three nodes, in an HA group", () => {
    const vms = rec.byType("proxmoxve:index/vmLegacy:VmLegacy");
    expect(vms.map((v) => v.inputs.nodeName).sort()).toEqual(["pve1", "pve2", "pve3"]);
    expect(rec.byType("proxmoxve:index/hagroup:Hagroup")).toHaveLength(1);
    expect(rec.byType("proxmoxve:index/haresource:Haresource")).toHaveLength(3);
  });

  it("declares one Keycloak with one realm per town, each client in its own town's realm", () => {
    expect(rec.names("socle:apps:Keycloak")).toEqual(["keycloak"]);
    const realms = rec.byType("keycloak:index/realm:Realm").map((r) => r.inputs.realm);
    expect(realms.sort()).toEqual(Array.from({ length: 40 }, (_, i) => townSlug(i)).sort());
    const clients = rec.byType("keycloak:openid/client:Client");
    expect(clients.length).toBe(40 * 3); // Nextcloud + two association sites per town
    for (const c of clients) {
      const town = c.name.match(/^(commune-\d{3})-/)![1];
      expect(c.inputs.realmId, c.name).toBe(`${town}-realm-realm-id`);
    }
  });

  it("places every town on one host, all of its containers on that host's engine", () => {
    const providerOf = new Map<string, string>();
    for (const [name] of result.hosts) providerOf.set(name, `${name}-docker`);
    for (const t of cfg.tenants) {
      const host = result.placement.byTenant[t.slug]!;
      // (the account job on the shared PeerTube runs on that instance's host: tested below)
      const own = rec
        .byType(CONTAINER)
        .filter(
          (c) =>
            String(c.inputs.name).startsWith(`${t.slug}-`) &&
            !String(c.inputs.name).endsWith("-peertube-account"),
        );
      expect(own.length).toBeGreaterThan(3);
      for (const c of own) expect(c.provider, `${c.name}`).toContain(`::${host}-docker::`);
    }
    const counts = result.placement.hosts.map((h) => h.tenants.length);
    expect(counts.reduce((a, b) => a + b)).toBe(40);
    for (const h of result.placement.hosts) expect(h.declaredMb).toBeLessThanOrEqual(h.capacityMb);
  });

  it("federates every town's Nextcloud with its 39 siblings (through its federation job, not the app)", () => {
    const job = rec.byType(CONTAINER).find((c) => c.inputs.name === "commune-001-nextcloud-federation")!;
    const script = (job.inputs.uploads as { content: string }[])[0]!.content;
    const trusted = script.split("\n").filter((l) => l.startsWith("trust_server '"));
    expect(trusted).toEqual(
      Array.from({ length: 39 }, (_, i) => `trust_server 'https://cloud.${townSlug(i + 1)}.example'`),
    );
    const app = rec.byType(CONTAINER).find((c) => c.inputs.name === "commune-001-nextcloud")!;
    expect(JSON.stringify(app.inputs.uploads) + JSON.stringify(envOf(app))).not.toContain(
      "cloud.commune-002",
    );
  });

  it("runs one shared PeerTube for the EPCI, with a channel and account job per town on its host", () => {
    expect(rec.names("socle:apps:PeerTube")).toEqual(["shared-peertube"]);
    expect(rec.names("socle:apps:PeerTubeChannel")).toHaveLength(40);
    const home = result.placement.hosts[0]!.host;
    const jobs = rec.byType(CONTAINER).filter((c) => String(c.inputs.name).endsWith("-peertube-account"));
    expect(jobs).toHaveLength(40);
    for (const j of jobs) {
      expect(j.provider).toContain(`::${home}-docker::`);
      expect(j.inputs.restart).toBe("no");
      expect(j.options?.deleteBeforeReplace, j.name).toBe(true);
      expect(Object.keys(envOf(j)).sort()).toEqual(["PT_ROOT_PASSWORD", "SOCLE_ACCOUNT_PASSWORD"]);
    }
    expect(result.tenants["commune-007"]!.urls.peertube).toBe(
      "https://video.epci.example/c/commune_007_videos",
    );
    expect(result.tenants["commune-007"]!.admins.peertube).toBe("commune_007");
  });

  it("adding a 41st town moves no existing town", () => {
    const before = computePlacement(cfg).byTenant;
    const after = computePlacement(withToken(epciRaw({ towns: 41, sharedPeertube: true }))).byTenant;
    for (let i = 0; i < 40; i++) expect(after[townSlug(i)]).toBe(before[townSlug(i)]);
  });

  it("refuses a cluster too small before declaring anything, with the missing memory", () => {
    const small = withToken(epciRaw({ towns: 40, hostMemoryMb: 16384 }));
    const n = rec.resources.length;
    let err: unknown;
    try {
      buildProgram(small, { readPreviousOutputs: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlacementError);
    const lines = (err as PlacementError).errors;
    expect(lines.at(-1)).toMatch(
      /^socle:target\.hosts: the cluster is short of \d+ MiB \(\d+\.\d GiB\): \d+ MiB declared for 46080 MiB available on 3 host\(s\); add a host or more memory$/,
    );
    for (const l of lines.slice(0, -1))
      expect(l).toMatch(/^socle:target\.hosts: host "apps\d" is short of \d+ MiB/);
    expect(rec.resources.length).toBe(n);
  });
});
