/**
 * `socle update apply`: runs per-tenant plans in waves, with every side effect
 * injected (`UpdateDeps`) so the orchestration is tested with fakes (unit) and
 * for real on a Docker engine (ops).
 *
 * For each upgrade / dump-restore step: back up (pre-step snapshot), set the
 * new version, deploy, (dump-restore: load the snapshot into the new server),
 * wait for health, check the reported version. On any failure: set the
 * previous version back, deploy, restore the pre-step snapshot, verify health
 * and version, STOP, report. Waves: the shared platform alone first, then the
 * canary tenant alone, then waves of N tenants; a failure stops the remaining
 * waves. One lock around the whole run; `dryRun` changes nothing.
 */
import type { Deployer } from "./deployer.js";
import { PLATFORM_TENANT } from "./deployer.js";
import type { Step } from "./planner.js";

export interface ServiceRef {
  tenant: string;
  service: string;
}

export interface UpdateDeps {
  deployer: Deployer;
  /** Backs up one service (volumes + dump, per its labels); resolves to the snapshot id. */
  backup(ref: ServiceRef): Promise<string>;
  /** Restores one service from a snapshot taken by `backup`. */
  restore(ref: ServiceRef, snapshot: string): Promise<void>;
  /** Resolves once the service answers its `socle.health` check; rejects with the reason on timeout. */
  waitHealthy(ref: ServiceRef, timeoutMs: number): Promise<void>;
  /** The version the running service reports: its `socle.version` label and, where known, its own endpoint. */
  reportedVersion(ref: ServiceRef): Promise<{ label?: string; app?: string }>;
  /** Takes the update lock (rejects when another update holds it). */
  lock(): Promise<{ release(): Promise<void> }>;
  log(line: string): void;
}

export interface TenantPlan {
  tenant: string;
  steps: Step[];
}

export interface ApplyOptions {
  plans: TenantPlan[];
  /** Tenant updated alone, before every other tenant. */
  canary?: string;
  /** Tenants per wave after the canary (default 5). */
  waveSize?: number;
  dryRun?: boolean;
  /** Per health wait (default 300 s). */
  healthTimeoutMs?: number;
}

export type StepStatus = "done" | "noted" | "failed" | "rolled-back" | "not-run" | "planned";
export interface StepReport extends Step {
  status: StepStatus;
  snapshot?: string;
  error?: string;
}
/**
 * updated: every step done · up-to-date: nothing to do · partial: stopped with some
 * steps done (another tenant failed) · stopped: a backup failed, nothing changed ·
 * rolled-back: a step failed and the previous version and data are back ·
 * rollback-failed: needs a human · not-run: a later wave · planned: dry run.
 */
export type TenantStatus =
  | "updated"
  | "up-to-date"
  | "partial"
  | "stopped"
  | "rolled-back"
  | "rollback-failed"
  | "not-run"
  | "planned";
export interface TenantReport {
  tenant: string;
  status: TenantStatus;
  steps: StepReport[];
  error?: string;
}
export interface ApplyReport {
  ok: boolean;
  dryRun: boolean;
  /** The tenants of each wave, in order (tenants with something to do). */
  waves: string[][];
  tenants: TenantReport[];
  /** The first failure that stopped the run. */
  failure?: { tenant: string; service: string; from: string; to: string; error: string; rolledBack: boolean };
}

export class ApplyError extends Error {}

/** Waves: the platform alone, the canary alone, then chunks of `waveSize` in the given order. */
export function computeWaves(tenants: string[], canary: string | undefined, waveSize: number): string[][] {
  if (!Number.isInteger(waveSize) || waveSize < 1) {
    throw new ApplyError(`--wave-size: must be a positive integer, got ${waveSize}`);
  }
  const waves: string[][] = [];
  let rest = [...tenants];
  if (rest.includes(PLATFORM_TENANT)) {
    waves.push([PLATFORM_TENANT]);
    rest = rest.filter((t) => t !== PLATFORM_TENANT);
  }
  if (canary !== undefined && rest.includes(canary)) {
    waves.push([canary]);
    rest = rest.filter((t) => t !== canary);
  }
  for (let i = 0; i < rest.length; i += waveSize) waves.push(rest.slice(i, i + waveSize));
  return waves;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One backup + change pair of a tenant's plan, with the notes that precede it. */
interface Unit {
  tenant: string;
  notes: StepReport[];
  backup: StepReport;
  change: StepReport;
}

function unitsOf(report: TenantReport): Unit[] {
  const units: Unit[] = [];
  let notes: StepReport[] = [];
  for (let i = 0; i < report.steps.length; i++) {
    const s = report.steps[i]!;
    if (s.action === "note") notes.push(s);
    else if (s.action === "backup") {
      const change = report.steps[i + 1];
      if (
        !change ||
        (change.action !== "upgrade" && change.action !== "dump-restore") ||
        change.service !== s.service
      ) {
        throw new ApplyError(`${report.tenant}: backup step of ${s.service} is not followed by its upgrade`);
      }
      units.push({ tenant: report.tenant, notes, backup: s, change });
      notes = [];
      i++;
    } else {
      throw new ApplyError(`${report.tenant}: ${s.action} step of ${s.service} is not preceded by a backup`);
    }
  }
  return units;
}

export async function applyUpdate(opts: ApplyOptions, deps: UpdateDeps): Promise<ApplyReport> {
  const reports = opts.plans.map<TenantReport>((p) => ({
    tenant: p.tenant,
    status: p.steps.length === 0 ? "up-to-date" : opts.dryRun ? "planned" : "not-run",
    steps: p.steps.map((s) => ({ ...s, status: opts.dryRun ? "planned" : "not-run" })),
  }));
  const byTenant = new Map(reports.map((r) => [r.tenant, r]));
  if (opts.canary !== undefined && !byTenant.has(opts.canary)) {
    throw new ApplyError(`--canary: tenant "${opts.canary}" is not deployed (or filtered out)`);
  }
  const units = new Map(reports.map((r) => [r.tenant, unitsOf(r)]));
  const active = reports.filter((r) => r.steps.length > 0).map((r) => r.tenant);
  const waves = computeWaves(active, opts.canary, opts.waveSize ?? 5);
  const report: ApplyReport = { ok: true, dryRun: opts.dryRun === true, waves, tenants: reports };
  if (opts.dryRun) {
    waves.forEach((w, i) => deps.log(`dry run: wave ${i + 1}: ${w.join(", ")}`));
    return report;
  }
  const timeout = opts.healthTimeoutMs ?? 300_000;
  const lock = await deps.lock();
  try {
    for (const [w, wave] of waves.entries()) {
      deps.log(`wave ${w + 1}/${waves.length}: ${wave.join(", ")}`);
      const rounds = Math.max(...wave.map((t) => units.get(t)!.length));
      for (let r = 0; r < rounds && report.ok; r++) {
        const round = wave.map((t) => units.get(t)![r]).filter((u): u is Unit => u !== undefined);
        await runRound(round, deps, timeout, report);
      }
      for (const t of wave) {
        const tr = byTenant.get(t)!;
        if (tr.status !== "not-run") continue;
        if (tr.steps.every((s) => s.status === "done" || s.status === "noted")) tr.status = "updated";
        else if (tr.steps.some((s) => s.status === "done")) tr.status = "partial";
      }
      if (!report.ok) {
        deps.log(`stopped after wave ${w + 1}: ${report.failure!.tenant} ${report.failure!.service} failed`);
        break;
      }
    }
  } finally {
    await lock.release();
  }
  return report;
}

/** Runs the r-th unit of every tenant of a wave: backups, versions, one deploy, checks; rolls back failures. */
async function runRound(
  round: Unit[],
  deps: UpdateDeps,
  timeout: number,
  report: ApplyReport,
): Promise<void> {
  const tenantReport = (t: string) => report.tenants.find((x) => x.tenant === t)!;
  const ref = (u: Unit): ServiceRef => ({ tenant: u.tenant, service: u.change.service });
  const failed: { unit: Unit; error: string }[] = [];
  const changed: Unit[] = [];

  for (const u of round) {
    for (const n of u.notes) {
      n.status = "noted";
      deps.log(`${u.tenant} ${n.service}: NOTE ${n.note ?? ""}`);
    }
    try {
      deps.log(`${u.tenant} ${u.backup.service}: backup before ${u.change.from} → ${u.change.to}`);
      u.backup.snapshot = await deps.backup(ref(u));
      u.backup.status = "done";
    } catch (e) {
      // Nothing changed yet for this tenant: nothing to roll back, but stop.
      u.backup.status = "failed";
      u.backup.error = errorText(e);
      fail(report, tenantReport(u.tenant), u, `backup failed: ${u.backup.error}`, false, "stopped");
      continue;
    }
    try {
      await deps.deployer.setVersion(u.tenant, u.change.service, u.change.to);
    } catch (e) {
      u.change.status = "failed";
      u.change.error = `setting the version failed: ${errorText(e)}`;
      fail(report, tenantReport(u.tenant), u, u.change.error, false, "stopped");
      continue;
    }
    changed.push(u);
  }
  if (changed.length === 0) return;

  let deployError: string | undefined;
  try {
    deps.log(`deploy ${changed.map((u) => `${u.tenant}/${u.change.service}@${u.change.to}`).join(", ")}`);
    await deps.deployer.deploy([...new Set(changed.map((u) => u.tenant))]);
  } catch (e) {
    deployError = `deploy failed: ${errorText(e)}`;
  }
  for (const u of changed) {
    if (deployError !== undefined) {
      failed.push({ unit: u, error: deployError });
      continue;
    }
    try {
      if (u.change.action === "dump-restore") {
        deps.log(`${u.tenant} ${u.change.service}: restoring the dump into ${u.change.to}`);
        await deps.restore(ref(u), u.backup.snapshot!);
      }
      await verify(deps, ref(u), u.change.to, timeout);
      u.change.status = "done";
      deps.log(`${u.tenant} ${u.change.service}: ${u.change.to} healthy`);
    } catch (e) {
      failed.push({ unit: u, error: errorText(e) });
    }
  }
  if (failed.length === 0) return;

  // Roll back every failed unit: previous version, deploy, pre-step snapshot, verify.
  const setBack = new Map<Unit, string>();
  for (const { unit } of failed) {
    try {
      await deps.deployer.setVersion(unit.tenant, unit.change.service, unit.change.from);
    } catch (e) {
      setBack.set(unit, errorText(e));
    }
  }
  const tenants = [...new Set(failed.map((f) => f.unit.tenant))];
  let redeploy: string | undefined;
  try {
    deps.log(`rollback: deploy ${tenants.join(", ")} at their previous versions`);
    await deps.deployer.deploy(tenants);
  } catch (e) {
    redeploy = errorText(e); // the old version may not start on migrated data: restore, then deploy again
  }
  for (const { unit, error } of failed) {
    unit.change.status = "failed";
    unit.change.error = error;
    const tr = tenantReport(unit.tenant);
    try {
      if (setBack.has(unit)) throw new Error(`setting the previous version failed: ${setBack.get(unit)}`);
      deps.log(`${unit.tenant} ${unit.change.service}: restoring snapshot ${unit.backup.snapshot}`);
      await deps.restore(ref(unit), unit.backup.snapshot!);
      if (redeploy !== undefined) await deps.deployer.deploy([unit.tenant]);
      await verify(deps, ref(unit), unit.change.from, timeout);
      unit.change.status = "rolled-back";
      fail(report, tr, unit, error, true, "rolled-back");
    } catch (e) {
      tr.error = `rollback failed: ${errorText(e)}`;
      fail(report, tr, unit, error, false, "rollback-failed");
    }
  }
}

function fail(
  report: ApplyReport,
  tr: TenantReport,
  u: Unit,
  error: string,
  rolledBack: boolean,
  status: TenantStatus,
): void {
  report.ok = false;
  tr.status = status;
  tr.error ??= error;
  report.failure ??= {
    tenant: u.tenant,
    service: u.change.service,
    from: u.change.from,
    to: u.change.to,
    error,
    rolledBack,
  };
}

/** Waits for health, then checks the label and (where probed) the app's own version. */
async function verify(deps: UpdateDeps, ref: ServiceRef, expected: string, timeout: number): Promise<void> {
  await deps.waitHealthy(ref, timeout);
  const v = await deps.reportedVersion(ref);
  if (v.label !== expected) {
    throw new Error(
      `${ref.tenant} ${ref.service}: reports version ${v.label ?? "(no label)"}, expected ${expected}`,
    );
  }
  if (v.app !== undefined && v.app !== expected && !v.app.startsWith(`${expected}.`)) {
    throw new Error(`${ref.tenant} ${ref.service}: the application reports ${v.app}, expected ${expected}`);
  }
}
