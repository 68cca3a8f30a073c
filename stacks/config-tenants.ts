/**
 * `socle:tenants`: the towns served by this deployment, their services and
 * pinned versions. Pure; used by stacks/config.ts.
 */
import type { ServiceName } from "../components/versions.js";
import type { Tenant, TenantServices } from "./config.js";
import {
  BOOL,
  DOMAIN,
  EMAIL,
  HOST_PORT,
  SLUG,
  STRING,
  SUBDOMAIN,
  VERSION,
  at,
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
  const name = r.required(at(path, "name"), o.name, STRING);
  const domain = r.required(at(path, "domain"), o.domain, DOMAIN);
  if (domain !== undefined) domains.push({ path: at(path, "domain"), value: domain });
  const serve = (p: string, sub: string) => {
    if (domain !== undefined) domains.push({ path: p, value: `${sub}.${domain}` });
  };
  const host = r.optional(at(path, "host"), o.host, STRING);
  return {
    slug: slug!,
    name: name!,
    domain: domain!,
    ...(host !== undefined ? { host } : {}),
    versions: readVersions(r, at(path, "versions"), o.versions, TENANT_VERSIONED),
    federation: r.withDefault(at(path, "federation"), o.federation, BOOL, TENANT_DEFAULTS.federation),
    services: readServices(r, at(path, "services"), o.services, serve)!,
  };
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
    const version = r.optional(at(path, service), o?.[service], VERSION);
    if (version !== undefined) out[service] = version;
  }
  return out;
}

type Serve = (path: string, subdomain: string) => void;

function readServices(r: Reader, path: string, v: unknown, serve: Serve): TenantServices | undefined {
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
  if (o.sogo !== undefined) {
    const p = at(path, "sogo");
    const s = settings(r, p, o.sogo, SOGO_KEYS) ?? {};
    out.sogo = { subdomain: r.withDefault(at(p, "subdomain"), s.subdomain, SUBDOMAIN, d.sogo.subdomain) };
    serve(at(p, "subdomain"), out.sogo.subdomain);
    if (s.mail !== undefined && s.mail !== null) {
      const mp = at(p, "mail");
      const m = r.object(mp, s.mail, "an object with imap, smtp and optionally sieve", MAIL_KEYS);
      if (m) {
        const imap = r.required(at(mp, "imap"), m.imap, HOST_PORT);
        const smtp = r.required(at(mp, "smtp"), m.smtp, HOST_PORT);
        const sieve = r.optional(at(mp, "sieve"), m.sieve, HOST_PORT);
        out.sogo.mail = { imap: imap!, smtp: smtp!, ...(sieve !== undefined ? { sieve } : {}) };
      }
    }
  }
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
    out.wordpress = { sites: readSites(r, at(p, "sites"), w.sites, serve) };
  }
  return out;
}

type Site = NonNullable<TenantServices["wordpress"]>["sites"][number];

function readSites(r: Reader, path: string, v: unknown, serve: Serve): Site[] {
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
      const repeated = slug !== undefined && seen.has(slug); // reported once, as a duplicate slug
      if (slug !== undefined) seen.add(slug);
      const explicit = r.optional(at(sp, "subdomain"), o.subdomain, SUBDOMAIN);
      const subdomain =
        explicit ?? (slug !== undefined ? `${slug}.${TENANT_DEFAULTS.wordpressSuffix}` : undefined);
      if (subdomain !== undefined && !(repeated && explicit === undefined))
        serve(at(sp, explicit !== undefined ? "subdomain" : "slug"), subdomain);
      return {
        slug: slug!,
        title: r.required(at(sp, "title"), o.title, STRING)!,
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
