/**
 * Catalogue helpers for the update planner: version parsing and ordering, the
 * major a version belongs to, the mapping from a deployed `socle.service`
 * label to its catalogue entry, the order services are updated in, and the
 * release notes Socle knows (PeerTube's CHANGELOG "IMPORTANT NOTES").
 *
 * Pure: no I/O. The pins and release lines themselves live in
 * components/versions.ts (the one place for every pin).
 */
import { CATALOGUE, type CatalogueEntry, type ServiceName } from "../../components/versions.js";

/** What the planner needs from a catalogue (components/versions.ts `CATALOGUE` by default). */
export type PlannerCatalogue = Readonly<Record<string, Pick<CatalogueEntry, "pinned" | "majors">>>;

/** Release notes the planner shows, per catalogue service, per version. */
export type ReleaseNotes = Readonly<Record<string, Readonly<Record<string, string>>>>;

const CHANGELOG = "https://github.com/Chocobozzz/PeerTube/blob/develop/CHANGELOG.md";

/**
 * Known PeerTube "IMPORTANT NOTES" (summarised from the project's CHANGELOG.md),
 * keyed by the release that carries them. A PeerTube upgrade shows every note of
 * the releases it crosses; when none is known, a note points to the CHANGELOG.
 */
export const RELEASE_NOTES: ReleaseNotes = {
  peertube: {
    "5.2.0":
      "PeerTube 5.2.0 IMPORTANT NOTES: NodeJS 14 is no longer supported; the nginx configuration must " +
      "be updated for remote runners; production.yaml needs the new storage.tmp_persistent directory; " +
      "Docker Compose installs need Compose v2.",
    "6.0.3":
      "PeerTube 6.0.3 IMPORTANT NOTES: upgrading from < 6.0.0, follow the 6.0.0 IMPORTANT NOTES; from " +
      "6.0.0, follow the 6.0.1 ones. Security: the nginx configuration must be updated so it no longer serves private HLS files.",
    "6.0.4":
      "PeerTube 6.0.4 IMPORTANT NOTES: upgrading from < 6.0.0, follow the 6.0.0 IMPORTANT NOTES; from " +
      "6.0.0, follow the 6.0.1 ones. Security: fixes an XSS injection in embeds.",
  },
};

/** The note shown for a PeerTube upgrade that crosses no release with a known note. */
export function peertubeChangelogNote(to: string): string {
  return `PeerTube ${to}: no IMPORTANT NOTES recorded in Socle's catalogue for the releases crossed; read ${CHANGELOG} before applying (migrations run on first start and cannot be undone).`;
}

/** Deployed service names that are not catalogue keys. */
const ALIASES: Readonly<Record<string, ServiceName>> = { mail: "mailserver", proxy: "caddy" };

/**
 * The catalogue entry a service name refers to: a catalogue key (`nextcloud`),
 * a deployed alias (`mail` → mailserver, `proxy` → caddy) or an association
 * site (`wordpress-<site>` → wordpress). `undefined` when unknown.
 */
export function catalogueKey(service: string, catalogue: PlannerCatalogue = CATALOGUE): string | undefined {
  if (Object.hasOwn(catalogue, service)) return service;
  const alias = ALIASES[service];
  if (alias !== undefined && Object.hasOwn(catalogue, alias)) return alias;
  if (/^wordpress-[a-z0-9][a-z0-9-]*$/.test(service) && Object.hasOwn(catalogue, "wordpress")) {
    return "wordpress";
  }
  return undefined;
}

/**
 * Update order: database servers and caches first (apps need them), then SSO,
 * then the apps, then the proxy. Unlisted services come after, by name.
 */
export const UPDATE_ORDER: readonly string[] = [
  "postgres",
  "mariadb",
  "redis",
  "memcached",
  "keycloak",
  "nextcloud",
  "collabora",
  "mailserver",
  "sogo",
  "peertube",
  "wordpress",
  "caddy",
];

export function orderIndex(key: string): number {
  const i = UPDATE_ORDER.indexOf(key);
  return i === -1 ? UPDATE_ORDER.length : i;
}

const VERSION = /^\d+(\.\d+){1,4}$/;

/** `32.0.3`, `17.6`, `25.04.7.2.1`: two to five dot-separated numbers. */
export function isVersion(v: string): boolean {
  return VERSION.test(v);
}

export function versionParts(v: string): number[] {
  return v.split(".").map(Number);
}

/** Numeric, part by part (missing parts count as 0): negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The major a version belongs to, as the catalogue's `majors` keys spell it:
 * the first number (`32.0.3` → `32`), or the first two when the catalogue's
 * majors are two-part (MariaDB: `11.4.8` → `11.4`).
 */
export function majorOf(entry: Pick<CatalogueEntry, "majors">, version: string): string {
  const twoPart = Object.keys(entry.majors).some((k) => k.includes("."));
  const parts = version.split(".");
  return twoPart ? parts.slice(0, 2).join(".") : parts[0]!;
}
