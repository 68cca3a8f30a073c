/**
 * The stack config: good inputs with every default asserted exactly, the
 * example stack files, the schedule format against the real systemd-analyze
 * (SSH keys against ssh-keygen: config-ssh-keys.test.ts), and `loadConfig()`
 * under the mock engine (PULUMI_CONFIG, secrets). The rejections table is
 * config-errors.test.ts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { isSchedule } from "../../stacks/config-checks.js";
import {
  ConfigError,
  hostAddresses,
  loadConfig,
  parseConfig,
  type ProxmoxTarget,
  type RawConfig,
} from "../../stacks/config.js";
import { installMocks, resolve } from "./mocks.js";
import { stackConfig, stackConfigEnv } from "./stack-config.js";

const KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKKstRRiuz4zq6Ve6TFsrFy0/0yx97RevyNYD9WVP3BR dsi@mairie.example";
const TOKEN = "socle@pve!deploy=0b3c2f3e-6f1a-4c55-9a4e-2d1f3c4b5a69";
const BACKUP = { repository: "/var/backups/socle", keep: { daily: 7, weekly: 4, monthly: 12 } };
const BACKUP_OUT = { ...BACKUP, schedule: "*-*-* 02:30:00" };
const LOCAL = { kind: "local", dockerHost: "unix:///var/run/docker.sock", memoryMb: 16384 };

/** A stack file's config as parseConfig's raw input (as loadConfig would pass it). */
function rawOf(file: string): RawConfig {
  const c = stackConfig(file);
  const j = (k: string) =>
    c[`socle:${k}`] === undefined ? undefined : (JSON.parse(c[`socle:${k}`]!) as unknown);
  return {
    target: j("target"),
    tenants: j("tenants"),
    sso: j("sso"),
    shared: j("shared"),
    backup: j("backup"),
  };
}

describe("parseConfig: good input and defaults", () => {
  it("a minimal config: local target, sso on the first tenant, default schedule", () => {
    const c = parseConfig({
      tenants: [{ slug: "demo", name: "Démo", domain: "demo.localhost", services: {} }],
      backup: BACKUP,
    });
    expect(c).toEqual({
      target: LOCAL,
      tenants: [
        {
          slug: "demo",
          name: "Démo",
          domain: "demo.localhost",
          versions: {},
          federation: true,
          services: {},
        },
      ],
      sso: { domain: "sso.demo.localhost" },
      shared: {},
      backup: BACKUP_OUT,
      images: {},
      versions: {},
      secrets: {},
    });
  });

  it("every service with its defaults ({} and YAML's empty value alike)", () => {
    const c = parseConfig({
      tenants: [
        {
          slug: "demo",
          name: "Démo",
          domain: "demo.localhost",
          services: {
            nextcloud: {},
            sogo: null,
            peertube: {},
            wordpress: { sites: [{ slug: "club", title: "Club", admin: "a@club.example" }] },
          },
        },
      ],
      backup: { ...BACKUP, schedule: "daily" },
    });
    expect(c.tenants[0]!.services).toEqual({
      nextcloud: { office: true, subdomain: "cloud", officeSubdomain: "office" },
      sogo: { subdomain: "mail" },
      peertube: { shared: false, subdomain: "video" },
      wordpress: {
        sites: [{ slug: "club", title: "Club", admin: "a@club.example", subdomain: "club.assos" }],
      },
    });
    expect(c.backup.schedule).toBe("daily");
  });

  it("a proxmox target with its defaults, and the hosts' addresses", () => {
    const c = parseConfig({
      target: {
        kind: "proxmox",
        endpoint: "https://pve.mairie.example:8006/",
        nodes: ["pve1"],
        templateVmId: 9000,
        network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.10" },
        sshPublicKeys: [KEY],
        hosts: [
          { name: "apps1", cores: 4, memoryMb: 16384, diskGb: 200 },
          { name: "apps2", cores: 2, memoryMb: 8192, diskGb: 100, node: "pve1" },
        ],
      },
      tenants: [{ slug: "demo", name: "Démo", domain: "mairie.example", host: "apps2", services: {} }],
      backup: BACKUP,
    });
    expect(c.target).toEqual({
      kind: "proxmox",
      endpoint: "https://pve.mairie.example:8006/",
      insecure: false,
      nodes: ["pve1"],
      templateVmId: 9000,
      datastore: "local-lvm",
      snippetsDatastore: "local",
      bridge: "vmbr0",
      network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.10", dns: ["10.20.0.1"] },
      sshPublicKeys: [KEY],
      sshUser: "socle",
      hosts: [
        { name: "apps1", cores: 4, memoryMb: 16384, diskGb: 200 },
        { name: "apps2", cores: 2, memoryMb: 8192, diskGb: 100, node: "pve1" },
      ],
      ha: false,
      reserveMb: 1024,
    });
    expect(hostAddresses(c.target as ProxmoxTarget)).toEqual({ apps1: "10.20.0.10", apps2: "10.20.0.11" });
    expect(c.tenants[0]!.host).toBe("apps2");
  });

  it("a shared PeerTube (the tenant's own video subdomain is free for a site), deployment-wide versions", () => {
    const c = parseConfig({
      tenants: [
        {
          slug: "demo",
          name: "Démo",
          domain: "demo.example",
          services: {
            peertube: { shared: true },
            wordpress: {
              sites: [{ slug: "video", title: "Vidéo-club", admin: "a@b.example", subdomain: "video" }],
            },
          },
        },
      ],
      shared: { peertube: { domain: "video.epci.example" } },
      sso: { domain: "sso.epci.example" },
      backup: BACKUP,
      versions: { keycloak: "26.4.5", peertube: "7.3.0" },
    });
    expect(c.versions).toEqual({ keycloak: "26.4.5", peertube: "7.3.0" });
    expect(c.shared).toEqual({ peertube: { domain: "video.epci.example" } });
    expect(c.sso).toEqual({ domain: "sso.epci.example" });
  });
});

describe("the example stack files", () => {
  it("Pulumi.local.yaml: the embedded default, exactly", () => {
    const site = (slug: string, title: string, admin: string) => ({
      slug,
      title,
      admin,
      subdomain: `${slug}.assos`,
    });
    expect(parseConfig(rawOf("stacks/Pulumi.local.yaml"))).toEqual({
      target: LOCAL,
      tenants: [
        {
          slug: "demo",
          name: "Commune de Démo",
          domain: "demo.localhost",
          versions: {},
          federation: true,
          services: {
            nextcloud: { office: true, subdomain: "cloud", officeSubdomain: "office" },
            sogo: { subdomain: "mail" },
            peertube: { shared: false, subdomain: "video" },
            wordpress: {
              sites: [
                site("club-echecs", "Club d'échecs", "presidence@club-echecs.example"),
                site("comite-fetes", "Comité des fêtes", "bureau@comite-fetes.example"),
                site("amicale-pompiers", "Amicale des sapeurs-pompiers", "contact@amicale-pompiers.example"),
              ],
            },
          },
        },
      ],
      sso: { domain: "sso.demo.localhost" },
      shared: {},
      backup: {
        repository: "/var/backups/socle",
        schedule: "*-*-* 02:30:00",
        keep: { daily: 7, weekly: 4, monthly: 12 },
      },
      images: {},
      versions: {},
      secrets: {},
    });
  });

  it("Pulumi.proxmox.yaml: one town, two nodes, two hosts, its own mail servers", () => {
    const c = parseConfig(rawOf("stacks/Pulumi.proxmox.yaml"));
    const target = c.target as ProxmoxTarget;
    expect(target.nodes).toEqual(["pve1", "pve2"]);
    expect(target.hosts.map((h) => [h.name, h.node])).toEqual([
      ["apps1", "pve1"],
      ["apps2", "pve2"],
    ]);
    expect(hostAddresses(target)).toEqual({ apps1: "10.20.0.10", apps2: "10.20.0.11" });
    expect(c.tenants.map((t) => t.slug)).toEqual(["saint-martin"]);
    expect(c.tenants[0]!.services.sogo).toEqual({
      subdomain: "mail",
      mail: {
        imap: "imap.saint-martin.example:993",
        smtp: "smtp.saint-martin.example:587",
        sieve: "imap.saint-martin.example:4190",
      },
    });
    expect(c.sso.domain).toBe("sso.saint-martin.example");
  });

  it("Pulumi.epci.yaml: three nodes and hosts, four towns, sso, a shared PeerTube, one pinned town", () => {
    const c = parseConfig(rawOf("stacks/Pulumi.epci.yaml"));
    const target = c.target as ProxmoxTarget;
    expect(target.nodes).toEqual(["pve1", "pve2", "pve3"]);
    expect(hostAddresses(target)).toEqual({
      apps1: "10.120.0.21",
      apps2: "10.120.0.22",
      apps3: "10.120.0.23",
    });
    expect(target.ha).toBe(true);
    expect(c.tenants.map((t) => t.slug)).toEqual(["aubier", "les-noyers", "montval", "saint-ours"]);
    expect(c.tenants.filter((t) => t.host).map((t) => [t.slug, t.host])).toEqual([["montval", "apps3"]]);
    expect(c.tenants.filter((t) => t.services.peertube?.shared).length).toBe(3);
    expect(c.tenants[2]!.versions).toEqual({ nextcloud: "31.0.11" });
    expect(c.tenants[2]!.services.wordpress!.sites.map((s) => s.subdomain)).toEqual([
      "comite-jumelage.assos",
      "musique",
    ]);
    expect(c.sso).toEqual({ domain: "sso.cc-valexemple.example" });
    expect(c.shared).toEqual({ peertube: { domain: "video.cc-valexemple.example" } });
  });

  it("no example file holds a secret", () => {
    for (const f of ["local", "proxmox", "epci"]) {
      const text = readFileSync(`stacks/Pulumi.${f}.yaml`, "utf8");
      expect(text).not.toMatch(/^\s*socle:(proxmoxApiToken|backupPassword):/m);
      expect(text).not.toMatch(/secure:/);
    }
  });
});

// ---------------------------------------------------------------- real tools

const CI = process.env.CI === "true";
const have = (cmd: string, args: string[]) => spawnSync(cmd, args).error === undefined;
const HAVE = { systemd: have("systemd-analyze", ["--version"]) };
for (const [tool, ok] of Object.entries(HAVE)) {
  if (!ok && !CI) console.warn(`skipping the ${tool} checks: not installed (CI=true makes this a failure)`);
}

describe("backup.schedule against systemd-analyze calendar", () => {
  const accepted = [
    "daily",
    "weekly",
    "hourly",
    "*-*-* 02:30:00",
    "*-*-* 02:30",
    "02:30",
    "Mon..Fri *-*-* 01:00:00",
    "Sat,Sun 03:00",
    "*-*-01 04:00:00",
    "2026-*-* 01:00",
    "*:0/15",
    "*-*-* 00/6:00:00",
  ];
  const rejected = [
    "every night",
    "*-*-* 25:00:00",
    "*-*-* 02:60:00",
    "*-13-01 00:00",
    "02h30",
    "",
    "Mon",
    "nightly",
  ];
  it("accepts these, rejects those", () => {
    expect(accepted.filter((s) => !isSchedule(s))).toEqual([]);
    expect(rejected.filter((s) => isSchedule(s))).toEqual([]);
  });
  it.runIf(HAVE.systemd || CI)("systemd agrees with every acceptance, and rejects the garbage too", () => {
    const ok = (s: string) => {
      const r = spawnSync("systemd-analyze", ["calendar", s], { encoding: "utf8" });
      if (r.error) throw new Error(`systemd-analyze could not run: ${r.error.message}`);
      return r.status === 0;
    };
    expect(accepted.filter((s) => !ok(s))).toEqual([]);
    // Everything rejected here except "Mon" (systemd reads it as Mondays at midnight) is garbage to systemd too.
    expect(rejected.filter((s) => ok(s))).toEqual(["Mon"]);
  });
});

// ---------------------------------------------------------------- loadConfig under the mock engine

describe("loadConfig under the mock engine", () => {
  beforeAll(async () => {
    // As the CLI does: PULUMI_CONFIG is in the environment before the engine starts.
    process.env.PULUMI_CONFIG = stackConfigEnv("stacks/Pulumi.local.yaml");
    await installMocks();
  });
  const use = (file: string, extra: Record<string, string> = {}, secretKeys: string[] = []) =>
    pulumi.runtime.setAllConfig(
      JSON.parse(stackConfigEnv(file, extra)) as Record<string, string>,
      secretKeys,
    );

  it("reads the local example from PULUMI_CONFIG", () => {
    const c = loadConfig();
    expect(c).toEqual(parseConfig(rawOf("stacks/Pulumi.local.yaml")));
    expect(c.secrets).toEqual({});
  });

  it("attaches the secrets as secret Outputs", async () => {
    use(
      "stacks/Pulumi.epci.yaml",
      { "socle:proxmoxApiToken": TOKEN, "socle:backupPassword": "correct horse" },
      ["socle:proxmoxApiToken", "socle:backupPassword"],
    );
    const c = loadConfig();
    expect(c.target.kind).toBe("proxmox");
    expect(c.tenants).toHaveLength(4);
    const token = c.secrets.proxmoxApiToken!;
    const password = c.secrets.backupPassword!;
    expect(await pulumi.isSecret(token)).toBe(true);
    expect(await pulumi.isSecret(password)).toBe(true);
    expect(await resolve(token)).toBe(TOKEN);
    expect(await resolve(password)).toBe("correct horse");
  });

  it("a proxmox target without its token: an error naming socle:proxmoxApiToken, with the config's own errors", () => {
    use("stacks/Pulumi.proxmox.yaml", { "socle:tenant": "[]" });
    let error: unknown;
    try {
      loadConfig();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).errors).toEqual([
      'socle:tenant: unknown key (did you mean "socle:tenants"?)',
      "socle:proxmoxApiToken: missing, expected the Proxmox API token of a proxmox target, as a secret (pulumi config set --secret socle:proxmoxApiToken 'user@realm!tokenid=uuid')",
    ]);
  });

  it("a plain string where an object is expected is reported, not a JSON crash", () => {
    pulumi.runtime.setAllConfig({ "socle:target": "proxmox", "socle:tenants": "demo" });
    expect(() => loadConfig()).toThrow(
      [
        'socle:target: "proxmox" is not an object',
        'socle:tenants: "demo" is not a list of at least one tenant',
        "socle:backup: missing, expected an object with repository, schedule and keep",
      ].join("\n"),
    );
  });
});
