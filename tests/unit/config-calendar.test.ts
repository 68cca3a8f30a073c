/**
 * `socle:backup.schedule` against the real `systemd-analyze calendar`
 * (systemd 252, Debian 12): stacks/config-calendar.ts accepts only what
 * systemd accepts, and computes the same next elapse (or "never"), from the
 * same base time. Fixed cases (the ones that never fire among them), then
 * 250 expressions drawn at random from the grammar, many of them invalid or
 * out of range on purpose. Socle refuses two forms systemd takes (`a..b/n`,
 * and `a..a`): for those only, Socle may say "invalid" where systemd does not.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isSchedule, nextElapse, parseCalendar } from "../../stacks/config-calendar.js";

const CI = process.env.CI === "true";
const HAVE = spawnSync("systemd-analyze", ["--version"]).error === undefined;
if (!HAVE && !CI)
  console.warn("skipping the systemd-analyze checks: not installed (CI=true makes this a failure)");

const BASE = new Date("2026-06-15T12:00:00Z");
const BASE_TEXT = "2026-06-15 12:00:00 UTC";

/** `YYYY-MM-DD hh:mm:ss`, `never`, or `invalid`: what Socle computes. */
function ours(s: string): string {
  const spec = parseCalendar(s);
  if (!spec) return "invalid";
  const next = nextElapse(spec, BASE);
  return next ? next.toISOString().slice(0, 19).replace("T", " ") : "never";
}

/** The same, from systemd-analyze calendar --base-time (UTC). */
function systemd(s: string): string {
  const r = spawnSync("systemd-analyze", ["calendar", `--base-time=${BASE_TEXT}`, s], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC" },
  });
  if (r.error) throw new Error(`systemd-analyze could not run: ${r.error.message}`);
  if (r.status !== 0) return "invalid";
  const m = /Next elapse: (?:never|\w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC)/.exec(r.stdout);
  if (!m) throw new Error(`unexpected systemd-analyze output for ${JSON.stringify(s)}:\n${r.stdout}`);
  return m[1] ?? "never";
}

const FIXED = [
  "daily",
  "weekly",
  "monthly",
  "quarterly",
  "*-*-* 02:30:00",
  "Mon..Fri *-*-* 01:00",
  "Sat,Sun 03:00",
  "*-02-29 03:00",
  "2026-06-15 12:00:00",
  "2026-06-15 12:00:01",
  // never fire
  "2020-01-01 03:00:00",
  "*-02-30 03:00:00",
  "*-04-31",
  "Mon 2026-06-16",
  "26-01-01 00:00",
  "2027-02-29",
  // refused by systemd
  "*-*-* 5..3:00",
  "*-*-* 23/1:00",
  "*-*-* 00:30/30",
  "*-12/1-01",
  "2200-01-01",
  "1969-01-01",
  "Sun..Mon 00:00",
  "*-*-* */2:00",
];

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random expression of Socle's grammar, numbers drawn around each field's limits. */
function randomExpression(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const item = (values: number[]): string => {
    const a = pick(values);
    const r = rand();
    if (r < 0.5) return String(a);
    if (r < 0.7) return `${a}..${pick(values)}`;
    if (r < 0.85) return `${a}/${pick([1, 2, 5, 7, 15, 30, 31, 60])}`;
    return `${a}..${pick(values)}/${pick([1, 2, 3, 10])}`;
  };
  const field = (values: number[]): string =>
    rand() < 0.35 ? "*" : Array.from({ length: rand() < 0.8 ? 1 : 2 }, () => item(values)).join(",");
  const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const parts: string[] = [];
  if (rand() < 0.3) parts.push(rand() < 0.6 ? pick(days) : `${pick(days)}..${pick(days)}`);
  const withDate = rand() < 0.7;
  if (withDate) {
    const md = `${field([0, 1, 2, 4, 6, 11, 12, 13])}-${field([0, 1, 15, 28, 29, 30, 31, 32])}`;
    parts.push(
      rand() < 0.5 ? `${field([20, 26, 27, 28, 69, 70, 1969, 2025, 2026, 2030, 2199, 2200])}-${md}` : md,
    );
  }
  if (!withDate || rand() < 0.8) {
    const hm = `${field([0, 1, 11, 12, 13, 22, 23, 24])}:${field([0, 1, 29, 30, 59, 60])}`;
    parts.push(rand() < 0.5 ? `${hm}:${field([0, 1, 29, 30, 59, 60])}` : hm);
  }
  return parts.join(" ");
}

describe("backup.schedule: grammar and next elapse", () => {
  it("refuses the schedules that never fire, computes the next elapse of the others", () => {
    expect(ours("2020-01-01 03:00:00")).toBe("never");
    expect(ours("*-02-30 03:00:00")).toBe("never");
    expect(ours("*-02-29 03:00")).toBe("2028-02-29 03:00:00");
    expect(ours("2026-06-15 12:00:00")).toBe("never"); // strictly after the base time
    expect(ours("Mon..Fri *-*-* 01:00")).toBe("2026-06-16 01:00:00");
    expect(isSchedule("*-*-* */2:00")).toBe(false);
  });

  it.runIf(HAVE || CI)("agrees with systemd-analyze calendar on fixed cases", () => {
    expect(FIXED.map((s) => [s, ours(s)])).toEqual(FIXED.map((s) => [s, systemd(s)]));
  });

  it.runIf(HAVE || CI)("agrees with systemd-analyze calendar on 250 random expressions", () => {
    const rand = prng(20261203);
    const cases = Array.from({ length: 250 }, () => randomExpression(rand));
    const verdicts = cases.map((s) => [s, ours(s), systemd(s)]);
    const refusedOnPurpose = (s: string) =>
      /\.\.\d+\//.test(s) || [...s.matchAll(/(\d+)\.\.(\d+)/g)].some((m) => Number(m[1]) === Number(m[2]));
    expect(verdicts.filter(([s, a, b]) => a !== b && !(a === "invalid" && refusedOnPurpose(s!)))).toEqual([]);
    // the draw covers every outcome
    const kinds = new Set(verdicts.map(([, a]) => (a === "invalid" || a === "never" ? a : "date")));
    expect([...kinds].sort()).toEqual(["date", "invalid", "never"]);
  });
});
