/**
 * The stack config's rejections: a table of bad inputs, each with the EXACT
 * list of messages `parseConfig` reports (ConfigError.errors), and one input
 * with many problems reported all at once. Good inputs and `loadConfig` are in
 * config.test.ts.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, checkSecrets, parseConfig, type RawConfig } from "../../stacks/config.js";

type O = Record<string, unknown>;
const KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKKstRRiuz4zq6Ve6TFsrFy0/0yx97RevyNYD9WVP3BR dsi@mairie.example";
const BACKUP = { repository: "/var/backups/socle", keep: { daily: 7, weekly: 4, monthly: 12 } };
const t = (extra: O = {}): O => ({
  slug: "demo",
  name: "Démo",
  domain: "demo.localhost",
  services: {},
  ...extra,
});
const cfg = (extra: RawConfig = {}): RawConfig => ({ tenants: [t()], backup: BACKUP, ...extra });
const tenants = (...ts: O[]): RawConfig => cfg({ tenants: ts });
const services = (s: O, extra: O = {}): RawConfig => tenants(t({ services: s, ...extra }));
const px = (extra: O = {}): O => ({
  kind: "proxmox",
  endpoint: "https://pve.mairie.example:8006/",
  nodes: ["pve1", "pve2"],
  templateVmId: 9000,
  network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.10" },
  sshPublicKeys: [KEY],
  hosts: [{ name: "apps1", cores: 4, memoryMb: 16384, diskGb: 200 }],
  ...extra,
});
const target = (tg: unknown, extra: RawConfig = {}): RawConfig => cfg({ target: tg, ...extra });
const net = (n: O): RawConfig =>
  target(px({ network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.10", ...n } }));
const hosts = (n: number): O[] =>
  Array.from({ length: n }, (_, i) => ({ name: `apps${i + 1}`, cores: 2, memoryMb: 4096, diskGb: 40 }));

function errorsOf(raw: RawConfig): string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.errors;
    throw e;
  }
  throw new Error("parseConfig accepted the input");
}

const TNS = "socle:tenants[0].services";
const SLUG_IS = "is not a slug (1 to 32 characters a-z, 0-9 and -, not starting or ending with -)";

const CASES: [string, RawConfig, string[]][] = [
  // tenants
  ["tenants missing", { backup: BACKUP }, ["socle:tenants: missing, expected a list of at least one tenant"]],
  ["tenants empty", cfg({ tenants: [] }), ["socle:tenants: [] is not a list of at least one tenant"]],
  [
    "tenants not a list",
    cfg({ tenants: "demo" }),
    ['socle:tenants: "demo" is not a list of at least one tenant'],
  ],
  [
    "tenant key typo",
    tenants({ slug: "demo", name: "Démo", domain: "demo.localhost", servces: {} }),
    [
      'socle:tenants[0].servces: unknown key (did you mean "services"?)',
      `socle:tenants[0].services: missing, expected an object with any of: nextcloud, sogo, peertube, wordpress`,
    ],
  ],
  [
    "tenant unknown key",
    tenants(t({ color: "blue" })),
    [
      "socle:tenants[0].color: unknown key (expected one of: slug, name, domain, host, versions, federation, services)",
    ],
  ],
  [
    "domain with a space (second tenant)",
    tenants(t(), t({ slug: "b", domain: "x y" })),
    ['socle:tenants[1].domain: "x y" is not a domain name'],
  ],
  [
    "domain of one label",
    tenants(t({ domain: "intranet" })),
    ['socle:tenants[0].domain: "intranet" is not a domain name'],
  ],
  [
    "domain in capitals",
    tenants(t({ domain: "Mairie.FR" })),
    ['socle:tenants[0].domain: "Mairie.FR" is not a domain name'],
  ],
  [
    "domain label -a",
    tenants(t({ domain: "-a.example" })),
    ['socle:tenants[0].domain: "-a.example" is not a domain name'],
  ],
  [
    "domain is an IP",
    tenants(t({ domain: "10.0.0.1" })),
    ['socle:tenants[0].domain: "10.0.0.1" is not a domain name'],
  ],
  [
    "domain missing",
    tenants(t({ domain: undefined })),
    ["socle:tenants[0].domain: missing, expected a domain name"],
  ],
  ["slug with capitals", tenants(t({ slug: "Demo" })), [`socle:tenants[0].slug: "Demo" ${SLUG_IS}`]],
  [
    "slug of 33 characters",
    tenants(t({ slug: "a".repeat(33) })),
    [`socle:tenants[0].slug: "${"a".repeat(33)}" ${SLUG_IS}`],
  ],
  ["slug ending with -", tenants(t({ slug: "demo-" })), [`socle:tenants[0].slug: "demo-" ${SLUG_IS}`]],
  [
    "duplicate slugs",
    tenants(t(), t({ domain: "autre.localhost" })),
    ['socle:tenants[1].slug: "demo" is already used by socle:tenants[0].slug'],
  ],
  [
    "duplicate domains",
    tenants(t(), t({ slug: "b" })),
    ['socle:tenants[1].domain: "demo.localhost" is already used by socle:tenants[0].domain'],
  ],
  [
    "a site on the Nextcloud subdomain",
    services({
      nextcloud: {},
      wordpress: { sites: [{ slug: "c", title: "C", admin: "a@c.fr", subdomain: "cloud" }] },
    }),
    [
      `${TNS}.wordpress.sites[0].subdomain: "cloud.demo.localhost" is already used by ${TNS}.nextcloud.subdomain`,
    ],
  ],
  [
    "sso on a tenant's service",
    cfg({ tenants: [t({ services: { nextcloud: {} } })], sso: { domain: "cloud.demo.localhost" } }),
    [`${TNS}.nextcloud.subdomain: "cloud.demo.localhost" is already used by socle:sso.domain`],
  ],
  [
    "name missing",
    tenants(t({ name: undefined })),
    ["socle:tenants[0].name: missing, expected a non-empty string"],
  ],
  ["name empty", tenants(t({ name: " " })), ['socle:tenants[0].name: " " is not a non-empty string']],
  [
    "federation yes",
    tenants(t({ federation: "yes" })),
    ['socle:tenants[0].federation: "yes" is not true or false'],
  ],
  [
    "unknown service",
    services({ gitlab: {} }),
    [`${TNS}.gitlab: unknown key (expected one of: nextcloud, sogo, peertube, wordpress)`],
  ],
  ["service typo", services({ nextclod: {} }), [`${TNS}.nextclod: unknown key (did you mean "nextcloud"?)`]],
  [
    "services a list",
    services(["nextcloud"] as unknown as O),
    [`${TNS}: ["nextcloud"] is not an object with any of: nextcloud, sogo, peertube, wordpress`],
  ],
  [
    "version of a shared service",
    tenants(t({ versions: { keycloak: "26.4.5" } })),
    [
      "socle:tenants[0].versions.keycloak: unknown key (expected one of: nextcloud, collabora, sogo, mailserver, peertube, wordpress)",
    ],
  ],
  [
    "version typo",
    tenants(t({ versions: { nextclou: "31.0.11" } })),
    ['socle:tenants[0].versions.nextclou: unknown key (did you mean "nextcloud"?)'],
  ],
  [
    "malformed versions",
    tenants(t({ versions: { nextcloud: "latest", wordpress: 6.8 } })),
    [
      'socle:tenants[0].versions.nextcloud: "latest" is not a version (numbers separated by dots, e.g. "32.0.3")',
      'socle:tenants[0].versions.wordpress: 6.8 is not a version (numbers separated by dots, e.g. "32.0.3")',
    ],
  ],
  [
    "office no",
    services({ nextcloud: { office: "no" } }),
    [`${TNS}.nextcloud.office: "no" is not true or false`],
  ],
  [
    "subdomain with a space",
    services({ peertube: { subdomain: "vi deo" } }),
    [`${TNS}.peertube.subdomain: "vi deo" is not a subdomain (dot-separated labels of a-z, 0-9 and -)`],
  ],
  [
    "sogo mail servers",
    services({ sogo: { mail: { imap: "imap.mairie.fr", sieve: "imap.mairie.fr:70000" } } }),
    [
      `${TNS}.sogo.mail.imap: "imap.mairie.fr" is not host:port (e.g. "imap.mairie.example:993")`,
      `${TNS}.sogo.mail.smtp: missing, expected host:port (e.g. "imap.mairie.example:993")`,
      `${TNS}.sogo.mail.sieve: "imap.mairie.fr:70000" is not host:port (e.g. "imap.mairie.example:993")`,
    ],
  ],
  [
    "shared peertube without socle:shared",
    services({ peertube: { shared: true } }),
    [`${TNS}.peertube.shared: true needs socle:shared.peertube.domain`],
  ],
  [
    "no sites",
    services({ wordpress: {} }),
    [`${TNS}.wordpress.sites: missing, expected a list of at least one association site`],
  ],
  [
    "empty sites",
    services({ wordpress: { sites: [] } }),
    [`${TNS}.wordpress.sites: [] is not a list of at least one association site`],
  ],
  [
    "site with a bad admin, no title",
    services({ wordpress: { sites: [{ slug: "club", admin: "presidence(at)club.fr" }] } }),
    [
      `${TNS}.wordpress.sites[0].title: missing, expected a non-empty string`,
      `${TNS}.wordpress.sites[0].admin: "presidence(at)club.fr" is not an email address`,
    ],
  ],
  [
    "duplicate site slugs",
    services({
      wordpress: {
        sites: [
          { slug: "club", title: "A", admin: "a@club.fr" },
          { slug: "club", title: "B", admin: "b@club.fr" },
        ],
      },
    }),
    [`${TNS}.wordpress.sites[1].slug: "club" is already used by ${TNS}.wordpress.sites[0].slug`],
  ],
  [
    "tenant pinned to an unknown host (local)",
    tenants(t({ host: "apps9" })),
    ['socle:tenants[0].host: "apps9" is not one of the target\'s hosts (local)'],
  ],
  // target
  ["target not an object", target("local"), ['socle:target: "local" is not an object']],
  [
    "target kind missing",
    target({ memoryMb: 8192 }),
    ['socle:target.kind: missing, expected "local" or "proxmox"'],
  ],
  ["target kind unknown", target({ kind: "aws" }), ['socle:target.kind: "aws" is not "local" or "proxmox"']],
  [
    "local target too small, proxmox key",
    target({ kind: "local", memoryMb: 1024, nodes: ["pve1"] }),
    [
      "socle:target.nodes: unknown key (expected one of: kind, dockerHost, memoryMb, acmeEmail)",
      "socle:target.memoryMb: 1024 is not an integer of at least 2048",
    ],
  ],
  [
    "dockerHost a path",
    target({ kind: "local", dockerHost: "/var/run/docker.sock" }),
    [
      'socle:target.dockerHost: "/var/run/docker.sock" is not a Docker engine address (unix://, tcp:// or ssh://)',
    ],
  ],
  [
    "proxmox without its required keys",
    target({ kind: "proxmox" }),
    [
      'socle:target.endpoint: missing, expected an https URL (e.g. "https://pve1.mairie.example:8006/")',
      "socle:target.nodes: missing, expected a list of at least one Proxmox node name",
      "socle:target.templateVmId: missing, expected an integer between 100 and 999999999",
      "socle:target.network: missing, expected an object with cidr, gateway and firstAddress",
      "socle:target.sshPublicKeys: missing, expected a list of SSH public keys",
      "socle:target.hosts: missing, expected a list of at least one host",
    ],
  ],
  [
    "endpoint over http",
    target(px({ endpoint: "http://pve:8006" })),
    [
      'socle:target.endpoint: "http://pve:8006" is not an https URL (e.g. "https://pve1.mairie.example:8006/")',
    ],
  ],
  [
    "ssh keys: dss, truncated, mislabelled",
    target(
      px({
        sshPublicKeys: [
          "ssh-dss AAAAB3NzaC1kc3M= x",
          KEY.slice(0, 40),
          KEY.replace("ssh-ed25519", "ssh-rsa"),
        ],
      }),
    ),
    [
      'socle:target.sshPublicKeys[0]: "ssh-dss AAAAB3NzaC1kc3M= x" is not an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)',
      'socle:target.sshPublicKeys[1]: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKKs" is not an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)',
      'socle:target.sshPublicKeys[2]: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKKstRRiuz4zq6Ve6TFsrFy0/0… is not an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)',
    ],
  ],
  [
    "duplicate host names, duplicate nodes",
    target(px({ nodes: ["pve1", "pve1"], hosts: [hosts(1)[0], hosts(1)[0]] })),
    [
      'socle:target.nodes[1]: "pve1" is already used by socle:target.nodes[0]',
      'socle:target.hosts[1].name: "apps1" is already used by socle:target.hosts[0].name',
    ],
  ],
  [
    "host sizes out of range",
    target(px({ hosts: [{ name: "apps1", cores: 0, memoryMb: 1024, diskGb: 10.5 }] })),
    [
      "socle:target.hosts[0].cores: 0 is not an integer between 1 and 128",
      "socle:target.hosts[0].memoryMb: 1024 is not an integer of at least 2048",
      "socle:target.hosts[0].diskGb: 10.5 is not an integer of at least 20",
    ],
  ],
  [
    "host pinned to an unknown node",
    target(px({ hosts: [{ ...hosts(1)[0], node: "pve3" }] })),
    ['socle:target.hosts[0].node: "pve3" is not one of the target\'s nodes (pve1, pve2)'],
  ],
  [
    "tenant pinned to an unknown host (proxmox)",
    target(px({ hosts: hosts(2) }), { tenants: [t({ host: "apps3" })] }),
    ['socle:tenants[0].host: "apps3" is not one of the target\'s hosts (apps1, apps2)'],
  ],
  [
    "malformed CIDRs",
    net({ cidr: "10.20.0.0/33" }),
    [
      'socle:target.network.cidr: "10.20.0.0/33" is not an IPv4 network in CIDR notation, prefix 8 to 30, no host bits set (e.g. "10.20.0.0/24")',
    ],
  ],
  [
    "CIDR with host bits",
    net({ cidr: "10.20.0.5/24" }),
    [
      'socle:target.network.cidr: "10.20.0.5/24" is not an IPv4 network in CIDR notation, prefix 8 to 30, no host bits set (e.g. "10.20.0.0/24")',
    ],
  ],
  [
    "gateway and first address outside the CIDR",
    net({ gateway: "10.30.0.1", firstAddress: "10.20.0.255" }),
    [
      'socle:target.network.gateway: "10.30.0.1" is not a host address in 10.20.0.0/24',
      'socle:target.network.firstAddress: "10.20.0.255" is not a host address in 10.20.0.0/24',
    ],
  ],
  [
    "not enough addresses for the hosts",
    target(
      px({
        network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.253" },
        hosts: hosts(3),
      }),
    ),
    ['socle:target.network.firstAddress: "10.20.0.253" leaves room for 2 hosts in 10.20.0.0/24, not 3'],
  ],
  [
    "gateway among the hosts' addresses",
    target(
      px({
        network: { cidr: "10.20.0.0/24", gateway: "10.20.0.11", firstAddress: "10.20.0.10" },
        hosts: hosts(2),
      }),
    ),
    ['socle:target.network.gateway: "10.20.0.11" is already used by socle:target.hosts[1]'],
  ],
  [
    "bad dns, vlan, template",
    target(
      px({
        vlanId: 5000,
        templateVmId: 50,
        network: {
          cidr: "10.20.0.0/24",
          gateway: "10.20.0.1",
          firstAddress: "10.20.0.10",
          dns: ["dns.example"],
        },
      }),
    ),
    [
      "socle:target.templateVmId: 50 is not an integer between 100 and 999999999",
      "socle:target.vlanId: 5000 is not an integer between 1 and 4094",
      'socle:target.network.dns[0]: "dns.example" is not an IPv4 address',
    ],
  ],
  [
    "ha on one node",
    target(px({ nodes: ["pve1"], ha: true })),
    ["socle:target.ha: true needs at least 2 nodes in socle:target.nodes"],
  ],
  [
    "reserve larger than a host",
    target(px({ reserveMb: 4096, hosts: [{ name: "small", cores: 1, memoryMb: 4096, diskGb: 20 }] })),
    ["socle:target.reserveMb: 4096 is not less than socle:target.hosts[0].memoryMb (4096)"],
  ],
  // sso, shared, other keys
  [
    "sso typo and bad shared domain",
    cfg({ sso: { domian: "sso.x.fr" }, shared: { peertube: { domain: "video" } } }),
    [
      'socle:sso.domian: unknown key (did you mean "domain"?)',
      'socle:shared.peertube.domain: "video" is not a domain name',
    ],
  ],
  [
    "shared peertube without domain",
    cfg({ shared: { peertube: {} } }),
    ["socle:shared.peertube.domain: missing, expected a domain name"],
  ],
  [
    "unknown socle: keys",
    cfg({ otherKeys: ["tenant", "foo"] }),
    [
      'socle:tenant: unknown key (did you mean "socle:tenants"?)',
      "socle:foo: unknown key (expected one of: target, tenants, sso, shared, backup, proxmoxApiToken, backupPassword)",
    ],
  ],
  // backup
  [
    "backup missing",
    { tenants: [t()] },
    ["socle:backup: missing, expected an object with repository, schedule and keep"],
  ],
  [
    "repository missing",
    cfg({ backup: { keep: BACKUP.keep } }),
    [
      "socle:backup.repository: missing, expected a restic repository (an absolute path, or sftp:, rest:, s3:, b2:, azure:, gs:, swift: or rclone:)",
    ],
  ],
  [
    "relative repository",
    cfg({ backup: { ...BACKUP, repository: "backups" } }),
    [
      'socle:backup.repository: "backups" is not a restic repository (an absolute path, or sftp:, rest:, s3:, b2:, azure:, gs:, swift: or rclone:)',
    ],
  ],
  [
    "garbage schedule",
    cfg({ backup: { ...BACKUP, schedule: "every night" } }),
    [
      'socle:backup.schedule: "every night" is not a systemd OnCalendar schedule (e.g. "daily" or "*-*-* 02:30:00")',
    ],
  ],
  [
    "schedule at 25 o'clock",
    cfg({ backup: { ...BACKUP, schedule: "*-*-* 25:00:00" } }),
    [
      'socle:backup.schedule: "*-*-* 25:00:00" is not a systemd OnCalendar schedule (e.g. "daily" or "*-*-* 02:30:00")',
    ],
  ],
  [
    "keep missing",
    cfg({ backup: { repository: "/b" } }),
    ["socle:backup.keep: missing, expected an object with daily, weekly and monthly"],
  ],
  [
    "negative, fractional, missing retention",
    cfg({ backup: { repository: "/b", keep: { daily: -1, weekly: 1.5 } } }),
    [
      "socle:backup.keep.daily: -1 is not an integer of at least 0",
      "socle:backup.keep.weekly: 1.5 is not an integer of at least 0",
      "socle:backup.keep.monthly: missing, expected an integer of at least 0",
    ],
  ],
  [
    "retention that keeps nothing",
    cfg({ backup: { repository: "/b", keep: { daily: 0, weekly: 0, monthly: 0 } } }),
    ["socle:backup.keep: keeps no snapshot (at least one of daily, weekly, monthly must be above 0)"],
  ],
  [
    "backup key typo",
    cfg({ backup: { ...BACKUP, retention: 7 } }),
    ["socle:backup.retention: unknown key (expected one of: repository, schedule, keep)"],
  ],
];

describe("parseConfig rejects bad input with exact messages", () => {
  it("has at least 35 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(35));
  it.each(CASES)("%s", (_label, raw, expected) => {
    expect(errorsOf(raw)).toEqual(expected);
    expect(() => parseConfig(raw)).toThrow(expected.join("\n"));
  });
});

describe("every problem at once", () => {
  it("reports problems from every section in one ConfigError, in key order", () => {
    const raw: RawConfig = {
      target: px({
        endpoint: "http://pve",
        hosts: [{ name: "apps1", cores: 4, memoryMb: 16384, diskGb: 200, nod: "pve1" }],
      }),
      tenants: [
        t({ domain: "x y", services: { nextcloud: { office: "yes" }, peertube: { shared: true } } }),
        t({ host: "apps2" }),
      ],
      backup: { repository: "/b", schedule: "tomorrow", keep: { daily: 0, weekly: 0, monthly: 0 } },
      otherKeys: ["backupPasword"],
    };
    let error: unknown;
    try {
      parseConfig(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const expected = [
      'socle:backupPasword: unknown key (did you mean "socle:backupPassword"?)',
      'socle:target.endpoint: "http://pve" is not an https URL (e.g. "https://pve1.mairie.example:8006/")',
      'socle:target.hosts[0].nod: unknown key (did you mean "node"?)',
      'socle:tenants[0].domain: "x y" is not a domain name',
      'socle:tenants[0].services.nextcloud.office: "yes" is not true or false',
      'socle:tenants[1].slug: "demo" is already used by socle:tenants[0].slug',
      'socle:tenants[1].host: "apps2" is not one of the target\'s hosts (apps1)',
      "socle:tenants[0].services.peertube.shared: true needs socle:shared.peertube.domain",
      'socle:backup.schedule: "tomorrow" is not a systemd OnCalendar schedule (e.g. "daily" or "*-*-* 02:30:00")',
      "socle:backup.keep: keeps no snapshot (at least one of daily, weekly, monthly must be above 0)",
    ];
    expect((error as ConfigError).errors).toEqual(expected);
    expect((error as ConfigError).message).toBe(expected.join("\n"));
    expect((error as ConfigError).name).toBe("ConfigError");
  });
});

describe("checkSecrets", () => {
  const TOKEN = "socle@pve!deploy=0b3c2f3e-6f1a-4c55-9a4e-2d1f3c4b5a69";
  it.each<[string, string | undefined, { proxmoxApiToken?: string; backupPassword?: string }, string[]]>([
    ["proxmox with a token", "proxmox", { proxmoxApiToken: TOKEN }, []],
    ["local without any", "local", {}, []],
    [
      "proxmox without the token",
      "proxmox",
      {},
      [
        "socle:proxmoxApiToken: missing, expected the Proxmox API token of a proxmox target, as a secret (pulumi config set --secret socle:proxmoxApiToken 'user@realm!tokenid=uuid')",
      ],
    ],
    [
      "a malformed token is not printed",
      "proxmox",
      { proxmoxApiToken: "root:hunter2" },
      ["socle:proxmoxApiToken: [secret] is not a Proxmox API token (user@realm!tokenid=uuid)"],
    ],
    [
      "an empty backup password",
      "local",
      { backupPassword: "" },
      ["socle:backupPassword: [secret] is not a non-empty string"],
    ],
  ])("%s", (_label, kind, secrets, expected) => {
    expect(checkSecrets(kind, secrets)).toEqual(expected);
  });
});
