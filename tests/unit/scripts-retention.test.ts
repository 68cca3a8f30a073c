import { describe, expect, it } from "vitest";
import { applyPolicy, hasPolicy, planRetention } from "../../scripts/lib/retention.js";
import type { SnapshotInfo } from "../../scripts/lib/manifest.js";

let n = 0;
function snap(time: string, tags: string[], id?: string): SnapshotInfo {
  n += 1;
  const full = id ?? n.toString(16).padStart(8, "0").repeat(8);
  return { id: full, short_id: full.slice(0, 8), time, hostname: "h", tags, paths: ["/x"] };
}

describe("applyPolicy (restic's semantics)", () => {
  const days = [
    "2025-01-01T02:30:00",
    "2025-01-02T02:30:00",
    "2025-01-02T14:00:00",
    "2025-01-03T02:30:00",
    "2025-01-10T02:30:00",
    "2025-02-01T02:30:00",
  ].map((t) => snap(t, []));
  it("keeps the newest snapshot of each of the last N days", () => {
    const kept = applyPolicy(days, { daily: 3 });
    expect(days.filter((s) => kept.has(s.id)).map((s) => s.time)).toEqual([
      "2025-01-03T02:30:00",
      "2025-01-10T02:30:00",
      "2025-02-01T02:30:00",
    ]);
  });
  it("combines policies (union) and keep-last", () => {
    const kept = applyPolicy(days, { last: 1, monthly: 2 });
    expect(days.filter((s) => kept.has(s.id)).map((s) => s.time)).toEqual([
      "2025-01-10T02:30:00",
      "2025-02-01T02:30:00",
    ]);
    expect(applyPolicy(days, {}).size).toBe(0);
    expect(hasPolicy({ daily: 0 })).toBe(false);
    expect(hasPolicy({ weekly: 4 })).toBe(true);
  });
});

describe("planRetention", () => {
  const g = (kind: string, svc = "nextcloud") => [
    `tenant=demo`,
    `service=${svc}`,
    "version=1",
    `kind=${kind}`,
  ];
  it("keeps kept manifests and the snapshots they reference; forgets old ones; never touches foreign snapshots", () => {
    const d1 = snap("2025-01-01T02:30:00", g("dump"), "d1".padEnd(64, "0"));
    const v1 = snap("2025-01-01T02:31:00", g("volume"), "e1".padEnd(64, "0"));
    const m1 = snap("2025-01-01T02:32:00", [...g("manifest"), "ref=d1000000", "ref=e1000000"]);
    const d2 = snap("2025-01-02T02:30:00", g("dump"), "d2".padEnd(64, "0"));
    const v2 = snap("2025-01-02T02:31:00", g("volume"), "e2".padEnd(64, "0"));
    const m2 = snap("2025-01-02T02:32:00", [...g("manifest"), "ref=d2000000", "ref=e2000000"]);
    const orphan = snap("2025-01-02T03:00:00", g("dump"));
    const foreign = snap("2024-01-01T00:00:00", ["mine"]);
    const plan = planRetention([d1, v1, m1, d2, v2, m2, orphan, foreign], { daily: 1 });
    expect(plan.forget).toEqual([d1.id, v1.id, m1.id].sort());
    expect(plan.keep).toEqual([d2.id, v2.id, m2.id, orphan.id].sort());
  });
  it("a group that never completed a backup loses nothing", () => {
    const a = snap("2025-01-01T02:30:00", g("volume", "peertube"));
    const b = snap("2025-01-02T02:30:00", g("volume", "peertube"));
    expect(planRetention([a, b], { daily: 1 })).toEqual({ keep: [a.id, b.id].sort(), forget: [] });
  });
});
