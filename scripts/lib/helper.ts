/**
 * Short-lived helper containers that run restic on the Docker engine's host:
 * they mount the volumes to save or restore (read-only for backups), the
 * repository when it is a local path (otherwise they reach it with the
 * backend's env), and a persistent restic cache volume. Running restic there,
 * rather than on the machine running `socle`, makes `DOCKER_HOST=ssh://…`
 * work and keeps restic's incremental change detection (inode, mtime, size
 * of the mounted files) across runs. The password reaches the container as an
 * environment variable copied from the docker client's env (`-e NAME`), never
 * on a command line.
 */
import type { ProcessPromise } from "zx";
import { run, spawnCollect, spawnStream, type RunResult } from "./exec.js";
import type { Repository } from "./repository.js";
import { VOLUME_RE } from "../../components/labels.js";
import { SocleError } from "./errors.js";

/** Labels on helper containers (scripts-internal, not part of the component contract). */
export const HELPER_LABELS = { repository: "socle.helper.repository", run: "socle.helper.run" } as const;

/** The official restic image, pinned (override with SOCLE_HELPER_IMAGE). */
export const DEFAULT_HELPER_IMAGE = "restic/restic:0.18.1";
export const CACHE_VOLUME = "socle-restic-cache";
/** Environment variables of restic backends passed through when set. */
const PASSTHROUGH =
  /^(AWS_|B2_|AZURE_|GOOGLE_|OS_|ST_|RESTIC_REST_|RCLONE_|RESTIC_COMPRESSION$|RESTIC_PACK_SIZE$)/;

export interface HelperContext {
  repo: Repository;
  runId: string;
  image: string;
  /** Memory limit of each helper, e.g. "2g". */
  memory: string;
}

export interface HelperMount {
  volume: string;
  target: string;
  readOnly?: boolean;
}

export interface HelperSpec {
  /** sh script (run as `sh -c script sh ...args`). */
  script: string;
  args?: string[];
  mounts?: HelperMount[];
  /** Keep stdin open (data streamed in). */
  stdin?: boolean;
  /** Extra docker run flags (e.g. `--network`, `container:<name>`). */
  network?: string;
  /** Extra env for the container (names → values, passed by name). */
  env?: Record<string, string>;
  /** No repository, password or cache (e.g. a health probe). */
  noRepository?: boolean;
}

let seq = 0;

export function helperImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOCLE_HELPER_IMAGE || DEFAULT_HELPER_IMAGE;
}

export function newRunId(now = Date.now(), pid = process.pid): string {
  return `${now.toString(36)}-${pid}`;
}

/** The docker client's env for a helper: the secrets travel here, not in argv. */
export function helperClientEnv(ctx: HelperContext, spec: HelperSpec): Record<string, string> {
  if (spec.noRepository) return { ...spec.env };
  return {
    RESTIC_PASSWORD: ctx.repo.password,
    RESTIC_REPOSITORY: ctx.repo.localPath ?? ctx.repo.url,
    ...spec.env,
  };
}

/** `docker run` argv for a helper (pure; tested). */
export function helperArgv(ctx: HelperContext, spec: HelperSpec, name: string, env = process.env): string[] {
  const argv = ["docker", "run", "--rm", "--init", "--name", name];
  // Docker refuses --hostname with `--network container:<c>` (health probes): the probe runs no restic.
  if (!spec.network?.startsWith("container:")) argv.push("--hostname", `socle-${ctx.runId}`);
  argv.push(
    "--label",
    `${HELPER_LABELS.repository}=${ctx.repo.key}`,
    "--label",
    `${HELPER_LABELS.run}=${ctx.runId}`,
  );
  argv.push("--memory", ctx.memory);
  if (spec.stdin) argv.push("-i");
  for (const k of Object.keys(spec.env ?? {}).sort()) argv.push("-e", k);
  if (spec.noRepository) {
    argv.push("--network", spec.network ?? "none");
    argv.push("--entrypoint", "sh", ctx.image, "-c", spec.script, "sh", ...(spec.args ?? []));
    return argv;
  }
  argv.push("-e", "RESTIC_PASSWORD", "-e", "RESTIC_REPOSITORY", "-e", "RESTIC_CACHE_DIR=/cache");
  for (const k of Object.keys(env).sort()) if (PASSTHROUGH.test(k)) argv.push("-e", k);
  argv.push("-v", `${CACHE_VOLUME}:/cache`);
  if (ctx.repo.localPath) {
    argv.push("-v", `${ctx.repo.localPath}:${ctx.repo.localPath}`);
    argv.push("--network", spec.network ?? "none");
  } else {
    if (spec.network) argv.push("--network", spec.network);
    if (ctx.repo.url.startsWith("sftp:") && env.HOME) argv.push("-v", `${env.HOME}/.ssh:/root/.ssh:ro`);
  }
  for (const m of spec.mounts ?? []) argv.push("--mount", mountValue(m));
  argv.push("--entrypoint", "sh", ctx.image, "-c", spec.script, "sh", ...(spec.args ?? []));
  return argv;
}

const MOUNT_TARGET = /^\/[A-Za-z0-9_./-]*$/;

/**
 * `--mount` value of a helper mount. `,` and `=` are refused in the source and
 * target (either would add keys: `x,type=bind,source=/` is a bind mount of the
 * host's root), and so is a source outside the volume name grammar.
 */
export function mountValue(m: HelperMount): string {
  for (const v of [m.volume, m.target]) {
    if (/[,=]/.test(v))
      throw new SocleError(`refusing to mount "${v}": a mount value may not contain "," or "="`);
  }
  if (!VOLUME_RE.test(m.volume) || !MOUNT_TARGET.test(m.target) || m.target.split("/").includes("..")) {
    throw new SocleError(
      `refusing to mount volume "${m.volume}" at "${m.target}": not a volume name and path`,
    );
  }
  return `type=volume,source=${m.volume},target=${m.target}${m.readOnly ? ",readonly" : ""}`;
}

export function helperName(ctx: HelperContext, what: string): string {
  seq += 1;
  return `socle-helper-${ctx.runId}-${seq}-${what}`.slice(0, 120);
}

/** Runs a helper to completion, collecting its output. */
export function runHelper(
  ctx: HelperContext,
  what: string,
  spec: HelperSpec,
  input?: string,
): Promise<RunResult> {
  const name = helperName(ctx, what);
  return run(helperArgv(ctx, spec, name), {
    env: helperClientEnv(ctx, spec),
    ...(input !== undefined ? { input } : {}),
  });
}

/** Starts a helper fed through stdin; returns the process and its container name. */
export function startHelper(
  ctx: HelperContext,
  what: string,
  spec: HelperSpec,
  opts: { discardStdout?: boolean } = {},
): { proc: ProcessPromise; name: string } {
  const name = helperName(ctx, what);
  const argv = helperArgv(ctx, spec, name);
  const env = helperClientEnv(ctx, spec);
  const proc = opts.discardStdout ? spawnStream(argv, { env }) : spawnCollect(argv, { env });
  return { proc, name };
}

/** `restic <args>` in a helper. */
export function restic(ctx: HelperContext, args: string[], extra: Omit<HelperSpec, "script" | "args"> = {}) {
  return runHelper(ctx, args[0] ?? "restic", { ...extra, script: 'exec restic "$@"', args });
}

/** Kills helpers (of one run, or every helper of this repository). */
export async function killHelpers(repoKey: string, runId?: string): Promise<string[]> {
  const filter = runId
    ? `label=${HELPER_LABELS.run}=${runId}`
    : `label=${HELPER_LABELS.repository}=${repoKey}`;
  const ps = await run(["docker", "ps", "-a", "--filter", filter, "--format", "{{.Names}}"]);
  const names = ps.stdout.split("\n").filter((n) => n.trim().length > 0);
  if (names.length > 0) await run(["docker", "rm", "-f", ...names]);
  return names;
}
