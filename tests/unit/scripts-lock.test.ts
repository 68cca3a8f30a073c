import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, isAlive, lockPath, readLock } from "../../scripts/lib/lock.js";

describe("repository lock (real files, real pids)", () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.SOCLE_STATE_DIR;
    dir = mkdtempSync(path.join(tmpdir(), "socle-lock-"));
    process.env.SOCLE_STATE_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SOCLE_STATE_DIR;
    else process.env.SOCLE_STATE_DIR = saved;
  });

  it("creates the lock with pid, start time and run id, and releases it", () => {
    const { lock, stale } = acquireLock("/repo", "abc", "backup", "run-1");
    expect(stale).toBeUndefined();
    const file = lockPath("abc");
    expect(file).toBe(path.join(dir, "repo-abc.lock"));
    const info = readLock(file)!;
    expect(info).toMatchObject({
      pid: process.pid,
      host: hostname(),
      command: "backup",
      runId: "run-1",
      repository: "/repo",
      pendingPost: [],
    });
    expect(info.procStart).toMatch(/^\d+$/);
    lock.setPending([{ container: "c", command: "off", tenant: "t", service: "s" }]);
    expect(readLock(file)!.pendingPost).toEqual([
      { container: "c", command: "off", tenant: "t", service: "s" },
    ]);
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it("refuses a second holder while the first is alive (exit 3, exact message)", () => {
    const { lock } = acquireLock("/repo", "abc", "backup", "run-1");
    try {
      acquireLock("/repo", "abc", "restore", "run-2");
      expect.unreachable();
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(3);
      expect((e as Error).message).toMatch(
        new RegExp(
          `^repository /repo is locked by another socle run \\(pid ${process.pid} on ${hostname()}, \`socle backup\` since \\S+\\); lock file ${dir}/repo-abc\\.lock$`,
        ),
      );
    } finally {
      lock.release();
    }
  });

  it("takes over a stale lock (dead pid) and hands back what the crashed run owed", () => {
    const dead = spawnSync("true").pid!;
    const file = lockPath("abc");
    const owed = [
      {
        container: "demo-nextcloud",
        command: "occ maintenance:mode --off",
        tenant: "demo",
        service: "nextcloud",
      },
    ];
    writeFileSync(
      file,
      JSON.stringify({
        pid: dead,
        host: hostname(),
        command: "backup",
        runId: "old",
        repository: "/repo",
        startedAt: "2025-01-01T00:00:00Z",
        pendingPost: owed,
      }),
    );
    const { lock, stale } = acquireLock("/repo", "abc", "backup", "new");
    expect(stale?.runId).toBe("old");
    expect(stale?.pendingPost).toEqual(owed);
    expect(JSON.parse(readFileSync(file, "utf8")).runId).toBe("new");
    lock.release();
  });

  it("a recycled pid (same pid, other start time) is not the owner", () => {
    expect(isAlive({ pid: process.pid, host: hostname(), procStart: "1" })).toBe(false);
    expect(isAlive({ pid: process.pid, host: hostname() })).toBe(true);
    expect(isAlive({ pid: 1, host: "another-machine" })).toBe(true);
  });
});
