/**
 * `socle restore --tenant T [--service S] [--snapshot latest|<id>|<time>]`:
 * in place, from a manifest (so only complete backups are restored): stop the
 * service's app containers, empty and restore its volumes, drop and recreate
 * its databases (recorded owner and encoding) and load the dumps, start,
 * run `socle.backup.restore.post`, wait for `socle.health`. Never deletes a
 * snapshot; refuses a volume whose path contains the repository.
 */
import { COMMON_HELP, COMMON_OPTIONS, intOption, nameOption, parseStrict } from "./lib/args.js";
import { appContainers, groupContainers, groupKey, type BackupGroup } from "./lib/discovery.js";
import { dockerOk, listLabelled, volumeMountpoint } from "./lib/docker.js";
import { EXIT, EXIT_HELP, SocleError, errorMessage, type ExitCode } from "./lib/errors.js";
import { allInOrder } from "./lib/exec.js";
import { runHelper } from "./lib/helper.js";
import { LABELS } from "../components/labels.js";
import { waitHealthy } from "./lib/health.js";
import { selectManifest, tagValue, VOLUMES_ROOT, type Manifest } from "./lib/manifest.js";
import { acceptManifest } from "./lib/manifest-trust.js";
import { createOutput, repositoryResult, type Output } from "./lib/output.js";
import { resticError } from "./lib/repository.js";
import { VOLUME_RESTORE_SCRIPT } from "./lib/scripts.js";
import { openSession, recoverCrashedRun, type Session } from "./lib/session.js";
import { ensureRepository, listSnapshots, loadDatabase, readManifest, runHook } from "./lib/steps.js";

export interface RestoreOptions {
  repo?: string;
  passwordFile?: string;
  tenant: string;
  service?: string;
  /** `latest` (default), a snapshot id (the manifest's or one it references), or a time. */
  snapshot?: string;
  dryRun?: boolean;
  json?: boolean;
  /** Seconds to wait for socle.health after the restore (default 300). */
  healthTimeout?: number;
  out?: Output;
}

export interface RestoredGroup {
  tenant: string;
  service: string;
  manifest: string;
  backupTime: string;
  ok: boolean;
  volumes: string[];
  databases: string[];
  stopped: string[];
  started: string[];
  unhealthy: string[];
  errors: string[];
}

export interface RestoreResult {
  command: "restore";
  ok: boolean;
  exitCode: ExitCode;
  repository: string;
  dryRun: boolean;
  groups: RestoredGroup[];
  plan?: string[];
  errors: string[];
  durationMs: number;
}

export const HELP = `Usage: socle restore --tenant <slug> [--service <name>] [--snapshot latest|<id>|<time>] [options]

Restores one tenant's service (or all its services) IN PLACE from a complete
backup (a manifest snapshot): stops the app containers, empties and restores
the volumes, drops and recreates each database (same owner and encoding) and
loads its dump, starts the containers, runs socle.backup.restore.post (e.g.
Nextcloud maintenance:data-fingerprint), waits for socle.health. Snapshots are
never deleted. A volume whose path contains the repository is refused, and so
is a manifest naming a volume, database or container the live labels do not
declare (nothing is touched: exit 1).
Deploy first (pulumi up): the containers must exist; missing volumes are created.

Options:
  --tenant <slug>          required
  --service <name>         one service (default: every service of the tenant with a backup)
  --snapshot <sel>         latest (default), a snapshot id (manifest or one it references),
                           or a time (ISO 8601: the last backup at or before it)
  --health-timeout <s>     seconds to wait for health after starting (default 300)
${COMMON_HELP}

${EXIT_HELP}`;

export function parseArgs(argv: string[]): RestoreOptions & { help?: boolean } {
  const { values: v } = parseStrict(argv, {
    ...COMMON_OPTIONS,
    tenant: { type: "string" },
    service: { type: "string" },
    snapshot: { type: "string" },
    "health-timeout": { type: "string" },
  });
  if (v.help) return { help: true, tenant: "" };
  if (!v.tenant) throw new SocleError("--tenant is required", EXIT.usage);
  const healthTimeout = intOption("health-timeout", v["health-timeout"]);
  return {
    tenant: nameOption("tenant", v.tenant)!,
    ...(v.service !== undefined ? { service: nameOption("service", v.service)! } : {}),
    ...(v.snapshot !== undefined ? { snapshot: v.snapshot } : {}),
    ...(v.repo !== undefined ? { repo: v.repo } : {}),
    ...(v["password-file"] !== undefined ? { passwordFile: v["password-file"] } : {}),
    ...(healthTimeout !== undefined ? { healthTimeout } : {}),
    dryRun: Boolean(v["dry-run"]),
    json: Boolean(v.json),
  };
}

/** The refusal when a volume's path holds the repository (pure, tested). */
export function checkTarget(volume: string, mountpoint: string, repoPath: string | undefined): void {
  if (!repoPath) return;
  const mp = mountpoint.replace(/\/+$/, "");
  if (repoPath === mp || repoPath.startsWith(`${mp}/`)) {
    throw new SocleError(
      `refusing to restore volume ${volume}: its path ${mp} contains the repository ${repoPath}; emptying it would delete the backups`,
    );
  }
}

interface PlannedGroup {
  group: BackupGroup;
  manifestId: string;
  manifest: Manifest;
  time: string;
}

export async function main(options: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const out = options.out ?? createOutput({ json: options.json ?? false });
  const result: RestoreResult = {
    ...repositoryResult("restore", options),
    groups: [],
  };
  let session: Session | undefined;
  try {
    session = openSession({ ...options, command: "restore", lock: !options.dryRun, out });
    result.repository = session.ctx.repo.shown;
    if (session.stale) await recoverCrashedRun(session, session.stale, out);
    await ensureRepository(session.ctx, false, out);
    const plan = await planRestore(session, options);
    if (options.dryRun) {
      result.plan = plan.flatMap(planLines);
      for (const l of result.plan) out.print(l);
      result.ok = true;
      result.exitCode = EXIT.ok;
      return result;
    }
    for (const p of plan) {
      const r = await restoreGroup(session, p.group, p.manifestId, p.manifest, p.time, options, out);
      result.groups.push(r);
      result.errors.push(...r.errors.map((e) => `${r.tenant}/${r.service}: ${e}`));
    }
    result.ok = result.errors.length === 0;
    result.exitCode = result.ok ? EXIT.ok : EXIT.failed;
  } catch (e) {
    result.errors.push(errorMessage(e));
    result.exitCode = e instanceof SocleError ? e.exitCode : EXIT.failed;
  } finally {
    session?.close();
    result.durationMs = Date.now() - started;
  }
  return result;
}

/**
 * Every service's manifest, and every check, BEFORE anything is stopped: the
 * live group must exist with valid labels, its manifest name only what those
 * labels declare (acceptManifest), and the restore targets must not hold the
 * repository. Throws the first refusal.
 */
async function planRestore(session: Session, options: RestoreOptions): Promise<PlannedGroup[]> {
  const tags = [
    `tenant=${options.tenant}`,
    "kind=manifest",
    ...(options.service ? [`service=${options.service}`] : []),
  ];
  const [manifests, labelled] = await allInOrder([listSnapshots(session.ctx, tags), listLabelled()]);
  const services = [...new Set(manifests.map((m) => tagValue(m, "service")!))].sort();
  if (services.length === 0) {
    throw new SocleError(
      `no complete backup of ${options.tenant}${options.service ? `/${options.service}` : ""} in ${session.ctx.repo.shown}`,
    );
  }
  const engine = groupContainers(labelled, { tenant: options.tenant });
  const plan: PlannedGroup[] = [];
  for (const service of services) {
    const snap = selectManifest(
      manifests.filter((m) => tagValue(m, "service") === service),
      options.snapshot ?? "latest",
    );
    if (!snap)
      throw new SocleError(`${options.tenant}/${service}: no backup matches --snapshot ${options.snapshot}`);
    const group = engine.find((g) => g.service === service);
    if (!group) {
      throw new SocleError(
        `${options.tenant}/${service}: no container labelled for it on the engine; deploy first (pulumi up), then restore`,
      );
    }
    if (group.problems.length > 0) {
      throw new SocleError(
        `refusing to restore ${groupKey(group)}: its labels are wrong: ${group.problems.join("; ")}`,
      );
    }
    const manifest = await readManifest(session.ctx, snap);
    acceptManifest(manifest, snap, group);
    plan.push({ group, manifestId: snap.short_id, manifest, time: snap.time });
  }
  for (const p of plan) {
    for (const v of p.manifest.volumes) {
      const mp = await volumeMountpoint(v.name);
      if (mp) checkTarget(v.name, mp, session.ctx.repo.localPath);
    }
  }
  return plan;
}

function planLines(p: PlannedGroup): string[] {
  return [
    `${groupKey(p.group)} from manifest ${p.manifestId} (${p.time})`,
    `  stop   ${
      appContainers(p.group)
        .map((c) => c.name)
        .join(", ") || "-"
    }`,
    ...p.manifest.volumes.map((v) => `  volume ${v.name}: empty, restore ${v.files} files`),
    ...p.manifest.dumps.map(
      (d) => `  db     ${d.engine}:${d.database} in ${d.container}: drop, recreate, load`,
    ),
    ...p.group.restorePost.map((h) => `  post   ${h.container}: ${h.command}`),
  ];
}

async function restoreGroup(
  session: Session,
  g: BackupGroup,
  manifestId: string,
  m: Manifest,
  time: string,
  options: RestoreOptions,
  out: Output,
): Promise<RestoredGroup> {
  const key = groupKey(g);
  const res: RestoredGroup = {
    tenant: g.tenant,
    service: g.service,
    manifest: manifestId,
    backupTime: time,
    ok: false,
    volumes: [],
    databases: [],
    stopped: [],
    started: [],
    unhealthy: [],
    errors: [],
  };
  const ctx = session.ctx;
  const apps = appContainers(g).filter((c) => c.running);
  try {
    if (apps.length > 0) {
      out.step(`${key}: stopping ${apps.map((c) => c.name).join(", ")}`);
      await dockerOk(["stop", ...apps.map((c) => c.name)]);
      res.stopped = apps.map((c) => c.name);
    }
    if (m.volumes.length > 0 && m.volumeSnapshot) {
      for (const v of m.volumes) {
        if (!(await volumeMountpoint(v.name))) {
          out.step(`${key}: volume ${v.name} is missing: creating it`);
          await dockerOk(["volume", "create", "--label", `${LABELS.tenant}=${g.tenant}`, v.name]);
        }
      }
      out.step(
        `${key}: restoring volumes ${m.volumes.map((v) => v.name).join(", ")} from ${m.volumeSnapshot}`,
      );
    }
    // Volumes and databases are independent: restored side by side (the
    // service is stopped), every step awaited, the first failure reported.
    await allInOrder([restoreVolumes(ctx, m), loadDumps(ctx, key, m, res, out)]);
    if (m.volumes.length > 0 && m.volumeSnapshot) res.volumes = m.volumes.map((v) => v.name);
    if (res.stopped.length > 0) {
      out.step(`${key}: starting ${res.stopped.join(", ")}`);
      await dockerOk(["start", ...res.stopped]);
      res.started = res.stopped;
    }
    for (const h of g.restorePost) {
      out.step(`${key}: restore post step in ${h.container}`);
      const err = await runHook(h.container, h.command);
      if (err) res.errors.push(`restore post step failed: ${err}`);
    }
    if (g.health.length > 0) {
      out.step(`${key}: waiting for health`);
      res.unhealthy = await waitHealthy(ctx, g.health, (options.healthTimeout ?? 300) * 1000);
      if (res.unhealthy.length > 0) res.errors.push(`not healthy after restore: ${res.unhealthy.join(", ")}`);
    }
  } catch (e) {
    res.errors.push(errorMessage(e));
    const left = res.stopped.filter((c) => !res.started.includes(c));
    if (left.length > 0) res.errors.push(`left stopped (restore incomplete): ${left.join(", ")}`);
  }
  res.ok = res.errors.length === 0;
  return res;
}

async function restoreVolumes(ctx: Session["ctx"], m: Manifest): Promise<void> {
  if (m.volumes.length === 0 || !m.volumeSnapshot) return;
  const names = m.volumes.map((v) => v.name);
  const r = await runHelper(ctx, "restore", {
    script: VOLUME_RESTORE_SCRIPT,
    args: [m.volumeSnapshot, ...names],
    mounts: names.map((n) => ({ volume: n, target: `${VOLUMES_ROOT}/${n}` })),
  });
  if (r.code !== 0) throw resticError(`restoring volumes ${names.join(", ")}`, ctx.repo.url, r.stderr);
}

async function loadDumps(
  ctx: Session["ctx"],
  key: string,
  m: Manifest,
  res: RestoredGroup,
  out: Output,
): Promise<void> {
  for (const d of m.dumps) {
    out.step(`${key}: recreating ${d.engine}:${d.database} in ${d.container} and loading ${d.snapshot}`);
    const loaded = await loadDatabase(
      ctx,
      d.container,
      d.engine,
      d.database,
      d.info,
      d.snapshot,
      d.path,
      out,
    );
    if (loaded.sha256 !== d.sha256) {
      throw new SocleError(`dump ${d.database} from ${d.snapshot} does not match its recorded sha256`);
    }
    res.databases.push(`${d.engine}:${d.database}`);
  }
}

export function report(r: RestoreResult): string[] {
  const lines = r.groups.map(
    (g) =>
      `${g.ok ? "ok    " : "FAILED"} ${g.tenant}/${g.service} from ${g.manifest} (${g.backupTime}): ${g.volumes.length} volume(s), ${g.databases.length} database(s)`,
  );
  lines.push(`${r.ok ? "restore complete" : "restore FAILED"} in ${(r.durationMs / 1000).toFixed(1)}s`);
  return lines;
}
