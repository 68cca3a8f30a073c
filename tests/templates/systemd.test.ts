/**
 * The backup/drill units through the REAL `systemd-analyze verify` (systemd
 * 252) and `systemd-analyze calendar`, plus exact content and validation
 * errors. ExecStart must exist for verify: the units point at a stub
 * executable in a temp dir.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderBackupUnits, validateBackupUnitsArgs, type BackupUnitsArgs } from "../../templates/systemd.js";

const hasSystemd = spawnSync("systemd-analyze", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasSystemd && process.env.CI === "true")
  throw new Error("systemd-analyze is missing (CI=true: failing, not skipping)");
if (!hasSystemd) console.warn("systemd-analyze missing: skipping the real verify (outside CI)");

function setup(extra: Partial<BackupUnitsArgs> = {}) {
  const root = mkdtempSync(path.join(tmpdir(), "socle-units-"));
  const bin = path.join(root, "bin", "socle");
  mkdirSync(path.dirname(bin));
  writeFileSync(bin, "#!/bin/sh\nexit 0\n");
  chmodSync(bin, 0o755);
  const envFile = path.join(root, "backup.env");
  writeFileSync(envFile, "RESTIC_PASSWORD_FILE=/etc/socle/restic-password\n", { mode: 0o600 });
  const args: BackupUnitsArgs = {
    schedule: "*-*-* 02:30:00",
    repository: "/var/backups/socle",
    environmentFile: envFile,
    keep: { daily: 7, weekly: 4, monthly: 12 },
    socleBin: bin,
    ...extra,
  };
  const files = renderBackupUnits(args);
  const dir = path.join(root, "units");
  mkdirSync(dir);
  const paths = files.map((f) => {
    const p = path.join(dir, path.basename(f.path));
    writeFileSync(p, f.content);
    return p;
  });
  return { files, paths, bin, envFile };
}

describe("renderBackupUnits", () => {
  it("renders the backup and drill services and timers, sorted, at the documented paths", () => {
    const { files } = setup();
    expect(files.map((f) => f.path)).toEqual([
      "/etc/systemd/system/socle-backup.service",
      "/etc/systemd/system/socle-backup.timer",
      "/etc/systemd/system/socle-drill.service",
      "/etc/systemd/system/socle-drill.timer",
    ]);
  });

  it("schedules from socle:backup.schedule (Persistent, randomized) and the drill weekly", () => {
    const { files } = setup();
    const timer = files.find((f) => f.path.endsWith("socle-backup.timer"))!.content;
    expect(timer).toContain("OnCalendar=*-*-* 02:30:00\nPersistent=true\nRandomizedDelaySec=900\n");
    expect(timer).toContain("[Install]\nWantedBy=timers.target\n");
    expect(files.find((f) => f.path.endsWith("socle-drill.timer"))!.content).toContain(
      "OnCalendar=Sun *-*-* 04:00:00\n",
    );
  });

  it("runs socle with retention, recovers a killed run in ExecStopPost, keeps secrets out of the unit", () => {
    const { files, bin, envFile } = setup();
    const svc = files.find((f) => f.path.endsWith("socle-backup.service"))!.content;
    expect(svc).toContain(`ExecStart=${bin} backup --keep-daily 7 --keep-weekly 4 --keep-monthly 12\n`);
    expect(svc).toContain(`ExecStopPost=${bin} backup --recover\n`);
    expect(svc).toContain(`EnvironmentFile=${envFile}\n`);
    expect(svc).toContain('Environment="RESTIC_REPOSITORY=/var/backups/socle"\n');
    expect(svc).toContain("Requires=docker.service\nAfter=docker.service network-online.target\n");
    expect(svc).toContain("KillMode=mixed\n");
    expect(svc).not.toMatch(/PASSWORD=/);
    expect(files.find((f) => f.path.endsWith("socle-drill.service"))!.content).toContain(
      `ExecStart=${bin} drill --check 5%%\n`,
    );
  });

  it("with checkSchedule: a separate check unit, and the drill no longer checks", () => {
    const { files, bin } = setup({ checkSchedule: "Sat *-*-* 05:00:00", checkSubsetPercent: 10 });
    expect(files.map((f) => path.basename(f.path))).toEqual([
      "socle-backup.service",
      "socle-backup.timer",
      "socle-check.service",
      "socle-check.timer",
      "socle-drill.service",
      "socle-drill.timer",
    ]);
    expect(files.find((f) => f.path.endsWith("socle-check.service"))!.content).toContain(
      `ExecStart=${bin} backup --check-only --check 10%%\n`,
    );
    expect(files.find((f) => f.path.endsWith("socle-drill.service"))!.content).toContain(
      `ExecStart=${bin} drill\n`,
    );
  });

  it("escapes the repository for Environment= (quotes, backslashes, %)", () => {
    const { files } = setup({ repository: 's3:https://s3.example/b"k\\t%x' });
    expect(files[0]!.content).toContain(
      'Environment="RESTIC_REPOSITORY=s3:https://s3.example/b\\"k\\\\t%%x"\n',
    );
  });

  it("is deterministic", () => {
    expect(setup().files.map((f) => f.content.replace(/\/tmp\/socle-units-\w+/g, "T"))).toEqual(
      setup().files.map((f) => f.content.replace(/\/tmp\/socle-units-\w+/g, "T")),
    );
  });

  it.each([
    [{ schedule: " " }, "schedule: must not be empty"],
    [{ repository: "a\nb" }, "repository: must be a single line"],
    [{ environmentFile: "backup.env" }, 'environmentFile: "backup.env" must be an absolute path'],
    [{ socleBin: "socle" }, 'socleBin: "socle" must be an absolute path without spaces or specials'],
    [{ keep: { daily: -1 } }, "keep.daily: must be a non-negative integer, got -1"],
    [{ checkSubsetPercent: 0 }, "checkSubsetPercent: must be in (0, 100], got 0"],
  ])("rejects %j with an exact message", (bad, message) => {
    const base: BackupUnitsArgs = {
      schedule: "daily",
      repository: "/r",
      environmentFile: "/etc/socle/backup.env",
    };
    expect(() => validateBackupUnitsArgs({ ...base, ...bad })).toThrow(new Error(message));
  });
});

describe.skipIf(!hasSystemd)("the units through systemd-analyze (real)", () => {
  it("verify passes for every unit (both variants)", () => {
    for (const extra of [{}, { checkSchedule: "Sat *-*-* 05:00:00" }]) {
      const { paths } = setup(extra);
      const r = spawnSync("systemd-analyze", ["verify", ...paths], { encoding: "utf8" });
      expect(r.stderr.split("\n").filter((l) => l.includes("socle-"))).toEqual([]);
      expect(r.status).toBe(0);
    }
  });

  it("verify catches a broken unit (the check is real)", () => {
    const { paths } = setup({ socleBin: "/nonexistent/socle" });
    const r = spawnSync("systemd-analyze", ["verify", paths[0]!], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("/nonexistent/socle");
  });

  it("the schedules are valid OnCalendar expressions", () => {
    for (const cal of ["*-*-* 02:30:00", "Sun *-*-* 04:00:00"]) {
      expect(spawnSync("systemd-analyze", ["calendar", cal], { stdio: "ignore" }).status).toBe(0);
    }
    expect(spawnSync("systemd-analyze", ["calendar", "every night"], { stdio: "ignore" }).status).not.toBe(0);
  });
});
