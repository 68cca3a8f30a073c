/**
 * Fault tests on a real engine, each its own case: a second concurrent run
 * (refused), SIGKILL in the middle of a backup (maintenance ends — through
 * `socle backup --recover`, systemd's ExecStopPost, or the next run —, the
 * repository passes `restic check`, the next run succeeds), SIGTERM (post
 * hooks run, exit 130), a wrong password (exit 4), the database down (post
 * hook still runs, the run fails loudly), the repository out of space (a
 * 64 MiB tmpfs).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as backup } from "../../scripts/backup.js";
import { createOutput } from "../../scripts/lib/output.js";
import {
  IMAGES,
  SOCLE_BIN,
  appLabels,
  cleanup,
  createVolume,
  ensureImages,
  fillVolume,
  hookLog,
  psql,
  runContainer,
  sh,
  socleEnv,
  tempDir,
  toolsReady,
  waitFor,
  waitPg,
  withEnv,
} from "./fixtures/backup-env.js";

const SUITE = "backup-faults";
const ready = toolsReady(SUITE);
const out = createOutput({ quiet: true });
const PASSWORD = "faults-password";
const APP = "ft-app";
const PG = "ft-pg";

function spawnSocle(
  args: string[],
  env: Record<string, string>,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [SOCLE_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

function helpers(): string[] {
  return sh("docker", ["ps", "-a", "--filter", "label=socle.helper.run", "--format", "{{.Names}}"])
    .split("\n")
    .filter(Boolean);
}

async function waitForVolumeHelper(): Promise<void> {
  await waitFor("the volumes helper to start", () => helpers().some((n) => n.endsWith("-volumes")), 60_000);
}

function maintenance(): string[] {
  return hookLog(APP)
    .filter((l) => l.startsWith("maintenance"))
    .map((l) => l.split(" ")[1]!);
}

function resticCheck(repo: string): { status: number | null; out: string } {
  const r = spawnSync("restic", ["-r", repo, "check"], {
    env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function lockFiles(stateDir: string): string[] {
  return existsSync(stateDir) ? readdirSync(stateDir).filter((f) => f.endsWith(".lock")) : [];
}

describe.skipIf(!ready)("backup faults, for real", () => {
  const base = tempDir("socle-faults-");
  const state = path.join(base, "state");
  const repo = path.join(base, "repo");
  const env = socleEnv(state, PASSWORD);
  const args = ["backup", "--repo", repo, "--tenant", "ft", "--json"];

  beforeAll(async () => {
    ensureImages();
    cleanup(SUITE);
    createVolume("ft-data", SUITE);
    createVolume("ft-state", SUITE);
    fillVolume("ft-data", 200, "faults");
    runContainer({
      name: PG,
      image: IMAGES.pg,
      suite: SUITE,
      labels: { tenant: "ft", service: "app", role: "db", dump: { engine: "postgres", database: "app" } },
      env: { POSTGRES_USER: "admin", POSTGRES_PASSWORD: "pw", POSTGRES_DB: "app" },
    });
    runContainer({
      name: APP,
      image: IMAGES.app,
      suite: SUITE,
      labels: appLabels("ft", "app", ["ft-data"]),
      volumes: { "ft-data": "/data", "ft-state": "/var/lib/app" },
    });
    await waitPg(PG);
    psql(PG, "app", "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g");
    const first = await withEnv(env, () => backup({ repo, tenant: "ft", out }));
    expect(first.errors).toEqual([]);
  });

  afterAll(() => {
    if (ready) cleanup(SUITE);
  });

  it("refuses a second concurrent run with exit 3, and the first completes", async () => {
    const first = spawnSocle(args, env);
    await waitFor("the first run's lock", () => lockFiles(state).length === 1, 30_000);
    const second = await withEnv(env, () => backup({ repo, tenant: "ft", out }));
    expect(second.exitCode).toBe(3);
    expect(second.errors[0]).toMatch(
      new RegExp(
        `^repository ${repo} is locked by another socle run \\(pid ${first.child.pid} on .+, \`socle backup\` since .+\\); lock file ${state}/repo-[0-9a-f]{16}\\.lock$`,
      ),
    );
    const r = await first.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!).ok).toBe(true);
  });

  it("SIGKILL mid-backup: `socle backup --recover` ends maintenance, restic check passes, the next run succeeds", async () => {
    const run = spawnSocle(args, env);
    await waitForVolumeHelper();
    run.child.kill("SIGKILL");
    expect((await run.done).signal).toBe("SIGKILL");
    expect(maintenance().at(-1)).toBe("on"); // stuck in maintenance: nobody ran the post hook
    const lock = JSON.parse(readFileSync(path.join(state, lockFiles(state)[0]!), "utf8"));
    expect(lock.pendingPost).toEqual([
      { container: APP, command: "app-hook off", tenant: "ft", service: "app" },
    ]);

    const rec = spawnSocle(["backup", "--repo", repo, "--recover", "--json"], env);
    const r = await rec.done;
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(summary.recovery.postHooksRun).toEqual([`${APP}: app-hook off`]);
    expect(maintenance().at(-1)).toBe("off");
    expect(r.stderr).toMatch(/stale lock: socle backup \(pid \d+, started .+\) did not finish; recovering/);
    expect(helpers()).toEqual([]);
    expect(lockFiles(state)).toEqual([]);
    const check = resticCheck(repo);
    expect(check.out).toContain("no errors were found");
    expect(check.status).toBe(0);

    const next = await withEnv(env, () => backup({ repo, tenant: "ft", out }));
    expect(next.errors).toEqual([]);
    expect(next.exitCode).toBe(0);
  });

  it("SIGKILL mid-backup: the next run runs the owed post hook first, then succeeds", async () => {
    const run = spawnSocle(args, env);
    await waitForVolumeHelper();
    run.child.kill("SIGKILL");
    await run.done;
    expect(maintenance().at(-1)).toBe("on");
    const n = maintenance().length;
    const next = await withEnv(env, () => backup({ repo, tenant: "ft", out }));
    expect(next.exitCode).toBe(0);
    expect(next.recovery?.postHooksRun).toEqual([`${APP}: app-hook off`]);
    expect(maintenance().slice(n)).toEqual(["off", "on", "off"]);
    expect(resticCheck(repo).status).toBe(0);
  });

  it("SIGTERM mid-backup: post hooks run, exit 130, lock released, no helper left", async () => {
    const run = spawnSocle(args, env);
    await waitForVolumeHelper();
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("SIGTERM received: stopping; post hooks still run");
    expect(maintenance().at(-1)).toBe("off");
    expect(lockFiles(state)).toEqual([]);
    await waitFor("helpers to be gone", () => helpers().length === 0, 30_000);
  });

  it("a wrong password fails with exit 4 and a clear message, before any hook", async () => {
    const n = maintenance().length;
    const r = await withEnv({ ...env, RESTIC_PASSWORD: "not-the-password" }, () =>
      backup({ repo, tenant: "ft", out }),
    );
    expect(r.exitCode).toBe(4);
    expect(r.errors).toEqual([
      `opening the repository: wrong password for repository ${repo} (restic: no key matches it)`,
    ]);
    expect(maintenance().length).toBe(n);
  });

  it("database down: the post hook still runs, the run fails loudly (exit 1), no manifest", async () => {
    sh("docker", ["stop", PG]);
    try {
      const n = maintenance().length;
      const r = await withEnv(env, () => backup({ repo, tenant: "ft", out }));
      expect(r.exitCode).toBe(1);
      expect(r.ok).toBe(false);
      expect(r.errors[0]).toMatch(/^ft\/app: reading app in ft-pg: .*is not running/);
      expect(r.groups[0]!.postHooks).toEqual([{ container: APP, ok: true }]);
      expect(r.groups[0]!.manifest).toBeUndefined();
      expect(maintenance().slice(n)).toEqual(["on", "off"]);
    } finally {
      sh("docker", ["start", PG]);
      await waitPg(PG);
    }
  });

  it("repository out of space (64 MiB tmpfs): fails with exit 1 and says so; post hook ran", async () => {
    const mnt = path.join(base, "small");
    mkdirSync(mnt);
    sh("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt]);
    try {
      const small = path.join(mnt, "repo");
      const n = maintenance().length;
      const r = await withEnv(env, () => backup({ repo: small, tenant: "ft", out }));
      expect(r.exitCode).toBe(1);
      expect(r.errors.join("\n")).toMatch(
        new RegExp(`the repository ${small} is out of space: .*no space left on device`),
      );
      expect(maintenance().slice(n)).toEqual(["on", "off"]);
      expect(lockFiles(state)).toEqual([]);
    } finally {
      sh("umount", [mnt]);
    }
  });
});
