import { describe, expect, it } from "vitest";
import {
  ApplyError,
  applyUpdate,
  computeWaves,
  type TenantPlan,
  type UpdateDeps,
} from "../../scripts/update/apply.js";
import { plan } from "../../scripts/update/planner.js";

/**
 * A fake world: each tenant's services have a running version and some data.
 * Deploying a version listed in `broken` corrupts the data and never gets healthy.
 */
function world(
  tenants: string[],
  opts: { broken?: string[]; failBackup?: string[]; failDeploy?: boolean } = {},
) {
  const running = new Map<string, { version: string; data: string; healthy: boolean }>();
  const wanted = new Map<string, string>();
  const snapshots = new Map<string, { version: string; data: string }>();
  const events: string[] = [];
  let locked = false;
  for (const t of tenants)
    running.set(`${t}/nextcloud`, { version: "31.0.11", data: `${t}-data`, healthy: true });
  const deps: UpdateDeps = {
    deployer: {
      setVersion: async (tenant, service, version) => {
        events.push(`set ${tenant}/${service}=${version}`);
        wanted.set(`${tenant}/${service}`, version);
      },
      deploy: async (ts) => {
        events.push(`deploy ${ts.join(",")}`);
        if (opts.failDeploy) throw new Error("pulumi up failed");
        for (const [key, version] of wanted) {
          const r = running.get(key)!;
          if (!ts.includes(key.split("/")[0]!) || r.version === version) continue;
          r.version = version;
          r.healthy = !(opts.broken ?? []).includes(version);
          if (!r.healthy) r.data = "CORRUPTED";
        }
      },
    },
    backup: async ({ tenant, service }) => {
      events.push(`backup ${tenant}/${service}`);
      if ((opts.failBackup ?? []).includes(tenant)) throw new Error("restic: repository locked");
      const id = `snap-${snapshots.size + 1}`;
      snapshots.set(id, { ...running.get(`${tenant}/${service}`)! });
      return id;
    },
    restore: async ({ tenant, service }, id) => {
      events.push(`restore ${tenant}/${service} ${id}`);
      const r = running.get(`${tenant}/${service}`)!;
      r.data = snapshots.get(id)!.data;
      r.healthy = !(opts.broken ?? []).includes(r.version);
    },
    waitHealthy: async ({ tenant, service }) => {
      events.push(`health ${tenant}/${service}`);
      if (!running.get(`${tenant}/${service}`)!.healthy) throw new Error("status.php: 503 after 1s");
    },
    reportedVersion: async ({ tenant, service }) => {
      const r = running.get(`${tenant}/${service}`)!;
      return { label: r.version, app: `${r.version}.1` };
    },
    lock: async () => {
      if (locked) throw new Error("locked");
      locked = true;
      events.push("lock");
      return {
        release: async () => {
          locked = false;
          events.push("unlock");
        },
      };
    },
    log: () => {},
  };
  return { deps, running, events, isLocked: () => locked };
}

const plans = (tenants: string[], to = "32.0.3"): TenantPlan[] =>
  tenants.map((tenant) => ({
    tenant,
    steps: plan({ current: { nextcloud: "31.0.11" }, target: { nextcloud: to } }),
  }));

describe("computeWaves", () => {
  it.each([
    [["a", "b", "c", "d", "e"], undefined, 2, [["a", "b"], ["c", "d"], ["e"]]],
    [["a", "b", "c", "d", "e"], "c", 2, [["c"], ["a", "b"], ["d", "e"]]],
    [["a", "_platform", "b"], "b", 5, [["_platform"], ["b"], ["a"]]],
    [["a"], "zz", 1, [["a"]]],
    [[], undefined, 3, []],
  ])("%j canary=%s size=%d → %j", (tenants, canary, size, waves) => {
    expect(computeWaves(tenants, canary, size)).toEqual(waves);
  });
  it("refuses a wave size below 1", () => {
    expect(() => computeWaves(["a"], undefined, 0)).toThrow(
      new ApplyError("--wave-size: must be a positive integer, got 0"),
    );
  });
});

describe("applyUpdate", () => {
  it("updates every tenant, canary first, in waves, each step backed up, deployed and verified", async () => {
    const w = world(["a", "b", "c"]);
    const report = await applyUpdate({ plans: plans(["a", "b", "c"]), canary: "b", waveSize: 2 }, w.deps);
    expect(report.ok).toBe(true);
    expect(report.waves).toEqual([["b"], ["a", "c"]]);
    expect(report.tenants.map((t) => [t.tenant, t.status])).toEqual([
      ["a", "updated"],
      ["b", "updated"],
      ["c", "updated"],
    ]);
    expect(w.events).toEqual([
      "lock",
      "backup b/nextcloud",
      "set b/nextcloud=32.0.3",
      "deploy b",
      "health b/nextcloud",
      "backup a/nextcloud",
      "set a/nextcloud=32.0.3",
      "backup c/nextcloud",
      "set c/nextcloud=32.0.3",
      "deploy a,c",
      "health a/nextcloud",
      "health c/nextcloud",
      "unlock",
    ]);
    expect(report.tenants[0]!.steps.map((s) => [s.action, s.status, s.snapshot])).toEqual([
      ["backup", "done", "snap-2"],
      ["upgrade", "done", undefined],
    ]);
  });

  it("rolls a failed canary back (previous version, restored data) and stops the waves", async () => {
    const w = world(["a", "b", "c"], { broken: ["32.0.3"] });
    const report = await applyUpdate({ plans: plans(["a", "b", "c"]), canary: "b", waveSize: 2 }, w.deps);
    expect(report.ok).toBe(false);
    expect(report.failure).toEqual({
      tenant: "b",
      service: "nextcloud",
      from: "31.0.11",
      to: "32.0.3",
      error: "status.php: 503 after 1s",
      rolledBack: true,
    });
    expect(w.events).toEqual([
      "lock",
      "backup b/nextcloud",
      "set b/nextcloud=32.0.3",
      "deploy b",
      "health b/nextcloud",
      "set b/nextcloud=31.0.11",
      "deploy b",
      "restore b/nextcloud snap-1",
      "health b/nextcloud",
      "unlock",
    ]);
    expect(w.running.get("b/nextcloud")).toEqual({ version: "31.0.11", data: "b-data", healthy: true });
    expect(w.running.get("a/nextcloud")).toEqual({ version: "31.0.11", data: "a-data", healthy: true });
    expect(report.tenants.map((t) => [t.tenant, t.status])).toEqual([
      ["a", "not-run"],
      ["b", "rolled-back"],
      ["c", "not-run"],
    ]);
    expect(report.tenants[1]!.steps.map((s) => s.status)).toEqual(["done", "rolled-back"]);
    expect(w.isLocked()).toBe(false);
  });

  it("walks a multi-step Nextcloud plan and stops at the failing major, keeping the earlier step", async () => {
    const w = world(["a"], { broken: ["32.0.3"] });
    w.running.get("a/nextcloud")!.version = "30.0.17";
    const steps = plan({ current: { nextcloud: "30.0.17" }, target: { nextcloud: "32.0.3" } });
    const report = await applyUpdate({ plans: [{ tenant: "a", steps }] }, w.deps);
    expect(report.failure?.from).toBe("31.0.11");
    expect(w.running.get("a/nextcloud")).toEqual({ version: "31.0.11", data: "a-data", healthy: true });
    expect(report.tenants[0]!.steps.map((s) => `${s.action}:${s.status}`)).toEqual([
      "backup:done",
      "upgrade:done",
      "backup:done",
      "upgrade:rolled-back",
    ]);
  });

  it("a failed backup stops before any change (nothing deployed)", async () => {
    const w = world(["a"], { failBackup: ["a"] });
    const report = await applyUpdate({ plans: plans(["a"]) }, w.deps);
    expect(report.ok).toBe(false);
    expect(report.tenants[0]!.status).toBe("stopped");
    expect(report.failure!.error).toBe("backup failed: restic: repository locked");
    expect(w.events).toEqual(["lock", "backup a/nextcloud", "unlock"]);
  });

  it("a failed deploy (pulumi up) is rolled back too; rollback failure is reported", async () => {
    const w = world(["a"], { failDeploy: true });
    const report = await applyUpdate({ plans: plans(["a"]) }, w.deps);
    expect(report.failure).toMatchObject({ error: "deploy failed: pulumi up failed", rolledBack: false });
    expect(report.tenants[0]!.status).toBe("rollback-failed");
    expect(report.tenants[0]!.error).toBe("rollback failed: pulumi up failed");
  });

  it("checks the reported version: a container that runs but reports the old version fails", async () => {
    const w = world(["a"]);
    w.deps.reportedVersion = async () => ({ label: "32.0.3", app: "31.0.11.1" });
    const report = await applyUpdate({ plans: plans(["a"]) }, w.deps);
    expect(report.failure!.error).toBe("a nextcloud: the application reports 31.0.11.1, expected 32.0.3");
  });

  it("dry run: waves and planned steps, no lock, no side effect", async () => {
    const w = world(["a", "b"]);
    const report = await applyUpdate(
      { plans: plans(["a", "b"]), canary: "a", waveSize: 1, dryRun: true },
      w.deps,
    );
    expect(report).toMatchObject({ ok: true, dryRun: true, waves: [["a"], ["b"]] });
    expect(
      report.tenants.every((t) => t.status === "planned" && t.steps.every((s) => s.status === "planned")),
    ).toBe(true);
    expect(w.events).toEqual([]);
  });

  it("an up-to-date tenant is skipped, not deployed; an unknown canary is refused", async () => {
    const w = world(["a", "b"]);
    const p = [...plans(["a"]), { tenant: "b", steps: [] }];
    const report = await applyUpdate({ plans: p }, w.deps);
    expect(report.waves).toEqual([["a"]]);
    expect(report.tenants[1]!.status).toBe("up-to-date");
    await expect(applyUpdate({ plans: p, canary: "zz" }, w.deps)).rejects.toThrow(
      'tenant "zz" is not deployed (or filtered out)',
    );
  });

  it("refuses to run while another update holds the lock", async () => {
    const w = world(["a"]);
    const held = await w.deps.lock();
    await expect(applyUpdate({ plans: plans(["a"]) }, w.deps)).rejects.toThrow("locked");
    await held.release();
  });
});
