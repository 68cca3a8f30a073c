/**
 * The stack config's rejections: a table of bad inputs, each with the EXACT
 * list of messages `parseConfig` reports (ConfigError.errors), and one input
 * with many problems reported all at once. The target's rejections are in
 * config-target-errors.test.ts; good inputs and `loadConfig` in config.test.ts.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, checkSecrets, parseConfig, type RawConfig } from "../../stacks/config.js";
import {
  BACKUP,
  SLUG_IS,
  TNS,
  cfg,
  px,
  rejects,
  services,
  t,
  tenants,
  type Case,
  type O,
} from "./config-fixtures.js";

const CASES: Case[] = [
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
    "slug, name and domain all wrong, reported in key order",
    tenants({ domain: "x", name: 3, slug: "A", services: {} }),
    [
      `socle:tenants[0].slug: "A" ${SLUG_IS}`,
      "socle:tenants[0].name: 3 is not a non-empty string",
      'socle:tenants[0].domain: "x" is not a domain name',
    ],
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
      "socle:foo: unknown key (expected one of: target, tenants, sso, shared, backup, images, versions, proxmoxApiToken, backupPassword)",
    ],
  ],
  [
    "deployment-wide versions",
    cfg({ versions: { keycloak: "latest", postgress: "17.6" } }),
    [
      'socle:versions.postgress: unknown key (did you mean "postgres"?)',
      'socle:versions.keycloak: "latest" is not a version (numbers separated by dots, e.g. "32.0.3")',
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

describe("parseConfig rejects bad tenants, sso, shared and backup with exact messages", () => {
  it("has at least 35 cases (the target's are in config-target-errors.test.ts)", () =>
    expect(CASES.length).toBeGreaterThanOrEqual(35));
  rejects(CASES);
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
