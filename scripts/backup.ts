/**
 * `socle backup`: for every (tenant, service) the label contract describes,
 * run the pre hooks, stream each database dump into `restic backup --stdin`,
 * save the volumes through a short-lived helper container, ALWAYS run the post
 * hooks, then write the group's manifest. Then retention and, on request,
 * `restic check --read-data-subset`.
 */
import { groupContainers, groupKey, hasData, describeGroup, type GroupFilter } from "./lib/discovery.js";
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  intOption,
  nameOption,
  normaliseCheckFlag,
  parseStrict,
  percentOption,
} from "./lib/args.js";
import { engineName, listLabelled } from "./lib/docker.js";
import { resticError } from "./lib/repository.js";
import { EXIT, EXIT_HELP, SocleError, errorMessage, type ExitCode } from "./lib/errors.js";
import { createOutput, formatBytes, repositoryResult, type Output } from "./lib/output.js";
import { hasPolicy, planRetention, type KeepPolicy } from "./lib/retention.js";
import {
  assertNotInterrupted,
  openSession,
  recoverCrashedRun,
  type Recovery,
  type Session,
} from "./lib/session.js";
import { ensureRepository, listSnapshots } from "./lib/steps.js";
import { restic } from "./lib/helper.js";
import { allInOrder } from "./lib/exec.js";
import { backupGroup, type GroupResult } from "./lib/backup-group.js";

export interface BackupOptions {
  repo?: string;
  passwordFile?: string;
  tenant?: string;
  service?: string;
  dryRun?: boolean;
  json?: boolean;
  /** Initialise the repository when it does not exist (default true). */
  init?: boolean;
  keep?: KeepPolicy;
  /** Run `restic check --read-data-subset=<check>` after the backup (e.g. "5%"). */
  check?: string;
  /** Only check the repository (no backup). */
  checkOnly?: boolean;
  /** Only recover a crashed run (post hooks, helpers, locks): systemd's ExecStopPost. */
  recover?: boolean;
  out?: Output;
}

export interface BackupResult {
  command: "backup";
  ok: boolean;
  exitCode: ExitCode;
  repository: string;
  runId?: string;
  dryRun: boolean;
  repositoryCreated?: boolean;
  recovery?: Recovery;
  groups: GroupResult[];
  retention?: { kept: number; forgotten: number; pruned: boolean };
  check?: { subset: string; ok: boolean };
  plan?: string[];
  errors: string[];
  durationMs: number;
}

export const HELP = `Usage: socle backup [options]

Backs up every container labelled socle.tenant (or one tenant / service) into a
restic repository: pre hooks, database dumps streamed into restic (nothing in
clear on disk), volumes through a helper container, post hooks ALWAYS (also on
failure, SIGINT and SIGTERM), then one manifest snapshot per service (file
checksums and table row counts, for \`socle drill\`). One run at a time per
repository (lock); a crashed run's owed post hooks run first.

Options:
  --tenant <slug>          only this tenant
  --service <name>         only this service (socle.service)
  --keep-last/--keep-daily/--keep-weekly/--keep-monthly/--keep-yearly <n>
                           retention after the backup (socle:backup.keep), then restic prune
  --check [<n>%]           restic check --read-data-subset=<n>% afterwards (default 5%)
  --check-only             only run the check
  --no-init                fail when the repository does not exist (default: create it)
  --recover                only finish a crashed run (owed post hooks, helpers, restic locks)
${COMMON_HELP}

${EXIT_HELP}`;

export function parseArgs(argv: string[]): BackupOptions & { help?: boolean } {
  const { values: v } = parseStrict(normaliseCheckFlag(argv), {
    ...COMMON_OPTIONS,
    tenant: { type: "string" },
    service: { type: "string" },
    "keep-last": { type: "string" },
    "keep-daily": { type: "string" },
    "keep-weekly": { type: "string" },
    "keep-monthly": { type: "string" },
    "keep-yearly": { type: "string" },
    check: { type: "string" },
    "check-only": { type: "boolean" },
    "no-init": { type: "boolean" },
    recover: { type: "boolean" },
  });
  const keep: KeepPolicy = {};
  for (const k of ["last", "daily", "weekly", "monthly", "yearly"] as const) {
    const n = intOption(`keep-${k}`, v[`keep-${k}`]);
    if (n !== undefined) keep[k] = n;
  }
  const check = percentOption("check", v.check ?? (v["check-only"] ? "5%" : undefined));
  return {
    ...(v.repo !== undefined ? { repo: v.repo } : {}),
    ...(v["password-file"] !== undefined ? { passwordFile: v["password-file"] } : {}),
    ...(nameOption("tenant", v.tenant) !== undefined ? { tenant: v.tenant! } : {}),
    ...(nameOption("service", v.service) !== undefined ? { service: v.service! } : {}),
    dryRun: Boolean(v["dry-run"]),
    json: Boolean(v.json),
    init: !v["no-init"],
    ...(hasPolicy(keep) ? { keep } : {}),
    ...(check !== undefined ? { check } : {}),
    checkOnly: Boolean(v["check-only"]),
    recover: Boolean(v.recover),
    ...(v.help ? { help: true } : {}),
  };
}

export async function main(options: BackupOptions = {}): Promise<BackupResult> {
  const started = Date.now();
  const out = options.out ?? createOutput({ json: options.json ?? false });
  const result: BackupResult = {
    ...repositoryResult("backup", options),
    groups: [],
  };
  let session: Session | undefined;
  try {
    session = openSession({ ...options, command: "backup", lock: !options.dryRun, out });
    result.repository = session.ctx.repo.shown;
    result.runId = session.ctx.runId;
    const stale = session.stale;
    if (stale) result.recovery = await recoverCrashedRun(session, stale, out);
    if (options.recover) {
      if (!stale) out.step("nothing to recover: no unfinished run for this repository");
      result.exitCode = result.recovery?.postHookErrors.length ? EXIT.failed : EXIT.ok;
      result.ok = result.exitCode === EXIT.ok;
      return result;
    }
    const filter: GroupFilter = {
      ...(options.tenant ? { tenant: options.tenant } : {}),
      ...(options.service ? { service: options.service } : {}),
    };
    const groups = options.checkOnly
      ? []
      : groupContainers(await listLabelled(), filter).filter((g) => hasData(g) || g.problems.length > 0);
    if (!options.checkOnly && groups.length === 0) {
      throw new SocleError(
        `nothing to back up: no container labelled ${describeFilter(filter)}`,
        EXIT.failed,
      );
    }
    if (options.dryRun) {
      result.plan = groups.flatMap(describeGroup);
      for (const l of result.plan) out.print(l);
      if (options.keep) out.print(`retention: ${JSON.stringify(options.keep)}, then prune`);
      if (options.check) out.print(`check: restic check --read-data-subset=${options.check}`);
      result.ok = true;
      result.exitCode = EXIT.ok;
      return result;
    }
    const [created, host] = await allInOrder([
      ensureRepository(session.ctx, options.init ?? true, out),
      engineName(),
    ]);
    if (created === "created") result.repositoryCreated = true;
    for (const g of groups) {
      if (session.interrupted) break;
      const r = await backupGroup(session, g, host, out);
      result.groups.push(r);
      if (!r.ok) result.errors.push(...r.errors.map((e) => `${groupKey(g)}: ${e}`));
    }
    assertNotInterrupted(session);
    if (options.keep && result.errors.length === 0)
      result.retention = await retention(session, options.keep, out);
    if (options.check) result.check = await check(session, options.check, out, result.errors);
    result.ok = result.errors.length === 0;
    result.exitCode = result.ok ? EXIT.ok : EXIT.failed;
  } catch (e) {
    result.errors.push(errorMessage(e));
    result.exitCode = e instanceof SocleError ? e.exitCode : EXIT.failed;
    if (session?.interrupted) result.exitCode = EXIT.interrupted;
    result.ok = false;
  } finally {
    session?.close();
    result.durationMs = Date.now() - started;
  }
  return result;
}

function describeFilter(f: GroupFilter): string {
  const parts = [`socle.tenant${f.tenant ? `=${f.tenant}` : ""}`];
  if (f.service) parts.push(`socle.service=${f.service}`);
  return `${parts.join(" and ")} with socle.backup.dump or socle.backup.volumes`;
}

async function retention(session: Session, keep: KeepPolicy, out: Output) {
  const snaps = await listSnapshots(session.ctx);
  const plan = planRetention(snaps, keep);
  out.step(`retention: keeping ${plan.keep.length} snapshot(s), forgetting ${plan.forget.length}`);
  if (plan.forget.length === 0) return { kept: plan.keep.length, forgotten: 0, pruned: false };
  const r = await restic(session.ctx, ["forget", "--prune", ...plan.forget]);
  if (r.code !== 0) throw resticError("restic forget --prune", session.ctx.repo.url, r.stderr);
  return { kept: plan.keep.length, forgotten: plan.forget.length, pruned: true };
}

async function check(session: Session, subset: string, out: Output, errors: string[]) {
  out.step(`restic check --read-data-subset=${subset}`);
  const r = await restic(session.ctx, ["check", `--read-data-subset=${subset}`]);
  if (r.code !== 0) errors.push(`restic check failed: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return { subset, ok: r.code === 0 };
}

/** Human lines for the end of a run (stdout without --json). */
export function report(r: BackupResult): string[] {
  const lines = r.groups.map((g) => {
    const saved = [
      ...g.dumps.map((d) => `${d.engine}:${d.database} ${formatBytes(d.bytes)}`),
      ...(g.volumes
        ? [`${g.volumes.names.length} volume(s) ${g.volumes.files} files ${formatBytes(g.volumes.bytes)}`]
        : []),
    ].join(", ");
    return `${g.ok ? "ok    " : "FAILED"} ${g.tenant}/${g.service}: ${saved}${g.manifest ? ` (manifest ${g.manifest})` : ""}`;
  });
  lines.push(`${r.ok ? "backup complete" : "backup FAILED"} in ${(r.durationMs / 1000).toFixed(1)}s`);
  return lines;
}
