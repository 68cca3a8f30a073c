/**
 * `socle drill`: restores the latest complete backup of each service into
 * scratch volumes and scratch database containers (names `socle-drill-…`, on a
 * scratch internal network, removed afterwards; production is never touched),
 * then verifies them against the manifest: every file's sha256, every dump's
 * sha256, every table's row count. Exit 5 on any mismatch.
 */
import { randomBytes } from "node:crypto";
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  nameOption,
  normaliseCheckFlag,
  parseStrict,
  percentOption,
} from "./lib/args.js";
import { groupContainers, groupKey, type BackupGroup, type EngineContainer } from "./lib/discovery.js";
import { docker, dockerOk, listLabelled } from "./lib/docker.js";
import { EXIT, EXIT_HELP, SocleError, errorMessage, type ExitCode } from "./lib/errors.js";
import { allInOrder } from "./lib/exec.js";
import { runHelper, restic } from "./lib/helper.js";
import { acceptDrillImage, acceptManifest } from "./lib/manifest-trust.js";
import {
  compareSums,
  parseSums,
  selectManifest,
  tagValue,
  VOLUMES_ROOT,
  type DumpRecord,
  type Manifest,
  type SnapshotInfo,
} from "./lib/manifest.js";
import { createOutput, repositoryResult, table, type Output } from "./lib/output.js";
import { resticError } from "./lib/repository.js";
import { DRILL_VOLUMES_SCRIPT } from "./lib/scripts.js";
import { openSession, recoverCrashedRun, type Session } from "./lib/session.js";
import {
  ensureRepository,
  listSnapshots,
  loadDatabase,
  readManifest,
  rowCounts,
  waitForDatabase,
} from "./lib/steps.js";

export interface DrillOptions {
  repo?: string;
  passwordFile?: string;
  tenant?: string;
  service?: string;
  /** Also run `restic check --read-data-subset=<check>`. */
  check?: string;
  dryRun?: boolean;
  json?: boolean;
  out?: Output;
}

export interface DrillCheck {
  tenant: string;
  service: string;
  /** "volume <name>", "dump <db>", "rows <db>.<table>", "restic check" */
  item: string;
  expected: string;
  actual: string;
  ok: boolean;
}

export interface DrillResult {
  command: "drill";
  ok: boolean;
  exitCode: ExitCode;
  repository: string;
  dryRun: boolean;
  services: { tenant: string; service: string; manifest: string; backupTime: string; ok: boolean }[];
  checks: DrillCheck[];
  mismatches: number;
  plan?: string[];
  errors: string[];
  durationMs: number;
}

export const HELP = `Usage: socle drill [--tenant <slug>] [--service <name>] [--check [<n>%]] [options]

Restores the latest complete backup of every service (or one tenant / service)
into scratch volumes and scratch database containers named socle-drill-…, on a
scratch internal network, never touching production; verifies every file's
sha256, every dump's sha256 and every table's row count against what the
backup recorded; removes the scratch resources; prints a report (a table, or
one JSON line with --json). Meant to run weekly (socle-drill.timer). A manifest
is drilled only against its service's live labels, from an image already on
the engine (the drill never pulls); otherwise it is refused (exit 1).

Options:
  --tenant <slug>     only this tenant
  --service <name>    only this service
  --check [<n>%]      also run restic check --read-data-subset=<n>% (default 5%)
${COMMON_HELP}

${EXIT_HELP}`;

export function parseArgs(argv: string[]): DrillOptions & { help?: boolean } {
  const { values: v } = parseStrict(normaliseCheckFlag(argv), {
    ...COMMON_OPTIONS,
    tenant: { type: "string" },
    service: { type: "string" },
    check: { type: "string" },
  });
  const check = percentOption("check", v.check);
  return {
    ...(v.repo !== undefined ? { repo: v.repo } : {}),
    ...(v["password-file"] !== undefined ? { passwordFile: v["password-file"] } : {}),
    ...(v.tenant !== undefined ? { tenant: nameOption("tenant", v.tenant)! } : {}),
    ...(v.service !== undefined ? { service: nameOption("service", v.service)! } : {}),
    ...(check !== undefined ? { check } : {}),
    dryRun: Boolean(v["dry-run"]),
    json: Boolean(v.json),
    ...(v.help ? { help: true } : {}),
  };
}

type Scratch = { containers: string[]; volumes: string[]; network: string };

export async function main(options: DrillOptions = {}): Promise<DrillResult> {
  const started = Date.now();
  const out = options.out ?? createOutput({ json: options.json ?? false });
  const result: DrillResult = {
    ...repositoryResult("drill", options),
    services: [],
    checks: [],
    mismatches: 0,
  };
  let session: Session | undefined;
  const scratch: Scratch = { containers: [], volumes: [], network: "" };
  try {
    session = openSession({ ...options, command: "drill", lock: !options.dryRun, out });
    result.repository = session.ctx.repo.shown;
    if (session.stale) await recoverCrashedRun(session, session.stale, out);
    await ensureRepository(session.ctx, false, out);
    const tags = [
      "kind=manifest",
      ...(options.tenant ? [`tenant=${options.tenant}`] : []),
      ...(options.service ? [`service=${options.service}`] : []),
    ];
    const [manifests, labelled] = await allInOrder([listSnapshots(session.ctx, tags), listLabelled()]);
    const latest = latestPerService(manifests);
    if (latest.length === 0) throw new SocleError(`no complete backup to drill in ${session.ctx.repo.shown}`);
    if (options.dryRun) {
      result.plan = latest.map((s) => `${snapKey(s)}: manifest ${s.short_id} (${s.time})`);
      for (const l of result.plan) out.print(l);
      result.ok = true;
      result.exitCode = EXIT.ok;
      return result;
    }
    scratch.network = `socle-drill-${session.ctx.runId}`;
    await dockerOk(["network", "create", "--internal", "--label", "socle.drill=1", scratch.network]);
    const live = { groups: groupContainers(labelled), containers: labelled };
    for (const snap of latest) await drillService(session, snap, live, scratch, result, out);
    if (options.check) result.checks.push(await resticCheck(session, options.check, out));
    result.mismatches = result.checks.filter((c) => !c.ok).length;
    result.ok = result.errors.length === 0 && result.mismatches === 0;
    result.exitCode =
      result.errors.length > 0 ? EXIT.failed : result.mismatches > 0 ? EXIT.mismatch : EXIT.ok;
  } catch (e) {
    result.errors.push(errorMessage(e));
    result.exitCode = e instanceof SocleError ? e.exitCode : EXIT.failed;
  } finally {
    if (scratch.containers.length > 0) await docker(["rm", "-f", "-v", ...scratch.containers]);
    if (scratch.volumes.length > 0) await docker(["volume", "rm", "-f", ...scratch.volumes]);
    if (scratch.network) await docker(["network", "rm", scratch.network]);
    session?.close();
    result.durationMs = Date.now() - started;
  }
  return result;
}

/** `tenant/service` of a manifest snapshot, from its tags. */
function snapKey(s: SnapshotInfo): string {
  return `${tagValue(s, "tenant")}/${tagValue(s, "service")}`;
}

function latestPerService(manifests: SnapshotInfo[]): SnapshotInfo[] {
  const keys = [...new Set(manifests.map(snapKey))].sort();
  return keys.map((k) =>
    selectManifest(
      manifests.filter((m) => snapKey(m) === k),
      "latest",
    )!,
  );
}

async function resticCheck(session: Session, subset: string, out: Output): Promise<DrillCheck> {
  out.step(`restic check --read-data-subset=${subset}`);
  const r = await restic(session.ctx, ["check", `--read-data-subset=${subset}`]);
  const actual = r.code === 0 ? "no errors" : "errors";
  return { tenant: "-", service: "-", item: "restic check", expected: "no errors", actual, ok: r.code === 0 };
}

/**
 * One service: its manifest is accepted only against the live group's labels
 * (acceptManifest) and its images against the live dump containers'
 * (acceptDrillImage), before any scratch volume or container exists.
 */
async function drillService(
  session: Session,
  snap: SnapshotInfo,
  live: { groups: BackupGroup[]; containers: EngineContainer[] },
  scratch: Scratch,
  result: DrillResult,
  out: Output,
): Promise<void> {
  const key = snapKey(snap);
  const before = result.checks.length;
  let failed = false;
  try {
    const group = live.groups.find((g) => groupKey(g) === key);
    if (!group) {
      throw new SocleError(
        `${key}: no container labelled for it on the engine; a backup is drilled against its service's live labels (deploy it, or drill another --tenant)`,
      );
    }
    if (group.problems.length > 0)
      throw new SocleError(`${key}: refusing to drill: its labels are wrong: ${group.problems.join("; ")}`);
    const m = await readManifest(session.ctx, snap);
    acceptManifest(m, snap, group);
    for (const d of m.dumps) {
      const server = live.containers.find((c) => c.name === d.container);
      await acceptDrillImage(snap.short_id, key, d, server?.image);
    }
    await drillGroup(session, m, scratch, result.checks, out);
  } catch (e) {
    failed = true;
    const msg = errorMessage(e);
    result.errors.push(msg.startsWith(`${key}: `) ? msg : `${key}: ${msg}`);
  }
  const [tenant = "", service = ""] = key.split("/");
  result.services.push({
    tenant,
    service,
    manifest: snap.short_id,
    backupTime: snap.time,
    ok: !failed && result.checks.slice(before).every((c) => c.ok),
  });
}

async function drillGroup(
  session: Session,
  m: Manifest,
  scratch: Scratch,
  checks: DrillCheck[],
  out: Output,
): Promise<void> {
  const ctx = session.ctx;
  const key = `${m.tenant}/${m.service}`;
  const add = (item: string, expected: string, actual: string) =>
    checks.push({ tenant: m.tenant, service: m.service, item, expected, actual, ok: expected === actual });
  if (m.volumeSnapshot && m.volumes.length > 0) {
    const mounts = m.volumes.map((v) => {
      const volume = `${scratch.network}-${scratch.volumes.length}`;
      scratch.volumes.push(volume);
      return { volume, target: `${VOLUMES_ROOT}/${v.name}` };
    });
    for (const mt of mounts) await dockerOk(["volume", "create", "--label", "socle.drill=1", mt.volume]);
    out.step(
      `${key}: restoring ${m.volumes.map((v) => v.name).join(", ")} from ${m.volumeSnapshot} into scratch volumes`,
    );
    const r = await runHelper(ctx, "drill", {
      script: DRILL_VOLUMES_SCRIPT,
      args: [m.volumeSnapshot, ...m.volumes.map((v) => v.name)],
      mounts,
    });
    if (r.code !== 0) throw resticError(`restoring ${m.volumeSnapshot}`, ctx.repo.url, r.stderr);
    const sums = parseSums(
      r.stdout,
      m.volumes.map((v) => v.name),
    );
    for (const v of m.volumes) {
      const diff = compareSums(v.sums, sums[v.name] ?? []);
      const bad = diff.missing.length + diff.extra.length + diff.changed.length;
      add(
        `volume ${v.name}`,
        `${v.files} files`,
        bad === 0
          ? `${v.files} files`
          : `${diff.changed.length} changed, ${diff.missing.length} missing, ${diff.extra.length} extra (e.g. ${[...diff.changed, ...diff.missing, ...diff.extra][0]})`,
      );
    }
  }
  for (const d of m.dumps) await drillDump(session, m, d, scratch, add, out);
}

async function drillDump(
  session: Session,
  m: Manifest,
  d: DumpRecord,
  scratch: Scratch,
  add: (item: string, expected: string, actual: string) => void,
  out: Output,
): Promise<void> {
  const name = `${scratch.network}-db-${scratch.containers.length}`;
  const password = randomBytes(18).toString("hex");
  const env: Record<string, string> =
    d.engine === "postgres"
      ? { POSTGRES_USER: "socle_drill", POSTGRES_PASSWORD: password }
      : { MARIADB_ROOT_PASSWORD: password };
  out.step(`${m.tenant}/${m.service}: scratch ${d.engine} ${name} (${d.image}) for ${d.database}`);
  scratch.containers.push(name);
  await dockerOk(
    [
      "run",
      "-d",
      "--name",
      name,
      "--network",
      scratch.network,
      "--memory",
      "1g",
      "--pull",
      "never",
      "--label",
      "socle.drill=1",
      ...Object.keys(env).flatMap((k) => ["-e", k]),
      d.image,
    ],
    { env },
  );
  await waitForDatabase(name, d.engine);
  const loaded = await loadDatabase(session.ctx, name, d.engine, d.database, d.info, d.snapshot, d.path, out);
  add(`dump ${d.database}`, d.sha256.slice(0, 16), loaded.sha256.slice(0, 16));
  const counts = await rowCounts(name, d.engine, d.database);
  const tables = [...new Set([...Object.keys(d.tables), ...Object.keys(counts)])].sort();
  for (const t of tables)
    add(`rows ${d.database}.${t}`, String(d.tables[t] ?? "absent"), String(counts[t] ?? "absent"));
}

export function report(r: DrillResult): string[] {
  const rows = r.checks.map((c) => [
    c.ok ? "ok" : "MISMATCH",
    `${c.tenant}/${c.service}`,
    c.item,
    c.expected,
    c.actual,
  ]);
  const lines =
    rows.length > 0 ? table(["result", "service", "check", "recorded", "restored"], rows).split("\n") : [];
  for (const s of r.services)
    lines.push(
      `${s.ok ? "ok    " : "FAILED"} ${s.tenant}/${s.service}: backup ${s.manifest} of ${s.backupTime}`,
    );
  lines.push(
    `${r.ok ? "drill passed" : "drill FAILED"}: ${r.checks.length} checks, ${r.mismatches} mismatches, ${r.errors.length} errors, ${(r.durationMs / 1000).toFixed(1)}s`,
  );
  return lines;
}
