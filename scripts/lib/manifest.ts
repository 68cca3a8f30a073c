/**
 * The manifest: one small JSON snapshot written LAST for each (tenant,
 * service) of a run, only when every dump and volume of the group was saved.
 * It names the snapshots it vouches for (also as `ref=<id>` tags) and records
 * what a drill verifies: each file's sha256 and size, each table's row count,
 * each dump's sha256. Restore and drill start from a manifest, so a snapshot
 * left by a crashed or failed run (no manifest) is never restored.
 */
import type { DatabaseInfo, Engine } from "./db.js";

export const MANIFEST_FORMAT = 1;

/** [path relative to the volume root, sha256, size in bytes] */
export type FileSum = [string, string, number];

export interface DumpRecord {
  engine: Engine;
  database: string;
  /** Container the dump ran in, and its image (the drill starts a scratch one from it). */
  container: string;
  image: string;
  info: DatabaseInfo;
  snapshot: string;
  /** Path of the dump inside its snapshot. */
  path: string;
  bytes: number;
  sha256: string;
  tables: Record<string, number>;
}

export interface VolumeRecord {
  name: string;
  files: number;
  bytes: number;
  sums: FileSum[];
}

export interface Manifest {
  format: number;
  tenant: string;
  service: string;
  version: string;
  host: string;
  runId: string;
  createdAt: string;
  dumps: DumpRecord[];
  /** One snapshot holds every volume of the group, under /volumes/<name>. */
  volumeSnapshot?: string;
  volumes: VolumeRecord[];
}

export interface SnapshotInfo {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  tags?: string[];
  paths: string[];
}

export const VOLUMES_ROOT = "/volumes";

export function manifestPath(tenant: string, service: string): string {
  return `${tenant}/${service}/manifest.json`;
}

export function dumpPath(tenant: string, service: string, database: string, engine: Engine): string {
  return `${tenant}/${service}/${database}.${engine === "postgres" ? "pgdump" : "sql"}`;
}

export function tagsFor(
  tenant: string,
  service: string,
  version: string,
  kind: "dump" | "volume" | "manifest",
) {
  return [`tenant=${tenant}`, `service=${service}`, `version=${version}`, `kind=${kind}`];
}

export function tagValue(s: Pick<SnapshotInfo, "tags">, key: string): string | undefined {
  const t = (s.tags ?? []).find((x) => x.startsWith(`${key}=`));
  return t?.slice(key.length + 1);
}

export function refsOf(s: Pick<SnapshotInfo, "tags">): string[] {
  return (s.tags ?? []).filter((t) => t.startsWith("ref=")).map((t) => t.slice(4));
}

/** Parses a manifest snapshot's content; exact errors. */
export function parseManifest(text: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new Error("manifest: not JSON");
  }
  if (m.format !== MANIFEST_FORMAT) throw new Error(`manifest: unsupported format ${String(m.format)}`);
  if (!m.tenant || !m.service) throw new Error("manifest: tenant and service are required");
  return m;
}

/**
 * Parses `sha256sum`-style lines printed by the helper ("<sha> <size> <path>"),
 * paths under /volumes/<volume>/…, into per-volume sorted lists.
 */
export function parseSums(lines: string, volumes: string[]): Record<string, FileSum[]> {
  const out: Record<string, FileSum[]> = Object.fromEntries(volumes.map((v) => [v, []]));
  for (const line of lines.split("\n")) {
    const m = /^([0-9a-f]{64}) (\d+) (.+)$/.exec(line);
    if (!m) continue;
    const rel = m[3]!.startsWith(`${VOLUMES_ROOT}/`) ? m[3]!.slice(VOLUMES_ROOT.length + 1) : m[3]!;
    const slash = rel.indexOf("/");
    const vol = rel.slice(0, slash);
    if (!out[vol]) continue;
    out[vol]!.push([rel.slice(slash + 1), m[1]!, Number(m[2])]);
  }
  for (const v of Object.keys(out)) out[v]!.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}

export interface SumDiff {
  missing: string[];
  extra: string[];
  changed: string[];
}

/** Compares recorded and restored file lists. */
export function compareSums(expected: FileSum[], actual: FileSum[]): SumDiff {
  const a = new Map(actual.map((f) => [f[0], f[1]]));
  const e = new Map(expected.map((f) => [f[0], f[1]]));
  return {
    missing: expected.filter((f) => !a.has(f[0])).map((f) => f[0]),
    extra: actual.filter((f) => !e.has(f[0])).map((f) => f[0]),
    changed: expected.filter((f) => a.has(f[0]) && a.get(f[0]) !== f[1]).map((f) => f[0]),
  };
}

/**
 * Picks a group's manifest snapshot: `latest`, an id (prefix) of the manifest
 * or of a snapshot it references, or a time (ISO 8601: the latest manifest at
 * or before it). Snapshots sorted oldest first.
 */
export function selectManifest(manifests: SnapshotInfo[], selector: string): SnapshotInfo | undefined {
  const sorted = [...manifests].sort((a, b) => a.time.localeCompare(b.time));
  if (selector === "latest") return sorted.at(-1);
  if (/^[0-9a-f]{8,64}$/.test(selector)) {
    return (
      sorted.find((s) => s.id.startsWith(selector)) ??
      sorted.find((s) => refsOf(s).some((r) => r.startsWith(selector) || selector.startsWith(r)))
    );
  }
  const t = Date.parse(selector);
  if (Number.isNaN(t)) throw new Error(`--snapshot: "${selector}" is not latest, a snapshot id or a time`);
  return sorted.filter((s) => Date.parse(s.time) <= t).at(-1);
}
