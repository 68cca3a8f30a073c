/**
 * Retention (pure): restic's keep policy (`--keep-last/daily/weekly/monthly/
 * yearly`, newest first, one snapshot per period) applied to each group's
 * MANIFESTS; a kept manifest keeps the snapshots it references. Old
 * manifests, their snapshots and orphans of failed runs older than the oldest
 * kept manifest are forgotten; a group without any manifest loses nothing.
 * Snapshots without socle tags are never touched.
 */
import { refsOf, tagValue, type SnapshotInfo } from "./manifest.js";

export interface KeepPolicy {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

export function hasPolicy(k: KeepPolicy): boolean {
  return Object.values(k).some((v) => typeof v === "number" && v > 0);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((t.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

const BUCKETS: Record<keyof KeepPolicy, (d: Date, i: number) => string> = {
  last: (_d, i) => String(i),
  daily: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
  weekly: (d) => isoWeek(d),
  monthly: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}`,
  yearly: (d) => String(d.getFullYear()),
};

/** Ids of the snapshots the policy keeps (local time buckets, like restic). */
export function applyPolicy(snapshots: SnapshotInfo[], keep: KeepPolicy): Set<string> {
  const newest = [...snapshots].sort((a, b) => b.time.localeCompare(a.time));
  const kept = new Set<string>();
  for (const kind of Object.keys(BUCKETS) as (keyof KeepPolicy)[]) {
    const n = keep[kind];
    if (!n || n <= 0) continue;
    let count = 0;
    let last: string | undefined;
    newest.forEach((s, i) => {
      if (count >= n) return;
      const bucket = BUCKETS[kind](new Date(s.time), i);
      if (bucket !== last) {
        kept.add(s.id);
        last = bucket;
        count++;
      }
    });
  }
  return kept;
}

export interface RetentionPlan {
  keep: string[];
  forget: string[];
}

/** What to forget across every socle group of the repository. */
export function planRetention(snapshots: SnapshotInfo[], keep: KeepPolicy): RetentionPlan {
  const groups = new Map<string, SnapshotInfo[]>();
  for (const s of snapshots) {
    const tenant = tagValue(s, "tenant");
    const service = tagValue(s, "service");
    if (!tenant || !service || !tagValue(s, "kind")) continue;
    const key = `${s.hostname}\u0000${tenant}\u0000${service}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const keepIds: string[] = [];
  const forget: string[] = [];
  for (const members of groups.values()) {
    const manifests = members.filter((s) => tagValue(s, "kind") === "manifest");
    const keptManifests = applyPolicy(manifests, keep);
    const refs = manifests.filter((m) => keptManifests.has(m.id)).flatMap(refsOf);
    // Orphans (snapshots of failed runs) inside the retention window stay; a
    // group with no kept manifest loses nothing.
    const oldestKept = manifests
      .filter((m) => keptManifests.has(m.id))
      .map((m) => m.time)
      .sort()[0];
    const isKept = (s: SnapshotInfo) =>
      oldestKept === undefined ||
      keptManifests.has(s.id) ||
      refs.some((r) => s.id.startsWith(r) || s.short_id === r) ||
      (tagValue(s, "kind") !== "manifest" && s.time >= oldestKept);
    for (const s of members) (isKept(s) ? keepIds : forget).push(s.id);
  }
  return { keep: keepIds.sort(), forget: forget.sort() };
}
