import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LockedError, acquireUpdateLock, lockPath } from "../../scripts/update/lock.js";

describe("update lock", () => {
  it("is exclusive while held, released on release()", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "socle-lock-")), "sub", "update.lock");
    const held = await acquireUpdateLock(file);
    expect(JSON.parse(readFileSync(file, "utf8")).pid).toBe(process.pid);
    const second = acquireUpdateLock(file);
    await expect(second).rejects.toBeInstanceOf(LockedError);
    await expect(acquireUpdateLock(file)).rejects.toThrow(
      new RegExp(`^another update is running \\(lock ${file} held by pid ${process.pid} since `),
    );
    await held.release();
    expect(existsSync(file)).toBe(false);
    await (await acquireUpdateLock(file)).release();
  });

  it("takes over a stale lock whose process is gone", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "socle-lock-")), "update.lock");
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 12345, since: "2026-01-01T00:00:00Z" }));
    const held = await acquireUpdateLock(file);
    expect(JSON.parse(readFileSync(file, "utf8")).pid).toBe(process.pid);
    await held.release();
  });

  it("lives in SOCLE_UPDATE_LOCK, else the scripts' state directory", () => {
    expect(lockPath({ SOCLE_UPDATE_LOCK: "/x/u.lock" })).toBe("/x/u.lock");
    expect(lockPath({ SOCLE_STATE_DIR: "/var/lib/socle" })).toBe("/var/lib/socle/update.lock");
    expect(lockPath({})).toBe("/run/socle/update.lock");
  });
});
