/**
 * The versions catalogue: the version Socle deploys for each app and platform
 * service (never `latest`), how that version becomes an image reference, and
 * the known release line of each major (the last patch of each), which the
 * update planner walks through. One place for every pin: components read
 * `imageRef`, the planner reads `CATALOGUE`.
 */
import { SOGO_OIDC_MIN_VERSION } from "../templates/sogo-conf.js";

export interface CatalogueEntry {
  /** Image repository, without tag. */
  image: string;
  /** The version deployed by default. */
  pinned: string;
  /** Builds the image tag from a version (e.g. `32.0.3` → `32.0.3-apache`). */
  tag: (version: string) => string;
  /** Last known release of each major, oldest first (the planner's stepping stones). */
  majors: Record<string, string>;
}

const plain = (v: string) => v;

export const CATALOGUE = {
  nextcloud: {
    image: "nextcloud",
    pinned: "32.0.3",
    tag: (v: string) => `${v}-apache`,
    majors: { "29": "29.0.16", "30": "30.0.17", "31": "31.0.11", "32": "32.0.3" },
  },
  collabora: {
    image: "collabora/code",
    pinned: "25.04.7.2.1",
    tag: plain,
    majors: { "24": "24.04.17.3.1", "25": "25.04.7.2.1" },
  },
  keycloak: {
    image: "quay.io/keycloak/keycloak",
    pinned: "26.4.5",
    tag: plain,
    majors: { "24": "24.0.5", "25": "25.0.6", "26": "26.4.5" },
  },
  peertube: {
    image: "chocobozzz/peertube",
    pinned: "7.3.0",
    tag: (v: string) => `v${v}-bookworm`,
    majors: { "6": "6.3.3", "7": "7.3.0" },
  },
  wordpress: {
    image: "wordpress",
    pinned: "6.8.3",
    tag: (v: string) => `${v}-apache`,
    majors: { "6": "6.8.3" },
  },
  sogo: {
    image: "socle/sogo",
    pinned: "5.12.3",
    tag: plain,
    majors: { "5": "5.12.3" },
  },
  mailserver: {
    image: "ghcr.io/docker-mailserver/docker-mailserver",
    pinned: "15.1.0",
    tag: plain,
    majors: { "14": "14.0.0", "15": "15.1.0" },
  },
  postgres: {
    image: "postgres",
    pinned: "17.6",
    tag: (v: string) => `${v}-bookworm`,
    majors: { "15": "15.14", "16": "16.10", "17": "17.6", "18": "18.0" },
  },
  mariadb: {
    image: "mariadb",
    pinned: "11.4.8",
    tag: plain,
    majors: { "10.11": "10.11.14", "11.4": "11.4.8", "11.8": "11.8.3" },
  },
  redis: {
    image: "redis",
    pinned: "7.4.6",
    tag: (v: string) => `${v}-bookworm`,
    majors: { "7": "7.4.6" },
  },
  memcached: {
    image: "memcached",
    pinned: "1.6.39",
    tag: (v: string) => `${v}-bookworm`,
    majors: { "1": "1.6.39" },
  },
  caddy: {
    image: "caddy",
    pinned: "2.10.2",
    tag: plain,
    majors: { "2": "2.10.2" },
  },
  /** The Docker CLI of the platform's network jobs (one-shot, no service of their own). */
  dockercli: {
    image: "docker",
    pinned: "28.5.1",
    tag: (v: string) => `${v}-cli`,
    majors: { "28": "28.5.1" },
  },
} satisfies Record<string, CatalogueEntry>;

export type ServiceName = keyof typeof CATALOGUE;
export const SERVICE_NAMES = Object.keys(CATALOGUE) as ServiceName[];

/** The image reference for a service at a version (the pinned one by default). */
export function imageRef(service: ServiceName, version?: string): string {
  const entry: CatalogueEntry = CATALOGUE[service];
  return `${entry.image}:${entry.tag(version ?? entry.pinned)}`;
}

export function pinned(service: ServiceName): string {
  return CATALOGUE[service].pinned;
}

/**
 * What the components accept as a version of a service, beyond "numbers
 * separated by dots" (the catalogue's own shape): how many numbers, and the
 * oldest version they can run. The config reader refuses the same versions
 * (stacks/config-tenants.ts), before any resource is declared.
 */
export interface VersionRule {
  /** Exactly this many dot-separated numbers (the image tags have this shape). */
  parts?: number;
  /** The oldest version the component runs. */
  minimum?: string;
}

export const VERSION_RULES: Partial<Record<ServiceName, VersionRule>> = {
  nextcloud: { parts: 3 },
  keycloak: { parts: 3 },
  /** From Alinto (the default source): OpenID Connect needs 5.12 (templates/sogo-conf.ts). */
  sogo: { parts: 3, minimum: SOGO_OIDC_MIN_VERSION },
  /** The database initialisers use psql's `\getenv`, new in PostgreSQL 15. */
  postgres: { minimum: "15" },
};

/** Numbers separated by dots. */
export function isNumericVersion(v: string): boolean {
  return /^\d+(?:\.\d+)*$/.test(v);
}

/** `a` older than `b`, number by number (`5.8.0` < `5.12`). */
export function olderThan(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * Undefined when the components accept `version` for `service`; otherwise what
 * they expect, for a message (`3 numbers, e.g. "32.0.3"`, `15 or newer`).
 */
export function versionProblem(service: ServiceName, version: string): string | undefined {
  const rule = VERSION_RULES[service] ?? {};
  const example = `e.g. "${CATALOGUE[service].pinned}"`;
  if (!isNumericVersion(version)) return `numbers separated by dots, ${example}`;
  if (rule.parts !== undefined && version.split(".").length !== rule.parts)
    return `${rule.parts} numbers, ${example}`;
  if (rule.minimum !== undefined && olderThan(version, rule.minimum))
    return `${rule.minimum} or newer, ${example}`;
  return undefined;
}
