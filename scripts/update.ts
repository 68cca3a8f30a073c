/**
 * `socle update plan|apply` — the command line over scripts/update/.
 *
 *   socle update plan [--current svc=ver,…] [--target svc=ver,…] [--tenant T,…] [--json]
 *   socle update apply [--target svc=ver,…] [--tenant T,…] [--canary T] [--wave-size N]
 *                      [--stack NAME] [--work-dir DIR] [--repo URL] [--password-file F]
 *                      [--health-timeout SECONDS] [--dry-run] [--json]
 *
 * Without `--current`, current versions are the deployed `socle.version`
 * labels, per tenant. Without `--target`, the target is the catalogue's pin
 * of each service (components/versions.ts). A command module for
 * scripts/cli.ts: `HELP`, `parseArgs`, `main(options) → result`, `report(result)`;
 * the dispatcher prints the result as one JSON line (last on stdout) with `--json`.
 * Exit codes: 0 done (or nothing to do), 1 a step failed (rolled back, see the
 * report), 2 usage error or plan refused (downgrade, unknown service,
 * malformed version, skipped Nextcloud major), 3 another update holds the lock.
 */
import { CATALOGUE, type ServiceName } from "../components/versions.js";
import {
  ApplyError,
  applyUpdate,
  type ApplyReport,
  type TenantPlan,
  type UpdateDeps,
} from "./update/apply.js";
import { catalogueKey } from "./update/catalogue.js";
import { LockedError } from "./update/lock.js";
import { PlanError, formatSteps, parseVersionList, plan, type Step } from "./update/planner.js";
import { EXIT, SocleError, errorMessage } from "./lib/errors.js";

export const HELP = `Usage:
  socle update plan [--current svc=ver,…] [--target svc=ver,…] [--tenant T,…] [--json]
  socle update apply [--target svc=ver,…] [--tenant T,…] [--canary T] [--wave-size N]
                     [--stack NAME] [--work-dir DIR] [--repo URL] [--password-file FILE]
                     [--health-timeout SECONDS] [--dry-run] [--json]

Without --current, current versions are read from the deployed socle.version labels.
Without --target, every service goes to the version pinned in components/versions.ts.
Exit codes: 0 ok, 1 a step failed (rolled back: see the report), 2 usage error or plan
refused (downgrade, unknown service, malformed version, skipped Nextcloud major),
3 another update holds the lock.`;

interface Common {
  target?: Record<string, string>;
  tenants?: string[];
  json: boolean;
}
export interface PlanOptions extends Common {
  command: "plan";
  current?: Record<string, string>;
}
export interface ApplyCommandOptions extends Common {
  command: "apply";
  canary?: string;
  waveSize: number;
  dryRun: boolean;
  /** Pulumi stack name, for the real deployer. */
  stack?: string;
  workDir: string;
  repo?: string;
  passwordFile?: string;
  healthTimeoutMs: number;
}
export type UpdateOptions = PlanOptions | ApplyCommandOptions;

export interface UpdateResult {
  command: "update plan" | "update apply";
  ok: boolean;
  exitCode: number;
  /** plan: the ordered steps (with `tenant` when read from the deployed labels). */
  steps?: (Step & { tenant?: string })[];
  /** apply: waves, per-tenant step reports, the failure that stopped the run. */
  report?: ApplyReport;
  /** Refusals and errors (the plan error's exact message), also printed on stderr. */
  errors: string[];
  /** The error's class when the command was refused (`DowngradeError`, `LockedError` …). */
  kind?: string;
}

export class UsageError extends Error {}

/** Parses argv after `update`; throws `UsageError`/`PlanError` with exact messages. */
export function parseArgs(argv: string[]): UpdateOptions | { help: true; json?: boolean } {
  if (argv.includes("--help") || argv.includes("-h")) return { help: true };
  return parseUpdateArgs(argv);
}

export function parseUpdateArgs(argv: string[]): UpdateOptions {
  const [command, ...rest] = argv;
  if (command !== "plan" && command !== "apply") {
    throw new UsageError(
      `update: expected "plan" or "apply", got ${command === undefined ? "nothing" : `"${command}"`}`,
    );
  }
  const flags = new Map<string, string | true>();
  const valued = [
    "--current",
    "--target",
    "--tenant",
    "--canary",
    "--wave-size",
    "--stack",
    "--work-dir",
    "--repo",
  ];
  valued.push("--password-file", "--health-timeout");
  const booleans = ["--json", "--dry-run"];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    if (booleans.includes(name)) flags.set(name, true);
    else if (valued.includes(name)) {
      const value = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined || value === "")
        throw new UsageError(`update ${command}: ${name} needs a value`);
      flags.set(name, value);
    } else throw new UsageError(`update ${command}: unknown option ${arg}`);
  }
  const str = (n: string) => (typeof flags.get(n) === "string" ? (flags.get(n) as string) : undefined);
  const allowed =
    command === "plan"
      ? ["--current", "--target", "--tenant", "--json"]
      : [...valued, ...booleans].filter((f) => f !== "--current");
  for (const f of flags.keys()) {
    if (!allowed.includes(f)) throw new UsageError(`update ${command}: ${f} is not an option of ${command}`);
  }
  const common: Common = {
    json: flags.has("--json"),
    ...(str("--target") ? { target: parseVersionList("--target", str("--target")!) } : {}),
    ...(str("--tenant")
      ? {
          tenants: str("--tenant")!
            .split(",")
            .map((t) => t.trim()),
        }
      : {}),
  };
  if (command === "plan") {
    return {
      command,
      ...common,
      ...(str("--current") ? { current: parseVersionList("--current", str("--current")!) } : {}),
    };
  }
  const positive = (flag: string, raw: string | undefined, dflt: number) => {
    if (raw === undefined) return dflt;
    if (!/^[1-9]\d*$/.test(raw))
      throw new UsageError(`update apply: ${flag} must be a positive integer, got "${raw}"`);
    return Number(raw);
  };
  return {
    command,
    ...common,
    ...(str("--canary") ? { canary: str("--canary")! } : {}),
    waveSize: positive("--wave-size", str("--wave-size"), 5),
    dryRun: flags.has("--dry-run"),
    ...(str("--stack") ? { stack: str("--stack")! } : {}),
    workDir: str("--work-dir") ?? process.cwd(),
    ...(str("--repo") ? { repo: str("--repo")! } : {}),
    ...(str("--password-file") ? { passwordFile: str("--password-file")! } : {}),
    healthTimeoutMs: positive("--health-timeout", str("--health-timeout"), 300) * 1000,
  };
}

/** Deployed versions per tenant: tenant → service → version. */
export type Deployed = Record<string, Record<string, string>>;

export interface UpdateEnvironment {
  /** Reads the `socle.version` labels (default: the Docker engine). */
  discover(): Promise<{ deployed: Deployed; warnings: string[] }>;
  /** Builds the side effects of `apply` (default: PulumiDeployer, restic backup/restore, Docker probes). */
  deps(options: ApplyCommandOptions, log: (line: string) => void): Promise<UpdateDeps>;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/** The catalogue pin of a deployed service name (`wordpress-club` → wordpress's pin). */
export function pinnedFor(service: string): string | undefined {
  const key = catalogueKey(service);
  return key === undefined ? undefined : CATALOGUE[key as ServiceName].pinned;
}

/** Per-tenant plans from deployed versions (unknown services are warned about, not planned). */
export function planTenants(
  deployed: Deployed,
  target: Record<string, string> | undefined,
  tenants: string[] | undefined,
  warn: (line: string) => void,
): TenantPlan[] {
  if (tenants) {
    for (const t of tenants) if (!deployed[t]) throw new UsageError(`--tenant: no deployed tenant "${t}"`);
  }
  return Object.keys(deployed)
    .filter((t) => !tenants || tenants.includes(t))
    .sort()
    .map((tenant) => {
      const current: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const [service, version] of Object.entries(deployed[tenant]!)) {
        const key = catalogueKey(service);
        if (key === undefined) {
          warn(`${tenant}/${service}: not in the versions catalogue, left alone`);
          continue;
        }
        current[service] = version;
        const to = target ? (target[service] ?? target[key]) : pinnedFor(service);
        if (to !== undefined) wanted[service] = to;
      }
      return { tenant, steps: plan({ current, target: wanted }) };
    });
}

/** The real environment; the engine-facing runtime is loaded only when used. */
const DEFAULT_ENVIRONMENT: UpdateEnvironment = {
  discover: async () => (await import("./update/runtime.js")).discoverVersions(),
  deps: async (options, log) => (await import("./update/runtime.js")).realDeps(options, log),
  log: (l) => process.stderr.write(`${l}\n`),
};

/** Runs one `socle update` command (nothing on stdout: the dispatcher prints the result). */
export async function main(
  options: UpdateOptions,
  environment?: Partial<UpdateEnvironment>,
): Promise<UpdateResult> {
  const env: UpdateEnvironment = { ...DEFAULT_ENVIRONMENT, ...environment };
  const command = options.command === "plan" ? "update plan" : "update apply";
  try {
    if (options.command === "plan" && options.current) {
      const steps = plan({ current: options.current, target: options.target ?? pinsOf(options.current) });
      return { command, ok: true, exitCode: EXIT.ok, steps, errors: [] };
    }
    const { deployed, warnings } = await env.discover();
    // Discovery warnings name `<tenant>/<service>`: only those of the tenants asked about.
    const mine = (w: string) => !options.tenants || options.tenants.some((t) => w.startsWith(`${t}/`));
    warnings.filter(mine).forEach((w) => env.log(`warning: ${w}`));
    const plans = planTenants(deployed, options.target, options.tenants, (w) => env.log(`warning: ${w}`));
    if (options.command === "plan") {
      const steps = plans.flatMap((p) => p.steps.map((s) => ({ tenant: p.tenant, ...s })));
      return { command, ok: true, exitCode: EXIT.ok, steps, errors: [] };
    }
    const deps = await env.deps(options, env.log);
    const report = await applyUpdate(
      {
        plans,
        ...(options.canary !== undefined ? { canary: options.canary } : {}),
        waveSize: options.waveSize,
        dryRun: options.dryRun,
        healthTimeoutMs: options.healthTimeoutMs,
      },
      deps,
    );
    const errors = report.failure ? [failureLine(report)] : [];
    return { command, ok: report.ok, exitCode: report.ok ? EXIT.ok : EXIT.failed, report, errors };
  } catch (e) {
    const exitCode =
      e instanceof LockedError
        ? EXIT.locked
        : e instanceof PlanError || e instanceof UsageError || e instanceof ApplyError
          ? EXIT.usage
          : e instanceof SocleError
            ? e.exitCode
            : EXIT.failed;
    return { command, ok: false, exitCode, errors: [errorMessage(e)], kind: (e as Error).name ?? "Error" };
  }
}

function pinsOf(current: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(current).map((s) => [s, pinnedFor(s) ?? current[s]!]));
}

function failureLine(r: ApplyReport): string {
  const f = r.failure!;
  const status = r.tenants.find((t) => t.tenant === f.tenant)?.status;
  const state =
    status === "stopped"
      ? "nothing was changed"
      : f.rolledBack
        ? `rolled back to ${f.from} with the pre-step backup`
        : "NOT rolled back: check it by hand";
  return `FAILED: ${f.tenant} ${f.service} ${f.from} → ${f.to}: ${f.error}; ${state}; remaining waves not run`;
}

/** Human lines (stdout without --json): the steps table, or the apply report. */
export function report(r: UpdateResult): string[] {
  if (r.steps) return formatSteps(r.steps).split("\n");
  if (!r.report) return [];
  const a = r.report;
  const lines: string[] = [];
  if (a.dryRun) lines.push("dry run: nothing was changed");
  a.waves.forEach((w, i) => lines.push(`wave ${i + 1}: ${w.join(", ")}`));
  for (const t of a.tenants) {
    lines.push(`${t.tenant}: ${t.status}${t.error ? ` (${t.error})` : ""}`);
    for (const s of t.steps) {
      const note = s.note ? `  ${s.note}` : "";
      lines.push(`  ${s.status.padEnd(11)} ${s.action.padEnd(12)} ${s.service} ${s.from} → ${s.to}${note}`);
    }
  }
  if (a.failure) lines.push(failureLine(a));
  return lines;
}
