import { describe, expect, it, vi } from "vitest";
import { CATALOGUE } from "../../components/versions.js";
import type { UpdateDeps } from "../../scripts/update/apply.js";
import { LockedError } from "../../scripts/update/lock.js";
import { PlanError } from "../../scripts/update/planner.js";
import { run as cli } from "../../scripts/cli.js";
import {
  UsageError,
  main,
  parseUpdateArgs,
  report,
  type UpdateEnvironment,
  type UpdateOptions,
} from "../../scripts/update.js";

function io(deployed: Record<string, Record<string, string>> = {}, deps?: Partial<UpdateDeps>) {
  const stderr: string[] = [];
  const env: Partial<UpdateEnvironment> = {
    discover: async () => ({ deployed, warnings: [] }),
    deps: async (_o, log) => ({
      deployer: { setVersion: async () => {}, deploy: async () => {} },
      backup: async () => "snap",
      restore: async () => {},
      waitHealthy: async () => {},
      reportedVersion: async () => ({}),
      lock: async () => ({ release: async () => {} }),
      log,
      ...deps,
    }),
    log: (l) => stderr.push(l),
  };
  return { env, stderr };
}

describe("parseUpdateArgs", () => {
  it("parses plan and apply options", () => {
    expect(
      parseUpdateArgs(["plan", "--current", "nextcloud=31.0.11", "--target=nextcloud=32.0.3", "--json"]),
    ).toEqual({
      command: "plan",
      json: true,
      current: { nextcloud: "31.0.11" },
      target: { nextcloud: "32.0.3" },
    });
    const apply = parseUpdateArgs([
      "apply",
      "--tenant",
      "a,b",
      "--canary",
      "a",
      "--wave-size",
      "3",
      "--dry-run",
    ]);
    expect(apply).toMatchObject({
      command: "apply",
      tenants: ["a", "b"],
      canary: "a",
      waveSize: 3,
      dryRun: true,
      json: false,
      healthTimeoutMs: 300_000,
    });
  });
  it.each([
    [[], 'update: expected "plan" or "apply", got nothing'],
    [["upgrade"], 'update: expected "plan" or "apply", got "upgrade"'],
    [["plan", "--canary", "a"], "update plan: --canary is not an option of plan"],
    [["apply", "--current", "nextcloud=1.0"], "update apply: --current is not an option of apply"],
    [["apply", "--wave-size", "0"], 'update apply: --wave-size must be a positive integer, got "0"'],
    [["plan", "--target"], "update plan: --target needs a value"],
    [["plan", "--frobnicate"], "update plan: unknown option --frobnicate"],
  ])("%j → %s", (argv, message) => {
    expect(() => parseUpdateArgs(argv)).toThrow(new UsageError(message));
  });
  it("reports a malformed --current list", () => {
    expect(() => parseUpdateArgs(["plan", "--current", "nextcloud"])).toThrow(
      new PlanError('--current: "nextcloud" is not service=version'),
    );
  });
});

/** Runs the real dispatcher (scripts/cli.ts) and captures what it writes. */
async function dispatch(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((c) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((c) => (err.push(String(c)), true));
  try {
    const code = await cli(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("socle update plan", () => {
  it("through `socle`: --json prints one line, last on stdout, with the exact steps", async () => {
    const r = await dispatch([
      "update",
      "plan",
      "--current",
      "nextcloud=30.0.17",
      "--target",
      "nextcloud=32.0.3",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("\n")).toBe(true);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({
      command: "update plan",
      ok: true,
      exitCode: 0,
      errors: [],
      steps: [
        { service: "nextcloud", from: "30.0.17", to: "31.0.11", action: "backup" },
        { service: "nextcloud", from: "30.0.17", to: "31.0.11", action: "upgrade" },
        { service: "nextcloud", from: "31.0.11", to: "32.0.3", action: "backup" },
        { service: "nextcloud", from: "31.0.11", to: "32.0.3", action: "upgrade" },
      ],
    });
  });

  it("through `socle`: a downgrade is refused with exit 2, JSON error last on stdout", async () => {
    const r = await dispatch([
      "update",
      "plan",
      "--current",
      "postgres=17.6",
      "--target",
      "postgres=16.10",
      "--json",
    ]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!)).toEqual({
      command: "update plan",
      ok: false,
      exitCode: 2,
      errors: [
        "postgres: downgrade from 17.6 to 16.10 refused (restore a backup taken before the upgrade instead)",
      ],
      kind: "DowngradeError",
    });
  });

  it("through `socle`: human output is the steps table; usage errors exit 2", async () => {
    const r = await dispatch([
      "update",
      "plan",
      "--current",
      "keycloak=26.4.4",
      "--target",
      "keycloak=26.4.5",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("#  service   action   from    to      note");
    expect(r.stdout).toContain("there is no way back");
    const bad = await dispatch(["update", "plan", "--current", "nextcloud=latest"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'nextcloud: version "latest" is malformed (expected 2 to 5 numbers separated by dots, e.g. 32.0.3)',
    );
    expect((await dispatch(["update", "frobnicate"])).code).toBe(2);
  });

  it("without --target, goes to the catalogue's pins; without --current, reads deployed labels per tenant", async () => {
    const x = io({
      demo: { nextcloud: "32.0.1", "wordpress-club": CATALOGUE.wordpress.pinned },
      b: { nextcloud: "32.0.3" },
    });
    const r = await main(parseUpdateArgs(["plan"]), x.env);
    expect(r.steps).toEqual([
      {
        tenant: "demo",
        service: "nextcloud",
        from: "32.0.1",
        to: CATALOGUE.nextcloud.pinned,
        action: "backup",
      },
      {
        tenant: "demo",
        service: "nextcloud",
        from: "32.0.1",
        to: CATALOGUE.nextcloud.pinned,
        action: "upgrade",
      },
    ]);
    expect(report(r)[0]).toBe("#  tenant  service    action   from    to      note");
    const y = io({ demo: { nextcloud: "32.0.1", jitsi: "2.0.1" } });
    const r2 = await main(parseUpdateArgs(["plan", "--tenant", "nope"]), y.env);
    expect(r2).toMatchObject({ exitCode: 2, errors: ['--tenant: no deployed tenant "nope"'] });
    await main(parseUpdateArgs(["plan"]), y.env);
    expect(y.stderr).toEqual(["warning: demo/jitsi: not in the versions catalogue, left alone"]);
  });
});

describe("socle update apply", () => {
  it("--dry-run: the waves and planned steps, exit 0", async () => {
    const x = io({ a: { nextcloud: "32.0.1" }, b: { nextcloud: "32.0.1" }, c: { nextcloud: "32.0.3" } });
    const r = await main(parseUpdateArgs(["apply", "--canary", "b", "--wave-size", "1", "--dry-run"]), x.env);
    expect(r.exitCode).toBe(0);
    expect(r.report!.waves).toEqual([["b"], ["a"]]);
    expect(r.report!.tenants.map((t) => t.status)).toEqual(["planned", "planned", "up-to-date"]);
    expect(report(r).slice(0, 3)).toEqual(["dry run: nothing was changed", "wave 1: b", "wave 2: a"]);
  });

  it("a failed, rolled-back step exits 1 and says so", async () => {
    let version = "32.0.1";
    const x = io(
      { a: { nextcloud: "32.0.1" } },
      {
        deployer: { setVersion: async (_t, _s, v) => void (version = v), deploy: async () => {} },
        waitHealthy: async () => {
          if (version !== "32.0.1") throw new Error("503");
        },
        reportedVersion: async () => ({ label: version }),
      },
    );
    const r = await main(parseUpdateArgs(["apply"]), x.env);
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      `FAILED: a nextcloud 32.0.1 → ${CATALOGUE.nextcloud.pinned}: 503; rolled back to 32.0.1 with the pre-step backup; remaining waves not run`,
    ]);
    expect(report(r).at(-1)).toBe(r.errors[0]);
  });

  it("another update holding the lock: exit 3", async () => {
    const x = io(
      { a: { nextcloud: "32.0.1" } },
      {
        lock: async () => {
          throw new LockedError("/run/socle/update.lock", "pid 1 since then");
        },
      },
    );
    const r = await main(parseUpdateArgs(["apply"]), x.env);
    expect(r).toMatchObject({ exitCode: 3, kind: "LockedError" });
  });
});

// Keeps the option type exercised by the compiler.
export const _example: UpdateOptions = { command: "plan", json: false };
