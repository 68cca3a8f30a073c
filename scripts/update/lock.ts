/**
 * The update lock: one `socle update apply` at a time on a machine. A file
 * created exclusively (O_EXCL) holding the owner's pid and start time; a lock
 * whose pid is no longer alive is stale and taken over. Path:
 * `SOCLE_UPDATE_LOCK`, else `update.lock` in the scripts' state directory
 * (`SOCLE_STATE_DIR`, default `/run/socle`). Separate from the backup
 * repository lock: an update takes this one, and its backups take theirs.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import path from "node:path";

export class LockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: string,
  ) {
    super(
      `another update is running (lock ${lockPath} held by ${owner}); wait for it, or remove the file if it is stale`,
    );
    this.name = "LockedError";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOCLE_UPDATE_LOCK || path.join(env.SOCLE_STATE_DIR || "/run/socle", "update.lock");
}

/** Takes the lock or throws `LockedError`; `release()` removes it (idempotent). */
export async function acquireUpdateLock(file = lockPath()): Promise<{ release(): Promise<void> }> {
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner: { pid?: number; since?: string } = {};
      try {
        owner = JSON.parse(readFileSync(file, "utf8")) as typeof owner;
      } catch {
        // being written, or garbage: treat as held
      }
      if (typeof owner.pid === "number" && !alive(owner.pid)) {
        rmSync(file, { force: true }); // stale: its owner is gone
        continue;
      }
      throw new LockedError(file, `pid ${owner.pid ?? "?"} since ${owner.since ?? "?"}`);
    }
  }
  throw new LockedError(file, "a process that keeps re-taking it");
}
