/**
 * `socle:tenants`: the towns served by this deployment, their services and
 * pinned versions. Pure; used by stacks/config.ts.
 */
import { wordpressNames } from "../components/names.js";
import { versionProblem, type ServiceName } from "../components/versions.js";
import { KEYCLOAK_ADMIN_REALM, MAX_HOST_NAME, MAX_SQL_IDENTIFIER, isEmail } from "../templates/checks.js";
import type { Tenant, TenantServices } from "./config.js";
import { SHARED_PEERTUBE_TENANT } from "./config-names.js";
import {
  BOOL,
  DOMAIN,
  EMAIL,
  HOST_PORT,
  SLUG,
  STRING,
  SUBDOMAIN,
  TEXT,
  VERSION,
  at,
  show,
  type RawObject,
  type Reader,
} from "./config-checks.js";

export const TENANT_DEFAULTS = {
  federation: true,
  nextcloud: { office: true, subdomain: "cloud", officeSubdomain: "office" },
  sogo: { subdomain: "mail" },
  peertube: { shared: false, subdomain: "video" },
  /** A site's subdomain is `${slug}.${wordpressSuffix}`. */
  wordpressSuffix: "assos",
} as const;

/** Services a tenant may pin a version of (the deployment-wide ones are pinned in components/versions.ts). */
export const TENANT_VERSIONED: readonly ServiceName[] = [
  "nextcloud",
  "collabora",
  "sogo",
  "mailserver",
  "peertube",
  "wordpress",
];

const TENANT_KEYS = ["slug", "name", "domain", "host", "versions", "federation", "services"];
const SERVICE_KEYS = ["nextcloud", "sogo", "peertube", "wordpress"];
const NEXTCLOUD_KEYS = ["office", "subdomain", "officeSubdomain"];
const SOGO_KEYS = ["subdomain", "mail"];
const MAIL_KEYS = ["imap", "smtp", "sieve"];
const PEERTUBE_KEYS = ["shared", "subdomain"];
const WORDPRESS_KEYS = ["sites"];
const SITE_KEYS = ["slug", "title", "admin", "subdomain"];

/** A tenant runs Socle's mail server (SOGo without the town's own servers): it publishes the mail ports. */
export function servesMail(t: Pick<Tenant, "services">): boolean {
  return Boolean(t.services?.sogo && !t.services.sogo.mail);
}

/** Slugs no tenant may take, and why. */
export const RESERVED_SLUGS: Readonly<Record<string, string>> = {
  [KEYCLOAK_ADMIN_REALM]: "Keycloak's own administration realm",
  [SHARED_PEERTUBE_TENANT]: "the name of the shared PeerTube's containers and outputs",
};

/** An FQDN served by the deployment and the config path it comes from (for the duplicate check). */
export interface ServedDomain {
  path: string;
  value: string;
}

/**
 * A service's settings: an object, or null/empty (YAML `nextcloud:` with no
 * value) meaning "enabled with the defaults".
 */
function settings(r: Reader, path: string, v: unknown, known: string[]): RawObject | undefined {
  if (v === null) return {};
  return r.object(path, v, "an object (or empty, for the defaults)", known);
}

/**
 * Reads one tenant; pushes every FQDN it serves (its domain, then each
 * service's `<subdomain>.<domain>`) to `domains`, with their config paths.
 */
export function readTenant(r: Reader, path: string, v: unknown, domains: ServedDomain[]): Tenant | undefined {
  const o = r.object(path, v, "a tenant (an object with slug, name, domain, services)", TENANT_KEYS);
  if (!o) return undefined;
  // Read in the documented key order, so that errors come out in that order.
  const slug = r.required(at(path, "slug"), o.slug, SLUG);
  if (slug !== undefined && Object.hasOwn(RESERVED_SLUGS, slug))
    r.add(at(path, "slug"), `${show(slug)} is reserved (${RESERVED_SLUGS[slug]})`);
  const name = text(r, at(path, "name"), o.name);
  const domain = r.required(at(path, "domain"), o.domain, DOMAIN);
  if (domain !== undefined) domains.push({ path: at(path, "domain"), value: domain });
  const serve = (p: string, sub: string) => {
    if (domain === undefined) return;
    const fqdn = `${sub}.${domain}`;
    if (fqdn.length > MAX_HOST_NAME) r.add(p, tooLong(sub, fqdn));
    else domains.push({ path: p, value: fqdn });
  };
  const host = r.optional(at(path, "host"), o.host, STRING);
  const versions = readVersions(r, at(path, "versions"), o.versions, TENANT_VERSIONED);
  const federation = r.withDefault(at(path, "federation"), o.federation, BOOL, TENANT_DEFAULTS.federation);
  const services = readServices(r, at(path, "services"), o.services, serve, slug);
  if (services?.peertube || services?.sogo) checkDerivedAddresses(r, at(path, "domain"), domain);
  return {
    slug: slug!,
    name: name!,
    domain: domain!,
    ...(host !== undefined ? { host } : {}),
    versions,
    federation,
    services: services!,
  };
}

/** A required name or title: a non-empty string, then one line of display text (templates/checks.ts). */
export function text(r: Reader, path: string, v: unknown): string | undefined {
  const s = r.required(path, v, STRING);
  return s !== undefined ? r.value(path, s, TEXT) : undefined;
}

/** A served name over 253 characters once the subdomain is added. */
export function tooLong(sub: string, fqdn: string): string {
  return `${show(sub)} makes the name ${show(fqdn)} of ${fqdn.length} characters (a domain name has ${MAX_HOST_NAME} at most)`;
}

/**
 * The addresses the components derive from a tenant's domain (`admin@…` for
 * PeerTube, `noreply@…` for its mail) must be addresses too (254 characters
 * at most): refused on the domain when they are not.
 */
export function checkDerivedAddresses(r: Reader, path: string, domain: string | undefined): void {
  if (domain !== undefined && !isEmail(`noreply@${domain}`)) {
    r.add(
      path,
      `${show(domain)} is too long for the addresses made from it ("noreply@…" has 254 characters at most)`,
    );
  }
}

/** A map service → version, for the services in `allowed`. */
export function readVersions(
  r: Reader,
  path: string,
  v: unknown,
  allowed: readonly ServiceName[],
): Partial<Record<ServiceName, string>> {
  if (v === undefined || v === null) return {};
  const o = r.object(path, v, "an object of service: version", allowed);
  const out: Partial<Record<ServiceName, string>> = {};
  for (const service of allowed) {
    const p = at(path, service);
    const version = r.optional(p, o?.[service], VERSION);
    if (version === undefined) continue;
    const problem = versionProblem(service, version);
    if (problem !== undefined) r.invalid(p, version, `a version of ${service} Socle deploys (${problem})`);
    else out[service] = version;
  }
  return out;
}

type Serve = (path: string, subdomain: string) => void;

function readServices(
  r: Reader,
  path: string,
  v: unknown,
  serve: Serve,
  tenant: string | undefined,
): TenantServices | undefined {
  const what = `an object with any of: ${SERVICE_KEYS.join(", ")}`;
  if (v === undefined || v === null) {
    r.add(path, `missing, expected ${what}`);
    return undefined;
  }
  const o = r.object(path, v, what, SERVICE_KEYS);
  if (!o) return undefined;
  const out: TenantServices = {};
  const d = TENANT_DEFAULTS;
  if (o.nextcloud !== undefined) {
    const p = at(path, "nextcloud");
    const n = settings(r, p, o.nextcloud, NEXTCLOUD_KEYS) ?? {};
    out.nextcloud = {
      office: r.withDefault(at(p, "office"), n.office, BOOL, d.nextcloud.office),
      subdomain: r.withDefault(at(p, "subdomain"), n.subdomain, SUBDOMAIN, d.nextcloud.subdomain),
      officeSubdomain: r.withDefault(
        at(p, "officeSubdomain"),
        n.officeSubdomain,
        SUBDOMAIN,
        d.nextcloud.officeSubdomain,
      ),
    };
    serve(at(p, "subdomain"), out.nextcloud.subdomain);
    if (out.nextcloud.office) serve(at(p, "officeSubdomain"), out.nextcloud.officeSubdomain);
  }
  if (o.sogo !== undefined) out.sogo = readSogo(r, at(path, "sogo"), o.sogo, serve);
  if (o.peertube !== undefined) {
    const p = at(path, "peertube");
    const s = settings(r, p, o.peertube, PEERTUBE_KEYS) ?? {};
    out.peertube = {
      shared: r.withDefault(at(p, "shared"), s.shared, BOOL, d.peertube.shared),
      subdomain: r.withDefault(at(p, "subdomain"), s.subdomain, SUBDOMAIN, d.peertube.subdomain),
    };
    if (!out.peertube.shared) serve(at(p, "subdomain"), out.peertube.subdomain);
  }
  if (o.wordpress !== undefined) {
    const p = at(path, "wordpress");
    const w = settings(r, p, o.wordpress, WORDPRESS_KEYS) ?? {};
    out.wordpress = { sites: readSites(r, at(p, "sites"), w.sites, serve, tenant) };
  }
  return out;
}

/** SOGo: its subdomain, and the town's own mail servers (else Socle deploys one). */
function readSogo(r: Reader, p: string, v: unknown, serve: Serve): NonNullable<TenantServices["sogo"]> {
  const s = settings(r, p, v, SOGO_KEYS) ?? {};
  const sogo: NonNullable<TenantServices["sogo"]> = {
    subdomain: r.withDefault(at(p, "subdomain"), s.subdomain, SUBDOMAIN, TENANT_DEFAULTS.sogo.subdomain),
  };
  serve(at(p, "subdomain"), sogo.subdomain);
  if (s.mail === undefined || s.mail === null) return sogo;
  const mp = at(p, "mail");
  const m = r.object(mp, s.mail, "an object with imap, smtp and optionally sieve", MAIL_KEYS);
  if (m) {
    const imap = r.required(at(mp, "imap"), m.imap, HOST_PORT);
    const smtp = r.required(at(mp, "smtp"), m.smtp, HOST_PORT);
    const sieve = r.optional(at(mp, "sieve"), m.sieve, HOST_PORT);
    sogo.mail = { imap: imap!, smtp: smtp!, ...(sieve !== undefined ? { sieve } : {}) };
  }
  return sogo;
}

type Site = NonNullable<TenantServices["wordpress"]>["sites"][number];

function readSites(r: Reader, path: string, v: unknown, serve: Serve, tenant: string | undefined): Site[] {
  const what = "a list of at least one association site";
  if (v === undefined || v === null) {
    r.add(path, `missing, expected ${what}`);
    return [];
  }
  const seen = new Set<string>();
  const sites = (
    r.list(path, v, what, (sp, x): Site | undefined => {
      const o = r.object(sp, x, "a site (an object with slug, title, admin)", SITE_KEYS);
      if (!o) return undefined;
      const slug = r.required(at(sp, "slug"), o.slug, SLUG);
      if (slug !== undefined && tenant !== undefined) checkDatabaseName(r, at(sp, "slug"), tenant, slug);
      const repeated = slug !== undefined && seen.has(slug); // reported once, as a duplicate slug
      if (slug !== undefined) seen.add(slug);
      const explicit = r.optional(at(sp, "subdomain"), o.subdomain, SUBDOMAIN);
      const subdomain =
        explicit ?? (slug !== undefined ? `${slug}.${TENANT_DEFAULTS.wordpressSuffix}` : undefined);
      if (subdomain !== undefined && !(repeated && explicit === undefined))
        serve(at(sp, explicit !== undefined ? "subdomain" : "slug"), subdomain);
      return {
        slug: slug!,
        title: text(r, at(sp, "title"), o.title)!,
        admin: r.required(at(sp, "admin"), o.admin, EMAIL)!,
        subdomain: subdomain!,
      };
    }) ?? []
  ).filter((s): s is Site => s !== undefined);
  if (Array.isArray(v)) {
    r.unique(
      v.map((s, i) => ({
        path: `${path}[${i}].slug`,
        value:
          typeof (s as RawObject | null)?.slug === "string" ? ((s as RawObject).slug as string) : undefined,
      })),
    );
  }
  return sites;
}

/** A site's MariaDB database, `<tenant>_assos_<site>`, fits in 63 characters (components/names.ts). */
function checkDatabaseName(r: Reader, path: string, tenant: string, site: string): void {
  const db = wordpressNames(tenant, site).database;
  if (db.length > MAX_SQL_IDENTIFIER) {
    r.add(
      path,
      `${show(site)} makes the database name ${show(db)} of ${db.length} characters (at most ${MAX_SQL_IDENTIFIER}: shorten the site's or the tenant's slug)`,
    );
  }
}
