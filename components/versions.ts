/**
 * The versions catalogue: the version Socle deploys for each app and platform
 * service (never `latest`), how that version becomes an image reference, and
 * the known release line of each major (the last patch of each), which the
 * update planner walks through. One place for every pin: components read
 * `imageRef`, the planner reads `CATALOGUE`.
 */
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
