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
import { DOMAIN, Reader, isObject, suggest, show } from "./config-checks.js";
import { BACKUP_DEFAULTS, readBackup } from "./config-backup.js";
import { checkEngineNames } from "./config-names.js";
import { TARGET_DEFAULTS, hostNames, readTarget } from "./config-target.js";
import {
  TENANT_DEFAULTS,
  TENANT_VERSIONED,
  checkDerivedAddresses,
  readTenant,
  readVersions,
  servesMail,
  tooLong,
  type ServedDomain,
} from "./config-tenants.js";
import { readImages, type ImagesConfig } from "./config-images.js";
import { MAX_HOST_NAME } from "../templates/checks.js";
import { mailPortProblems } from "./placement.js";

export { hostAddresses, hostNames, TARGET_KINDS } from "./config-target.js";
export { TENANT_VERSIONED, servesMail } from "./config-tenants.js";

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
  /** TLS client certificates of a `tcp://` engine (ca.pem, cert.pem, key.pem), required with tcp://. */
  dockerCertPath?: string;
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
  backup: BACKUP_DEFAULTS,
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
export function parseConfig(raw: RawConfig, options: { now?: Date } = {}): SocleConfig {
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
  if (target) checkHosts(r, target, tenants);

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

  const backup = readBackup(r, raw.backup, options.now ?? new Date());
  const images = readImages(r, raw.images);
  const versions = readDeploymentVersions(r, raw.versions, shared);
  checkEngineNames(r, { tenants, shared, versions });
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

/** Each pin names one of the target's hosts, and the towns that serve mail fit, one per host (stacks/placement.ts). */
function checkHosts(r: Reader, target: LocalTarget | ProxmoxTarget, tenants: (Tenant | undefined)[]): void {
  const names = hostNames(target);
  if (names.length === 0) return; // the hosts are invalid: reported already
  tenants.forEach((t, i) => {
    if (t?.host !== undefined && !names.includes(t.host)) {
      r.add(
        `socle:tenants[${i}].host`,
        `${show(t.host)} is not one of the target's hosts (${names.join(", ")})`,
      );
    }
  });
  const mail = tenants.map((t) => ({
    ...(t?.host !== undefined ? { host: t.host } : {}),
    mail: t ? servesMail(t) : false,
  }));
  r.errors.push(...mailPortProblems(names, mail));
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
  const sub = CONFIG_DEFAULTS.ssoSubdomain;
  const fallback = firstDomain !== undefined ? `${sub}.${firstDomain}` : undefined;
  const o =
    v === undefined || v === null ? undefined : r.object("socle:sso", v, "an object with domain", ["domain"]);
  const domain = r.optional("socle:sso.domain", o?.domain, DOMAIN);
  if (domain !== undefined || fallback === undefined) return domain;
  if (fallback.length > MAX_HOST_NAME) {
    r.add("socle:sso.domain", `missing, and the default ${tooLong(sub, fallback)}: set it`);
    return undefined;
  }
  return fallback;
}

/**
 * `socle:versions`: the deployment-wide pins. A per-town app's pin here would
 * have no effect (each town's apps read its own `versions`): refused, as is a
 * PeerTube pin without a shared PeerTube (it pins only that one).
 */
function readDeploymentVersions(
  r: Reader,
  v: unknown,
  shared: SocleConfig["shared"],
): Partial<Record<ServiceName, string>> {
  const path = "socle:versions";
  const read = readVersions(r, path, v, SERVICE_NAMES);
  const versions: Partial<Record<ServiceName, string>> = {};
  for (const [service, version] of Object.entries(read) as [ServiceName, string][]) {
    const p = `${path}.${service}`;
    if (service === "peertube" && !shared.peertube) {
      r.add(
        p,
        `${show(version)} needs socle:shared.peertube.domain (it pins the shared PeerTube; a town's own PeerTube is pinned in socle:tenants[i].versions.peertube)`,
      );
    } else if (service !== "peertube" && TENANT_VERSIONED.includes(service)) {
      r.add(
        p,
        `${show(version)} would have no effect: ${service} runs per town, pin it in each tenant's versions (socle:tenants[i].versions.${service})`,
      );
    } else {
      versions[service] = version;
    }
  }
  return versions;
}

function readShared(r: Reader, v: unknown): SocleConfig["shared"] {
  if (v === undefined || v === null) return {};
  const o = r.object("socle:shared", v, "an object with peertube", ["peertube"]);
  if (o?.peertube === undefined || o.peertube === null) return {};
  const p = r.object("socle:shared.peertube", o.peertube, "an object with domain", ["domain"]);
  if (!p) return {};
  const domain = r.required("socle:shared.peertube.domain", p.domain, DOMAIN);
  checkDerivedAddresses(r, "socle:shared.peertube.domain", domain);
  return domain !== undefined ? { peertube: { domain } } : {};
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
