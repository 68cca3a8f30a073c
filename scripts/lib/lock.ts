/**
 * One lock per repository, so two runs never overlap: a JSON file created with
 * O_EXCL under the state directory (`$SOCLE_STATE_DIR`, else /run/socle as
 * root, else $XDG_RUNTIME_DIR/socle), named after a hash of the repository URL.
 * It holds the owner's pid and process start time (so a recycled pid is not
 * mistaken for the owner) and the post hooks still owed: it is also the
 * "unfinished run" marker. A lock whose process is gone is stale: it is
 * reported, its owed post hooks are run by the next run (or by
 * `socle backup --recover`, which the systemd unit runs as ExecStopPost), and
 * it is taken over.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { EXIT, SocleError } from "./errors.js";
import type { Hook } from "./discovery.js";

export interface PendingPost extends Hook {
  tenant: string;
  service: string;
}

export interface LockInfo {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot), when known. */
  procStart?: string;
  host: string;
  command: string;
  runId: string;
  repository: string;
  startedAt: string;
  /** Post hooks owed by this run (set before a pre hook runs, cleared after the post hook). */
  pendingPost: PendingPost[];
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOCLE_STATE_DIR) return env.SOCLE_STATE_DIR;
  if (process.getuid?.() === 0) return "/run/socle";
  return path.join(env.XDG_RUNTIME_DIR ?? "/tmp", "socle");
}

export function lockPath(repoKey: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), `repo-${repoKey}.lock`);
}

export function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22, counted after the ")" closing the command name.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Is the lock's owner still running (same pid, same process)? */
export function isAlive(info: Pick<LockInfo, "pid" | "procStart" | "host">): boolean {
  if (info.host !== hostname()) return true; // another machine: cannot tell, assume alive
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const now = procStart(info.pid);
  return info.procStart === undefined || now === undefined || now === info.procStart;
}

export function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

export interface AcquireResult {
  lock: RepositoryLock;
  /** The crashed run whose lock was taken over, if any. */
  stale?: LockInfo;
}

export class RepositoryLock {
  private released = false;
  constructor(
    readonly file: string,
    private info: LockInfo,
  ) {}

  get runId(): string {
    return this.info.runId;
  }

  get pending(): PendingPost[] {
    return this.info.pendingPost;
  }

  /** Records the post hooks owed before the pre hooks run (atomic rewrite). */
  setPending(pending: PendingPost[]): void {
    this.info = { ...this.info, pendingPost: pending };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    writeSync(fd, JSON.stringify(this.info));
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const current = readLock(this.file);
    if (current && current.runId === this.info.runId) unlinkSync(this.file);
  }
}

function describe(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host}, \`socle ${info.command}\` since ${info.startedAt}`;
}

/**
 * Takes the repository lock or throws (exit 3) when a live run holds it.
 * A stale lock is taken over and returned as `stale` for the caller to report
 * and recover (its pending post hooks).
 */
export function acquireLock(repoUrl: string, repoKey: string, command: string, runId: string): AcquireResult {
  const file = lockPath(repoKey);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    command,
    runId,
    repository: repoUrl,
    startedAt: new Date().toISOString(),
    pendingPost: [],
    ...(procStart(process.pid) ? { procStart: procStart(process.pid)! } : {}),
  };
  const create = (): boolean => {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  };
  if (create()) return { lock: new RepositoryLock(file, info) };
  const held = readLock(file);
  if (held && isAlive(held)) {
    throw new SocleError(
      `repository ${repoUrl} is locked by another socle run (${describe(held)}); lock file ${file}`,
      EXIT.locked,
    );
  }
  // Stale (or unreadable): take it over under a short-lived guard directory so
  // two runs finding the same stale lock cannot both take it.
  const guard = `${file}.takeover`;
  try {
    mkdirSync(guard);
  } catch {
    try {
      if (Date.now() - statSync(guard).mtimeMs > 60_000) rmdirSync(guard);
    } catch {
      /* raced */
    }
    throw new SocleError(
      `repository ${repoUrl}: another run is taking over a stale lock (${file}); try again`,
      EXIT.locked,
    );
  }
  try {
    const again = readLock(file);
    if (again && isAlive(again)) {
      throw new SocleError(
        `repository ${repoUrl} is locked by another socle run (${describe(again)}); lock file ${file}`,
        EXIT.locked,
      );
    }
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
    if (!create())
      throw new SocleError(`repository ${repoUrl}: lost the race for the lock ${file}`, EXIT.locked);
    return { lock: new RepositoryLock(file, info), ...(held ? { stale: held } : {}) };
  } finally {
    rmdirSync(guard);
  }
}
