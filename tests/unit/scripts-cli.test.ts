import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs as backupArgs } from "../../scripts/backup.js";
import { parseArgs as restoreArgs, checkTarget } from "../../scripts/restore.js";
import { parseArgs as drillArgs } from "../../scripts/drill.js";
import { parseArgs as exportArgs, readme } from "../../scripts/export-site.js";
import { COMMANDS, usage } from "../../scripts/cli.js";
import { SANDBOX_LINE, tarEntry } from "../../scripts/lib/tar.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/socle.js");

describe("command lines", () => {
  // (parseArgs of each command, exact usage errors)
  it("backup", () => {
    expect(
      backupArgs([
        "--repo",
        "/r",
        "--tenant",
        "demo",
        "--keep-daily",
        "7",
        "--keep-monthly",
        "12",
        "--check",
        "--json",
      ]),
    ).toEqual({
      repo: "/r",
      tenant: "demo",
      dryRun: false,
      json: true,
      init: true,
      keep: { daily: 7, monthly: 12 },
      check: "5%",
      checkOnly: false,
      recover: false,
    });
    expect(backupArgs(["--check", "10%", "--no-init"])).toMatchObject({ check: "10%", init: false });
    expect(backupArgs(["--check-only"])).toMatchObject({ check: "5%", checkOnly: true });
    expect(() => backupArgs(["--keep-daily", "x"])).toThrow(
      '--keep-daily: "x" is not a non-negative integer',
    );
    expect(() => backupArgs(["--check", "200"])).toThrow(
      '--check: "200" is not a percentage between 0 and 100',
    );
    expect(() => backupArgs(["--tenant", "a b"])).toThrow('--tenant: "a b" is not a valid name');
    expect(() => backupArgs(["--password", "x"])).toThrow("Unknown option '--password'");
  });

  it("restore, drill, export-site", () => {
    expect(
      restoreArgs([
        "--tenant",
        "demo",
        "--service",
        "nextcloud",
        "--snapshot",
        "1a2b3c4d",
        "--health-timeout",
        "60",
      ]),
    ).toEqual({
      tenant: "demo",
      service: "nextcloud",
      snapshot: "1a2b3c4d",
      healthTimeout: 60,
      dryRun: false,
      json: false,
    });
    expect(() => restoreArgs([])).toThrow("--tenant is required");
    expect(drillArgs(["--check", "--json"])).toEqual({ check: "5%", dryRun: false, json: true });
    expect(exportArgs(["--tenant", "demo", "--site", "club", "--out", "x.tgz"])).toEqual({
      tenant: "demo",
      site: "club",
      out: "x.tgz",
      dryRun: false,
      json: false,
    });
    expect(() => exportArgs(["--tenant", "demo", "--site", "club"])).toThrow("--out is required");
  });

  it("restore refuses a volume path that contains the repository (exact message)", () => {
    expect(() =>
      checkTarget("v", "/var/lib/docker/volumes/v/_data", "/var/lib/docker/volumes/v/_data/backups"),
    ).toThrow(
      "refusing to restore volume v: its path /var/lib/docker/volumes/v/_data contains the repository /var/lib/docker/volumes/v/_data/backups; emptying it would delete the backups",
    );
    expect(() => checkTarget("v", "/d/_data/", "/d/_data")).toThrow(/refusing/);
    expect(() => checkTarget("v", "/d/_data", "/d/_data2/repo")).not.toThrow();
    expect(() => checkTarget("v", "/d/_data", undefined)).not.toThrow();
  });

  it("the table lists the four commands and the exit codes", () => {
    // Other commands (update, report) join the same table.
    expect(Object.keys(COMMANDS)).toEqual(
      expect.arrayContaining(["backup", "restore", "drill", "export-site"]),
    );
    expect(usage()).toContain("  3  another socle run holds the repository lock");
  });
});

describe("bin/socle.js (real process)", () => {
  it.each(["backup", "restore", "drill", "export-site"])("`socle %s --help` describes the command", (cmd) => {
    const r = spawnSync(process.execPath, [BIN, cmd, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: socle ${cmd} `));
    expect(r.stdout).toContain("Exit codes:");
  });

  it("usage errors exit 2; a missing repository is a usage error with --json on stdout", () => {
    expect(spawnSync(process.execPath, [BIN, "nope"], { encoding: "utf8" }).status).toBe(2);
    expect(spawnSync(process.execPath, [BIN, "backup", "--bogus"], { encoding: "utf8" }).status).toBe(2);
    const env = { ...process.env, RESTIC_REPOSITORY: "", RESTIC_PASSWORD: "" };
    const r = spawnSync(process.execPath, [BIN, "backup", "--json"], { encoding: "utf8", env });
    expect(r.status).toBe(2);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      command: "backup",
      ok: false,
      exitCode: 2,
      errors: ["no repository: pass --repo <restic URL> or set RESTIC_REPOSITORY"],
    });
  });

  it("refuses a plain tcp:// engine (DOCKER_HOST without DOCKER_TLS_VERIFY), takes it with TLS", () => {
    const base = { ...process.env, RESTIC_REPOSITORY: "", RESTIC_PASSWORD: "", DOCKER_TLS_VERIFY: "" };
    const plain = spawnSync(process.execPath, [BIN, "backup", "--json"], {
      encoding: "utf8",
      env: { ...base, DOCKER_HOST: "tcp://10.0.0.5:2375" },
    });
    expect(plain.status).toBe(2);
    expect(plain.stderr).toBe(
      "socle backup: DOCKER_HOST=tcp://10.0.0.5:2375 is a Docker engine without TLS, root on its host for anyone who reaches it: " +
        "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), or use DOCKER_HOST=ssh://user@host\n",
    );
    const tls = spawnSync(process.execPath, [BIN, "backup", "--json"], {
      encoding: "utf8",
      env: { ...base, DOCKER_HOST: "tcp://10.0.0.5:2376", DOCKER_TLS_VERIFY: "1" },
    });
    expect(JSON.parse(tls.stdout.trim())).toMatchObject({
      errors: ["no repository: pass --repo <restic URL> or set RESTIC_REPOSITORY"],
    });
  });

  it("never prints a repository URL's password, with or without --json", () => {
    const env = { ...process.env, RESTIC_REPOSITORY: "", RESTIC_PASSWORD: "", RESTIC_PASSWORD_FILE: "" };
    const repo = "rest:https://backup:hunter2@rest.mairie.example:8000/socle";
    const json = spawnSync(process.execPath, [BIN, "backup", "--repo", repo, "--json"], {
      encoding: "utf8",
      env,
    });
    expect(json.status).toBe(2);
    expect(`${json.stdout}${json.stderr}`).not.toContain("hunter2");
    expect(JSON.parse(json.stdout.trim())).toMatchObject({
      repository: "rest:https://backup:***@rest.mairie.example:8000/socle",
    });
    const plain = spawnSync(process.execPath, [BIN, "drill", "--repo", repo], { encoding: "utf8", env });
    expect(plain.status).toBe(2);
    expect(`${plain.stdout}${plain.stderr}`).not.toContain("hunter2");
  });
});

describe("export-site archive pieces", () => {
  it("tar entries are read by the real tar", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "socle-tar-"));
    const file = path.join(dir, "a.tar");
    writeFileSync(file, Buffer.concat([tarEntry("README.txt", Buffer.from("hé\n")), Buffer.alloc(1024)]));
    expect(spawnSync("tar", ["-tvf", file], { encoding: "utf8" }).stdout).toMatch(
      /-rw-r--r-- root\/root\s+4 .* README\.txt/,
    );
    expect(spawnSync("tar", ["-xOf", file, "README.txt"], { encoding: "utf8" }).stdout).toBe("hé\n");
  });

  it("drops MariaDB's sandbox line; the README says how to import", () => {
    expect("/*M!999999\\- enable the sandbox mode */ \n-- x".replace(SANDBOX_LINE, "")).toBe("-- x");
    const text = readme({
      tenant: "demo",
      site: "club",
      database: "wp_demo_club",
      prefix: "wp_",
      date: "2025-01-01",
    });
    expect(text).toContain("mysql -u <user> -p <database> < database.sql");
    expect(text).toContain("$table_prefix = 'wp_';");
  });
});
