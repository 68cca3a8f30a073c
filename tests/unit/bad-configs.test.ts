/**
 * Issue 12 (adversarial review): configs that used to pass the config reader
 * and failed later (at deploy time, or in a component after resources were
 * declared), or that passed and did harm. Each is now refused by
 * `parseConfig` with its exact message, naming its config path; a few of
 * them, run through the real entry (stacks/index.ts) under the mock engine,
 * declare no resource at all. What is still accepted (French names, Docker
 * engines with TLS or SSH): tests/unit/config-accepts.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../stacks/config.js";
import {
  BACKUP,
  KEY,
  TNS,
  cfg,
  errorsOf,
  hosts,
  px,
  services,
  t,
  tenants,
  type Case,
} from "./config-fixtures.js";
import { installMocks, settle, type Recorder } from "./mocks.js";
import { stackConfigEnv } from "./stack-config.js";

const site = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  title: "Club",
  admin: "bureau@club.example",
  ...extra,
});
const wp = (...sites: Record<string, unknown>[]) => ({ wordpress: { sites } });
const town = (slug: string, s: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  t({ slug, domain: `${slug}.example`, services: s, ...extra });
const backup = (b: Record<string, unknown>) => cfg({ backup: { ...BACKUP, ...b } });
const local = (l: Record<string, unknown>) => cfg({ target: { kind: "local", ...l } });
const RSA_1024 =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDGUfe0da+nF+JTDLK36NK8sy/Z4WNYZ1/euKIu4CVd+UoifQpPPzK4nE6+e/i970VXReMNqY+CIOHZe9Dq5OlYPcY1A0jvN0Zpnpg2sW1y0L+rghcgzfRnXa4fmRLgesEwZk+21pK0jetlY45HTnQmW/HbR2mdAo7QeKf6g8Jxbw== old@mairie.example";
/** A domain of 248 characters: valid, but `cloud.` + it is over 253. */
const LONG_DOMAIN = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(53)}.fr`;
const NAME_IS =
  "is not a name (one line of at most 120 characters, without control or bidirectional characters)";
const MAIL_FIX = "add a host, or give the town its own servers (services.sogo.mail)";

const CASES: Case[] = [
  // 4. container and volume names that two parts of the config would both give
  [
    "4: town b-assos's Nextcloud and town b's site nextcloud",
    tenants(town("b-assos", { nextcloud: { office: false } }), town("b", wp(site("nextcloud")))),
    [
      `socle:tenants[1].services.wordpress.sites[0]: the container name "b-assos-nextcloud" (and the volume name "b-assos-nextcloud-html") is already used by socle:tenants[0].services.nextcloud`,
    ],
  ],
  [
    "4: site assos-b of a and site b of a-assos",
    tenants(town("a", wp(site("assos-b"))), town("a-assos", wp(site("b")))),
    [
      `socle:tenants[1].services.wordpress.sites[0]: the container name "a-assos-assos-b" (and the volume name "a-assos-assos-b-html") is already used by socle:tenants[0].services.wordpress.sites[0]`,
    ],
  ],
  [
    "4: the database initialiser of town a-wordpress's Nextcloud and of town a's site nextcloud",
    tenants(town("a-wordpress", { nextcloud: { office: false } }), town("a", wp(site("nextcloud")))),
    [
      `socle:tenants[1].services.wordpress.sites[0]: the container name "a-wordpress-nextcloud-dbinit" is already used by socle:tenants[0].services.nextcloud`,
    ],
  ],
  [
    "4: the job attaching PostgreSQL to town b-assos's network and town b's site network-postgres",
    tenants(town("b-assos", { nextcloud: { office: false } }), town("b", wp(site("network-postgres")))),
    [
      `socle:tenants[1].services.wordpress.sites[0]: the container name "b-assos-network-postgres" is already used by socle:tenants[0].slug`,
    ],
  ],
  [
    "4: the certificate copier of town x-assos-y's mail server and town x's site y-mail-certs",
    tenants(town("x", wp(site("y-mail-certs"))), town("x-assos-y", { sogo: {} })),
    [
      `socle:tenants[1].services.sogo: the container name "x-assos-y-mail-certs" is already used by socle:tenants[0].services.wordpress.sites[0]`,
    ],
  ],
  // 5. credentials in the repository URL (never shown in clear)
  [
    "5: a restic URL with user:password@",
    backup({ repository: "rest:https://backup:hunter2@rest.mairie.example/socle" }),
    [
      'socle:backup.repository: "rest:https://backup:***@rest.mairie.example/socle" holds a password: keep credentials out of the URL (the repository password is the secret socle:backupPassword; restic reads backend credentials, e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD, from its environment: add them to /etc/socle/backup.env on each host, mode 0600)',
    ],
  ],
  [
    "5: an s3 URL with a key and secret",
    backup({ repository: "s3:https://AKIAEXAMPLE:s3cr3t@s3.mairie.example/bucket" }),
    [
      'socle:backup.repository: "s3:https://AKIAEXAMPLE:***@s3.mairie.example/bucket" holds a password: keep credentials out of the URL (the repository password is the secret socle:backupPassword; restic reads backend credentials, e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD, from its environment: add them to /etc/socle/backup.env on each host, mode 0600)',
    ],
  ],
  // 6. schedules that never fire
  [
    "6: a date already past",
    backup({ schedule: "2020-01-01 03:00:00" }),
    [
      'socle:backup.schedule: "2020-01-01 03:00:00" never elapses (systemd-analyze calendar: "Next elapse: never"): a date already past, or a day no month has; e.g. "*-*-* 02:30:00"',
    ],
  ],
  [
    "6: February 30th",
    backup({ schedule: "*-02-30 03:00:00" }),
    [
      'socle:backup.schedule: "*-02-30 03:00:00" never elapses (systemd-analyze calendar: "Next elapse: never"): a date already past, or a day no month has; e.g. "*-*-* 02:30:00"',
    ],
  ],
  // 9. the mail ports: one mail server per host
  [
    "9: two towns with their own mail server on the local target (one host)",
    tenants(town("a", { sogo: {} }), town("b", { sogo: {} })),
    [
      `socle:tenants[1].services.sogo: no host is left for its mail server: 2 towns run one and the target has 1 host (each publishes ports 25, 465, 587, 993 and 4190; a host has them once): ${MAIL_FIX}`,
    ],
  ],
  [
    "9: two mail towns pinned to one host",
    cfg({
      target: px({ hosts: hosts(2) }),
      tenants: [town("a", { sogo: {} }, { host: "apps1" }), town("b", { sogo: {} }, { host: "apps1" })],
    }),
    [
      `socle:tenants[1].host: "apps1" already runs the mail server of socle:tenants[0] (ports 25, 465, 587, 993 and 4190 are published once per host): pin it to another host, or give the town its own servers (services.sogo.mail)`,
    ],
  ],
  // 10. refused later by a component, or past a limit
  [
    "10: e-mails RFC 5322 allows but WordPress's is_email() refuses",
    services(
      wp(site("club", { admin: '"le président"@club.example' }), site("judo", { admin: "judo@[192.0.2.1]" })),
    ),
    [
      `${TNS}.wordpress.sites[0].admin: "\\"le président\\"@club.example" is not an email address`,
      `${TNS}.wordpress.sites[1].admin: "judo@[192.0.2.1]" is not an email address`,
    ],
  ],
  [
    "10: a title with a newline",
    services(wp(site("club", { title: "Club\nd'échecs" }))),
    [`${TNS}.wordpress.sites[0].title: "Club\\nd'échecs" ${NAME_IS}`],
  ],
  [
    "10: {} in acmeEmail",
    local({ acmeEmail: "dsi{}@mairie.example" }),
    [
      'socle:target.acmeEmail: "dsi{}@mairie.example" is not an ACME contact Caddy can read (an email address without "{", "}" or a leading "#")',
    ],
  ],
  [
    "10: a name over 253 characters once the subdomain is added",
    services({ nextcloud: { office: false } }, { domain: LONG_DOMAIN }),
    [
      `${TNS}.nextcloud.subdomain: "cloud" makes the name "cloud.${"a".repeat(52)}… of 254 characters (a domain name has 253 at most)`,
    ],
  ],
  [
    "10: two-number versions",
    tenants(t({ versions: { nextcloud: "32.0", sogo: "5.8.0" } })),
    [
      'socle:tenants[0].versions.nextcloud: "32.0" is not a version of nextcloud Socle deploys (3 numbers, e.g. "32.0.3")',
      'socle:tenants[0].versions.sogo: "5.8.0" is not a version of sogo Socle deploys (5.12 or newer, e.g. "5.12.3")',
    ],
  ],
  [
    "10: a database name over 63 characters",
    tenants(town("a".repeat(32), wp(site("b".repeat(32))))),
    [
      `socle:tenants[0].services.wordpress.sites[0].slug: "${"b".repeat(32)}" makes the database name "${"a".repeat(32)}_assos_${"b".repeat(19)}… of 71 characters (at most 63: shorten the site's or the tenant's slug)`,
    ],
  ],
  [
    "10: reserved slugs",
    tenants(town("master", {}), town("shared", {})),
    [
      `socle:tenants[0].slug: "master" is reserved (Keycloak's own administration realm)`,
      `socle:tenants[1].slug: "shared" is reserved (the name of the shared PeerTube's containers and outputs)`,
    ],
  ],
  [
    "10: sshUser root",
    cfg({ target: px({ sshUser: "root" }) }),
    [
      'socle:target.sshUser: "root" is a system account of the Debian hosts (the admin user must be an account of its own, e.g. "socle")',
    ],
  ],
  [
    "10: a templateVmId that is a host's VM id",
    cfg({ target: px({ templateVmId: 2001, hosts: hosts(2) }) }),
    [
      "socle:target.templateVmId: 2001 is already used by socle:target.hosts[1] (the hosts' VMs take 2000, 2001, … in order)",
    ],
  ],
  // 11. a Docker engine without TLS
  [
    "11: plain tcp://host:2375",
    local({ dockerHost: "tcp://docker.mairie.example:2375" }),
    [
      'socle:target.dockerHost: "tcp://docker.mairie.example:2375" needs TLS: set socle:target.dockerCertPath (a directory with ca.pem, cert.pem and key.pem), or use ssh://user@host (a plain tcp:// engine gives root on its host to anyone who reaches it)',
    ],
  ],
  [
    "11: an ssh:// engine with a password, shown redacted",
    local({ dockerHost: "ssh://socle:hunter2@docker.mairie.example" }),
    [
      'socle:target.dockerHost: "ssh://socle:***@docker.mairie.example" is not a Docker engine address Socle uses (unix:///path, ssh://[user@]host[:port] without a password, or tcp://host:port with TLS)',
    ],
  ],
  // 12. a LAN overlapping Docker's networks
  [
    "12: a LAN over the address block of socle-web and the towns' networks",
    cfg({
      target: px({ network: { cidr: "172.30.0.0/16", gateway: "172.30.1.1", firstAddress: "172.30.1.10" } }),
    }),
    [
      "socle:target.network.cidr: \"172.30.0.0/16\" overlaps 172.30.0.0/16, the address block of Socle's networks (socle-web and every town's socle-t-<town>-web/-back, on every host)",
    ],
  ],
  [
    "12: a LAN over both socle-web and docker0",
    cfg({
      target: px({ network: { cidr: "172.16.0.0/12", gateway: "172.16.0.1", firstAddress: "172.16.0.10" } }),
    }),
    [
      "socle:target.network.cidr: \"172.16.0.0/12\" overlaps 172.30.0.0/16, the address block of Socle's networks (socle-web and every town's socle-t-<town>-web/-back, on every host)",
      'socle:target.network.cidr: "172.16.0.0/12" overlaps 172.17.0.0/16, the subnet of docker0 (Docker\'s default bridge on every host)',
    ],
  ],
  // 14. odd values
  [
    "14: a 1024-bit RSA key",
    cfg({ target: px({ sshPublicKeys: [KEY, RSA_1024] }) }),
    [
      `socle:target.sshPublicKeys[1]: "${RSA_1024.slice(0, 58)}… is not an RSA key of at least 3072 bits (this one has 1024; ssh-ed25519 keys are shorter and stronger)`,
    ],
  ],
  [
    "14: sshUser nobody",
    cfg({ target: px({ sshUser: "nobody" }) }),
    [
      'socle:target.sshUser: "nobody" is a system account of the Debian hosts (the admin user must be an account of its own, e.g. "socle")',
    ],
  ],
  [
    "14: memory of 2^53 MiB, a disk of 10^12 GiB",
    cfg({ target: px({ hosts: [{ name: "apps1", cores: 4, memoryMb: 2 ** 53, diskGb: 1e12 }] }) }),
    [
      "socle:target.hosts[0].memoryMb: 9007199254740992 is not an integer between 2048 and 4194304",
      "socle:target.hosts[0].diskGb: 1000000000000 is not an integer between 20 and 65536",
    ],
  ],
  [
    "14: the local target's memory of 2^53 MiB",
    local({ memoryMb: 2 ** 53 }),
    ["socle:target.memoryMb: 9007199254740992 is not an integer between 2048 and 4194304"],
  ],
  [
    "14: names with a control character or a bidirectional override",
    tenants(t({ name: "Démo\u0007" }), town("b", wp(site("club", { title: "Club \u202Eiv" })))),
    [
      `socle:tenants[0].name: "Démo\\u0007" ${NAME_IS}`,
      `socle:tenants[1].services.wordpress.sites[0].title: "Club \\u202eiv" ${NAME_IS}`,
    ],
  ],
  [
    "14: / as a repository",
    backup({ repository: "/" }),
    [
      'socle:backup.repository: "/" is the root directory: give the repository a directory of its own (e.g. "/var/backups/socle")',
    ],
  ],
  [
    "14: a quote in a repository path (written into an environment file)",
    backup({ repository: "/srv/backups/l'hôtel-de-ville" }),
    [
      `socle:backup.repository: "/srv/backups/l'hôtel-de-ville" is not a restic repository Socle can write into an environment file and a unit (no quote, $, \\, backquote or control character)`,
    ],
  ],
  [
    "14: a Proxmox endpoint with credentials, shown redacted",
    cfg({ target: px({ endpoint: "https://root:hunter2@pve.mairie.example:8006/" }) }),
    [
      'socle:target.endpoint: "https://root:***@pve.mairie.example:8006/" holds a user or password: the API is reached with the secret socle:proxmoxApiToken, never with credentials in the URL',
    ],
  ],
  [
    "14: socle:versions pins of per-town apps, and of a shared PeerTube that does not exist",
    cfg({ versions: { nextcloud: "32.0.3", wordpress: "6.8.3", peertube: "7.3.0" } }),
    [
      'socle:versions.nextcloud: "32.0.3" would have no effect: nextcloud runs per town, pin it in each tenant\'s versions (socle:tenants[i].versions.nextcloud)',
      'socle:versions.peertube: "7.3.0" needs socle:shared.peertube.domain (it pins the shared PeerTube; a town\'s own PeerTube is pinned in socle:tenants[i].versions.peertube)',
      'socle:versions.wordpress: "6.8.3" would have no effect: wordpress runs per town, pin it in each tenant\'s versions (socle:tenants[i].versions.wordpress)',
    ],
  ],
];

describe("issue 12: bad configs are refused by parseConfig, each with its path", () => {
  it("covers every point (4, 5, 6, 9, 10, 11, 12, 14)", () => {
    const points = new Set(CASES.map(([label]) => label.split(":")[0]));
    expect([...points].sort()).toEqual(["10", "11", "12", "14", "4", "5", "6", "9"]);
  });
  it.each(CASES)("%s", (_label, raw, expected) => {
    expect(errorsOf(raw)).toEqual(expected);
    expect(() => parseConfig(raw)).toThrow(expected.join("\n"));
  });
  it("never shows a password it refuses", () => {
    for (const [, raw] of CASES) expect(errorsOf(raw).join("\n")).not.toContain("hunter2");
  });
});

describe("stacks/index.ts with bad configs of issue 12 declares nothing", () => {
  let rec: Recorder;
  beforeAll(async () => {
    process.env.PULUMI_CONFIG = stackConfigEnv("stacks/Pulumi.local.yaml");
    rec = await installMocks();
  });
  const entry: [string, Record<string, unknown>, string][] = [
    [
      "colliding names (4)",
      { "socle:tenants": [town("b-assos", { nextcloud: {} }), town("b", wp(site("nextcloud")))] },
      'socle:tenants[1].services.wordpress.sites[0]: the container name "b-assos-nextcloud"',
    ],
    [
      "a repository with a password (5)",
      { "socle:backup": { ...BACKUP, repository: "rest:https://u:hunter2@backup.example/" } },
      'socle:backup.repository: "rest:https://u:***@backup.example/" holds a password',
    ],
    [
      "two mail towns on one host (9)",
      { "socle:tenants": [town("a", { sogo: {} }), town("b", { sogo: {} })] },
      "socle:tenants[1].services.sogo: no host is left for its mail server",
    ],
    [
      "a plain tcp:// engine (11)",
      { "socle:target": { kind: "local", dockerHost: "tcp://10.0.0.5:2375" } },
      'socle:target.dockerHost: "tcp://10.0.0.5:2375" needs TLS',
    ],
  ];
  it.each(entry)("%s", async (_label, overrides, line) => {
    pulumi.runtime.setAllConfig(
      JSON.parse(
        stackConfigEnv(
          "stacks/Pulumi.local.yaml",
          Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, JSON.stringify(v)])),
        ),
      ) as Record<string, string>,
    );
    vi.resetModules(); // the entry runs once per import
    let err: (Error & { errors?: string[] }) | undefined;
    try {
      await import("../../stacks/index.js");
    } catch (e) {
      err = e as Error;
    }
    await settle();
    expect(err?.name).toBe("ConfigError");
    expect(err!.errors!.some((l) => l.startsWith(line))).toBe(true);
    expect(err!.message).not.toContain("hunter2");
    expect(rec.resources).toEqual([]);
  });
});
