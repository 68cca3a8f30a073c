/**
 * What every repository-touching command does around its work: resolve the
 * repository, take its lock (recovering a crashed run: its owed post hooks,
 * its helper containers, restic locks it left), trap SIGINT/SIGTERM, and
 * release everything at the end.
 */
import { EXIT, SocleError } from "./errors.js";
import { helperImage, killHelpers, newRunId, restic, type HelperContext } from "./helper.js";
import { acquireLock, type LockInfo, type RepositoryLock } from "./lock.js";
import type { Output } from "./output.js";
import { resolveRepository, type RepositoryOptions } from "./repository.js";
import { runHook } from "./steps.js";

export interface Recovery {
  crashedRun: string;
  pid: number;
  startedAt: string;
  postHooksRun: string[];
  postHookErrors: string[];
  helpersRemoved: string[];
  resticLocksRemoved: number;
}

export interface Session {
  ctx: HelperContext;
  lock?: RepositoryLock;
  recovery?: Recovery;
  /** The crashed run whose stale lock was taken over. */
  stale?: LockInfo;
  /** Set when SIGINT/SIGTERM arrived: steps stop, post hooks still run. */
  interrupted?: NodeJS.Signals;
  close(): void;
}

export interface SessionOptions extends RepositoryOptions {
  command: string;
  /** Take the repository lock (false for --dry-run). */
  lock: boolean;
  out: Output;
}

export function openSession(opts: SessionOptions): Session {
  const repo = resolveRepository(opts);
  const runId = newRunId();
  const ctx: HelperContext = {
    repo,
    runId,
    image: helperImage(),
    memory: process.env.SOCLE_HELPER_MEMORY || "2g",
  };
  const session: Session = { ctx, close: () => undefined };
  if (!opts.lock) return session;
  const { lock, stale } = acquireLock(repo.shown, repo.key, opts.command, runId);
  session.lock = lock;
  const onSignal = (sig: NodeJS.Signals) => {
    if (session.interrupted) return;
    session.interrupted = sig;
    opts.out.warn(`${sig} received: stopping; post hooks still run`);
    void killHelpers(repo.key, runId);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  session.close = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    lock.release();
  };
  if (stale) session.stale = stale;
  return session;
}

function emptyRecovery(stale: LockInfo): Recovery {
  return {
    crashedRun: stale.runId,
    pid: stale.pid,
    startedAt: stale.startedAt,
    postHooksRun: [],
    postHookErrors: [],
    helpersRemoved: [],
    resticLocksRemoved: 0,
  };
}

/**
 * Finishes what a crashed run left: its post hooks (maintenance off), its
 * helper containers, and the restic locks its helpers held (only when every
 * lock in the repository is one of them).
 */
export async function recoverCrashedRun(session: Session, stale: LockInfo, out: Output): Promise<Recovery> {
  const rec = emptyRecovery(stale);
  out.warn(
    `stale lock: socle ${stale.command} (pid ${stale.pid}, started ${stale.startedAt}) did not finish; recovering`,
  );
  rec.helpersRemoved = await killHelpers(session.ctx.repo.key, stale.runId);
  if (rec.helpersRemoved.length > 0)
    out.step(`removed ${rec.helpersRemoved.length} helper container(s) of the crashed run`);
  for (const h of stale.pendingPost ?? []) {
    const err = await runHook(h.container, h.command);
    if (err) {
      rec.postHookErrors.push(err);
      out.warn(`post hook owed by the crashed run failed: ${err}`);
    } else {
      rec.postHooksRun.push(`${h.container}: ${h.command}`);
      out.step(`ran the post hook the crashed run owed: ${h.container}: ${h.command}`);
    }
  }
  rec.resticLocksRemoved = await removeCrashLocks(session.ctx, stale.runId, out);
  session.recovery = rec;
  return rec;
}

async function removeCrashLocks(ctx: HelperContext, crashedRunId: string, out: Output): Promise<number> {
  const list = await restic(ctx, ["list", "locks", "--no-lock"]);
  if (list.code !== 0) return 0;
  const ids = list.stdout.split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l.trim()));
  if (ids.length === 0) return 0;
  let crash = 0;
  for (const id of ids) {
    const c = await restic(ctx, ["cat", "lock", id, "--no-lock"]);
    if (c.code === 0 && (JSON.parse(c.stdout) as { hostname?: string }).hostname === `socle-${crashedRunId}`)
      crash++;
  }
  if (crash === 0) return 0;
  if (crash === ids.length) {
    const u = await restic(ctx, ["unlock", "--remove-all"]);
    if (u.code === 0) {
      out.step(`removed ${crash} restic lock(s) left by the crashed run (restic unlock)`);
      return crash;
    }
  }
  out.warn(
    `${crash} restic lock(s) left by the crashed run remain (other restic processes hold locks too); restic treats them as stale after 30 minutes, or run \`restic unlock\``,
  );
  return 0;
}

export function assertNotInterrupted(session: Session): void {
  if (session.interrupted) throw new SocleError(`interrupted by ${session.interrupted}`, EXIT.interrupted);
}
