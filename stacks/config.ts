/**
 * The stack config: the ONLY module that reads `pulumi.Config` (namespace
 * `socle`). `parseConfig` is pure: it validates the raw values, applies the
 * defaults and returns a typed `SocleConfig`, or throws a `ConfigError` listing
 * EVERY problem, each line naming its config path
 * (`socle:tenants[1].domain: "x y" is not a domain name`). `loadConfig` reads
 * the stack's config and secrets and calls it, before any resource exists.
 *
 * The reference for users is docs/config.md; message shapes are listed in
 * stacks/config-checks.ts. Target parsing: stacks/config-target.ts; tenants:
 * stacks/config-tenants.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_NAMES, type ServiceName } from "../components/versions.js";
import { DOMAIN, REPOSITORY, SCHEDULE, Reader, at, int, isObject, suggest, show } from "./config-checks.js";
import { TARGET_DEFAULTS, hostNames, readTarget } from "./config-target.js";
import { TENANT_DEFAULTS, readTenant, readVersions, type ServedDomain } from "./config-tenants.js";
import { readImages, type ImagesConfig } from "./config-images.js";

export { hostAddresses, hostNames, TARGET_KINDS } from "./config-target.js";
export { TENANT_VERSIONED } from "./config-tenants.js";

export interface SocleConfig {
  target: LocalTarget | ProxmoxTarget;
  tenants: Tenant[];
  sso: { domain: string };
  shared: { peertube?: { domain: string } };
  backup: BackupConfig;
  /** Where images are pulled from (`socle:images`). */
  images: ImagesConfig;
  /**
   * Deployment-wide version pins (`socle:versions`, written by `socle update`):
   * Keycloak, the platform services, the shared PeerTube. Any catalogue
   * service; a tenant's own `versions` is what its apps use.
   */
  versions: Partial<Record<ServiceName, string>>;
  secrets: { proxmoxApiToken?: pulumi.Output<string>; backupPassword?: pulumi.Output<string> };
}

export interface LocalTarget {
  kind: "local";
  /** Docker engine address; default `unix:///var/run/docker.sock`. */
  dockerHost: string;
  /** Memory offered to containers, MiB; default 16384. */
  memoryMb: number;
  acmeEmail?: string;
}

export interface ProxmoxTarget {
  kind: "proxmox";
  /** Proxmox VE API, an https URL. */
  endpoint: string;
  /** Accept a self-signed API certificate; default false. */
  insecure: boolean;
  nodes: string[];
  templateVmId: number;
  /** Default `local-lvm`. */
  datastore: string;
  /** Default `local`. */
  snippetsDatastore: string;
  /** Default `vmbr0`. */
  bridge: string;
  vlanId?: number;
  /** Hosts take consecutive addresses from `firstAddress` (see `hostAddresses`); dns default `[gateway]`. */
  network: { cidr: string; gateway: string; firstAddress: string; dns: string[] };
  sshPublicKeys: string[];
  /** Default `socle`. */
  sshUser: string;
  hosts: HostSpec[];
  /** Proxmox HA for the VMs; default false. */
  ha: boolean;
  acmeEmail?: string;
  /** Memory kept free per host for the OS, MiB; default 1024. */
  reserveMb: number;
}

export interface HostSpec {
  name: string;
  cores: number;
  memoryMb: number;
  diskGb: number;
  /** Pin to a Proxmox node. */
  node?: string;
}

export interface Tenant {
  slug: string;
  name: string;
  domain: string;
  /** Pin to a host (a `target.hosts[].name`, or `local`). */
  host?: string;
  versions: Partial<Record<ServiceName, string>>;
  /** Default true. */
  federation: boolean;
  services: TenantServices;
}

export interface TenantServices {
  nextcloud?: { office: boolean; subdomain: string; officeSubdomain: string };
  /** `mail`: host:port of the town's existing servers (else Socle's mail server is deployed). */
  sogo?: { subdomain: string; mail?: { imap: string; smtp: string; sieve?: string } };
  peertube?: { shared: boolean; subdomain: string };
  wordpress?: { sites: { slug: string; title: string; admin: string; subdomain: string }[] };
}

export interface BackupConfig {
  repository: string;
  schedule: string;
  keep: { daily: number; weekly: number; monthly: number };
}

/** The raw (JSON-parsed) values of the config keys; undefined when unset. */
export interface RawConfig {
  target?: unknown;
  tenants?: unknown;
  sso?: unknown;
  shared?: unknown;
  backup?: unknown;
  images?: unknown;
  versions?: unknown;
  /** Other keys set in the `socle` namespace (without the prefix): each is reported as unknown. */
  otherKeys?: string[];
}

export class ConfigError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join("\n"));
    this.name = "ConfigError";
  }
}

export const CONFIG_DEFAULTS = {
  target: TARGET_DEFAULTS,
  tenant: TENANT_DEFAULTS,
  ssoSubdomain: "sso",
  backup: { schedule: "*-*-* 02:30:00" },
} as const;

/** Every key of the `socle` namespace. */
export const CONFIG_KEYS = [
  "target",
  "tenants",
  "sso",
  "shared",
  "backup",
  "images",
  "versions",
  "proxmoxApiToken",
  "backupPassword",
];

/** Validates and defaults the raw config; throws a ConfigError listing every problem. */
export function parseConfig(raw: RawConfig): SocleConfig {
  const r = new Reader();
  for (const key of raw.otherKeys ?? []) {
    const s = suggest(key, CONFIG_KEYS);
    r.add(
      `socle:${key}`,
      s
        ? `unknown key (did you mean "socle:${s}"?)`
        : `unknown key (expected one of: ${CONFIG_KEYS.join(", ")})`,
    );
  }
  const target = readTarget(r, raw.target);

  const served: ServedDomain[] = [];
  const tenants = readTenants(r, raw.tenants, served);
  tenants.forEach((t, i) => {
    if (t?.host !== undefined && target && !hostNames(target).includes(t.host)) {
      r.add(
        `socle:tenants[${i}].host`,
        `${show(t.host)} is not one of the target's hosts (${hostNames(target).join(", ")})`,
      );
    }
  });

  const ssoDomain = readSso(r, raw.sso, tenants[0]?.domain);
  const shared = readShared(r, raw.shared);
  tenants.forEach((t, i) => {
    if (t?.services?.peertube?.shared && !shared.peertube) {
      r.add(`socle:tenants[${i}].services.peertube.shared`, "true needs socle:shared.peertube.domain");
    }
  });
  const deploymentWide: ServedDomain[] = [];
  if (ssoDomain) deploymentWide.push({ path: "socle:sso.domain", value: ssoDomain });
  if (shared.peertube)
    deploymentWide.push({ path: "socle:shared.peertube.domain", value: shared.peertube.domain });
  r.unique([...deploymentWide, ...served]);

  const backup = readBackup(r, raw.backup);
  const images = readImages(r, raw.images);
  const versions = readVersions(r, "socle:versions", raw.versions, SERVICE_NAMES);
  if (r.errors.length > 0) throw new ConfigError(r.errors);
  return {
    target: target!,
    tenants: tenants as Tenant[],
    sso: { domain: ssoDomain! },
    shared,
    backup: backup!,
    images,
    versions,
    secrets: {},
  };
}

function readTenants(r: Reader, v: unknown, served: ServedDomain[]): (Tenant | undefined)[] {
  const what = "a list of at least one tenant";
  if (v === undefined || v === null) {
    r.add("socle:tenants", `missing, expected ${what}`);
    return [];
  }
  const tenants = r.list("socle:tenants", v, what, (p, x) => readTenant(r, p, x, served)) ?? [];
  if (Array.isArray(v)) {
    r.unique(
      v.map((t, i) => ({
        path: `socle:tenants[${i}].slug`,
        value: isObject(t) && typeof t.slug === "string" ? t.slug : undefined,
      })),
    );
  }
  return tenants;
}

function readSso(r: Reader, v: unknown, firstDomain: string | undefined): string | undefined {
  const fallback = firstDomain !== undefined ? `${CONFIG_DEFAULTS.ssoSubdomain}.${firstDomain}` : undefined;
  if (v === undefined || v === null) return fallback;
  const o = r.object("socle:sso", v, "an object with domain", ["domain"]);
  return r.optional("socle:sso.domain", o?.domain, DOMAIN) ?? fallback;
}

function readShared(r: Reader, v: unknown): SocleConfig["shared"] {
  if (v === undefined || v === null) return {};
  const o = r.object("socle:shared", v, "an object with peertube", ["peertube"]);
  if (o?.peertube === undefined || o.peertube === null) return {};
  const p = r.object("socle:shared.peertube", o.peertube, "an object with domain", ["domain"]);
  if (!p) return {};
  const domain = r.required("socle:shared.peertube.domain", p.domain, DOMAIN);
  return domain !== undefined ? { peertube: { domain } } : {};
}

function readBackup(r: Reader, v: unknown): BackupConfig | undefined {
  const path = "socle:backup";
  const what = "an object with repository, schedule and keep";
  if (v === undefined || v === null) {
    r.add(path, `missing, expected ${what}`);
    return undefined;
  }
  const o = r.object(path, v, what, ["repository", "schedule", "keep"]);
  if (!o) return undefined;
  const repository = r.required(at(path, "repository"), o.repository, REPOSITORY);
  const schedule = r.withDefault(at(path, "schedule"), o.schedule, SCHEDULE, CONFIG_DEFAULTS.backup.schedule);
  const kp = at(path, "keep");
  const keepWhat = "an object with daily, weekly and monthly";
  if (o.keep === undefined || o.keep === null) {
    r.add(kp, `missing, expected ${keepWhat}`);
    return undefined;
  }
  const k = r.object(kp, o.keep, keepWhat, ["daily", "weekly", "monthly"]);
  if (!k) return undefined;
  const keep = {
    daily: r.required(at(kp, "daily"), k.daily, int(0)),
    weekly: r.required(at(kp, "weekly"), k.weekly, int(0)),
    monthly: r.required(at(kp, "monthly"), k.monthly, int(0)),
  };
  if (keep.daily === 0 && keep.weekly === 0 && keep.monthly === 0) {
    r.add(kp, "keeps no snapshot (at least one of daily, weekly, monthly must be above 0)");
  }
  return { repository: repository!, schedule, keep: keep as BackupConfig["keep"] };
}

/** The secrets' plain values, for validation only (never shown in a message). */
export interface PlainSecrets {
  proxmoxApiToken?: string;
  backupPassword?: string;
}

/** Proxmox API token: `user@realm!tokenid=<uuid>`. */
export const PROXMOX_TOKEN =
  /^[^\s@!=]+@[A-Za-z0-9._-]+![A-Za-z][A-Za-z0-9._-]*=[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/** Checks the secrets against the target kind; returns the problems (the values are never printed). */
export function checkSecrets(targetKind: string | undefined, secrets: PlainSecrets): string[] {
  const errors: string[] = [];
  const token = secrets.proxmoxApiToken;
  if (targetKind === "proxmox" && token === undefined) {
    errors.push(
      "socle:proxmoxApiToken: missing, expected the Proxmox API token of a proxmox target, as a secret (pulumi config set --secret socle:proxmoxApiToken 'user@realm!tokenid=uuid')",
    );
  } else if (token !== undefined && !PROXMOX_TOKEN.test(token)) {
    errors.push("socle:proxmoxApiToken: [secret] is not a Proxmox API token (user@realm!tokenid=uuid)");
  }
  if (secrets.backupPassword !== undefined && secrets.backupPassword.length === 0) {
    errors.push("socle:backupPassword: [secret] is not a non-empty string");
  }
  return errors;
}

/** A structured key: its JSON value, or the plain string when it is not JSON (reported as not an object/list). */
function readObject(c: pulumi.Config, key: string): unknown {
  try {
    return c.getObject<unknown>(key);
  } catch {
    return c.get(key);
  }
}

/**
 * Reads the stack's `socle:*` config and secrets, validates everything
 * (config and secrets together: every problem is reported at once) and
 * returns the typed config with the secrets as secret Outputs.
 */
export function loadConfig(): SocleConfig {
  const c = new pulumi.Config("socle");
  const raw: RawConfig = {
    target: readObject(c, "target"),
    tenants: readObject(c, "tenants"),
    sso: readObject(c, "sso"),
    shared: readObject(c, "shared"),
    backup: readObject(c, "backup"),
    images: readObject(c, "images"),
    versions: readObject(c, "versions"),
    otherKeys: Object.keys(pulumi.runtime.allConfig())
      .filter((k) => k.startsWith("socle:"))
      .map((k) => k.slice("socle:".length))
      .filter((k) => !CONFIG_KEYS.includes(k)),
  };
  const errors: string[] = [];
  let parsed: SocleConfig | undefined;
  try {
    parsed = parseConfig(raw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors.push(...e.errors);
  }
  const kind = isObject(raw.target) && typeof raw.target.kind === "string" ? raw.target.kind : undefined;
  errors.push(
    ...checkSecrets(kind, {
      proxmoxApiToken: c.get("proxmoxApiToken"),
      backupPassword: c.get("backupPassword"),
    }),
  );
  if (errors.length > 0 || !parsed) throw new ConfigError(errors);
  const proxmoxApiToken = c.getSecret("proxmoxApiToken");
  const backupPassword = c.getSecret("backupPassword");
  return {
    ...parsed,
    secrets: {
      ...(proxmoxApiToken ? { proxmoxApiToken } : {}),
      ...(backupPassword ? { backupPassword } : {}),
    },
  };
}
