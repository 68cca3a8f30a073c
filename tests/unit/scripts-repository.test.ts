import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  classifyResticError,
  localPathOf,
  repositoryKey,
  resolveRepository,
  resticError,
} from "../../scripts/lib/repository.js";
import { helperArgv, helperClientEnv, type HelperContext } from "../../scripts/lib/helper.js";
import { repositoryResult } from "../../scripts/lib/output.js";

describe("resolveRepository", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "socle-pw-"));
  const pwFile = path.join(dir, "pw");
  writeFileSync(pwFile, "s3cret\n");

  it("takes --repo / RESTIC_REPOSITORY and the password from a file, then the env", () => {
    expect(resolveRepository({ repo: "/var/backups/socle", passwordFile: pwFile }, {})).toEqual({
      url: "/var/backups/socle",
      shown: "/var/backups/socle",
      localPath: "/var/backups/socle",
      key: repositoryKey("/var/backups/socle"),
      password: "s3cret",
    });
    const r = resolveRepository(
      {},
      { RESTIC_REPOSITORY: "s3:https://s3.example/bucket", RESTIC_PASSWORD: "envpw" },
    );
    expect(r.localPath).toBeUndefined();
    expect(r.password).toBe("envpw");
    expect(
      resolveRepository({}, { RESTIC_REPOSITORY: "r", RESTIC_PASSWORD_FILE: pwFile, RESTIC_PASSWORD: "x" })
        .password,
    ).toBe("s3cret");
  });

  it("shows a repository URL's password as *** (restic still gets the URL as given)", () => {
    const url = "rest:https://backup:hunter2@rest.mairie.example:8000/socle";
    const r = resolveRepository({ repo: url }, { RESTIC_PASSWORD: "pw" });
    expect(r.url).toBe(url);
    expect(r.shown).toBe("rest:https://backup:***@rest.mairie.example:8000/socle");
    expect(repositoryResult("backup", { repo: url }).repository).toBe(r.shown);
    const e = resticError(
      "opening the repository",
      url,
      `Fatal: unable to open ${url}: wrong password or no key found`,
    );
    expect(e.message).toBe(
      "opening the repository: wrong password for repository rest:https://backup:***@rest.mairie.example:8000/socle (restic: no key matches it)",
    );
    const other = resticError("restic check", url, `Fatal: connection to ${url} refused`);
    expect(other.message).not.toContain("hunter2");
    expect(other.message).toContain("rest:https://backup:***@rest.mairie.example:8000/socle");
  });

  it.each([
    [{}, {}, "no repository: pass --repo <restic URL> or set RESTIC_REPOSITORY", 2],
    [
      { repo: "/r" },
      {},
      "no repository password: set RESTIC_PASSWORD_FILE (or --password-file) or RESTIC_PASSWORD; never on the command line",
      2,
    ],
  ])("usage errors are exact (%j %j)", (opts, env, message, code) => {
    expect(() => resolveRepository(opts, env)).toThrow(message);
    try {
      resolveRepository(opts, env);
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(code);
    }
  });

  it("an unreadable password file is a repository error (exit 4)", () => {
    try {
      resolveRepository({ repo: "/r", passwordFile: "/nonexistent/pw" }, {});
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(
        /^cannot read the repository password file \/nonexistent\/pw: ENOENT/,
      );
      expect((e as { exitCode: number }).exitCode).toBe(4);
    }
  });

  it("knows local paths from remote backends", () => {
    expect(localPathOf("local:/srv/b")).toBe("/srv/b");
    expect(localPathOf("sftp:backup@host:/srv/b")).toBeUndefined();
    expect(localPathOf("rest:https://h/")).toBeUndefined();
    expect(repositoryKey("/srv/b")).toBe(repositoryKey("local:/srv/b"));
    expect(repositoryKey("/srv/b")).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("restic errors", () => {
  it.each([
    ["Fatal: wrong password or no key found", "password"],
    [
      "Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?",
      "missing",
    ],
    ["Fatal: unable to save snapshot: write /r/data/x: no space left on device", "nospace"],
    ["unable to create lock in backend: repository is already locked exclusively by PID 7", "locked"],
    ["something else", "other"],
  ])("classifies %j as %s", (stderr, kind) => {
    expect(classifyResticError(stderr)).toBe(kind);
  });

  it("turns them into exact messages and exit codes", () => {
    const pw = resticError("opening the repository", "/r", "Fatal: wrong password or no key found\n");
    expect([pw.message, pw.exitCode]).toEqual([
      "opening the repository: wrong password for repository /r (restic: no key matches it)",
      4,
    ]);
    const full = resticError(
      "restic backup of volumes v",
      "/r",
      '{"message_type":"status"}\nFatal: write /r/x: no space left on device\n',
    );
    expect([full.message, full.exitCode]).toEqual([
      "restic backup of volumes v: the repository /r is out of space: Fatal: write /r/x: no space left on device",
      1,
    ]);
    expect(resticError("x", "/r", "Is there a repository at the following location?").exitCode).toBe(4);
    expect(resticError("x", "/r", "repository is already locked").exitCode).toBe(3);
  });
});

describe("helper containers", () => {
  const ctx: HelperContext = {
    repo: {
      url: "/var/backups/socle",
      shown: "/var/backups/socle",
      localPath: "/var/backups/socle",
      key: "k1",
      password: "TOPSECRET",
    },
    runId: "run1",
    image: "restic/restic:0.18.1",
    memory: "2g",
  };

  it("never puts the password on the command line; passes it by name", () => {
    const argv = helperArgv(
      ctx,
      { script: 'exec restic "$@"', args: ["snapshots"] },
      "socle-helper-run1-1-snapshots",
      {},
    );
    expect(argv.join(" ")).not.toContain("TOPSECRET");
    expect(helperClientEnv(ctx, { script: "" })).toEqual({
      RESTIC_PASSWORD: "TOPSECRET",
      RESTIC_REPOSITORY: "/var/backups/socle",
    });
    expect(argv).toEqual([
      "docker",
      "run",
      "--rm",
      "--init",
      "--name",
      "socle-helper-run1-1-snapshots",
      "--hostname",
      "socle-run1",
      "--label",
      "socle.helper.repository=k1",
      "--label",
      "socle.helper.run=run1",
      "--memory",
      "2g",
      "-e",
      "RESTIC_PASSWORD",
      "-e",
      "RESTIC_REPOSITORY",
      "-e",
      "RESTIC_CACHE_DIR=/cache",
      "-v",
      "socle-restic-cache:/cache",
      "-v",
      "/var/backups/socle:/var/backups/socle",
      "--network",
      "none",
      "--entrypoint",
      "sh",
      "restic/restic:0.18.1",
      "-c",
      'exec restic "$@"',
      "sh",
      "snapshots",
    ]);
  });

  it("a probe helper gets no repository, password or cache", () => {
    const spec = {
      script: 'exec wget -q -O /dev/null "$1"',
      args: ["http://127.0.0.1:80/status.php"],
      network: "container:demo-nextcloud",
      noRepository: true,
    };
    expect(helperClientEnv(ctx, spec)).toEqual({});
    expect(helperArgv(ctx, spec, "p", {})).toEqual([
      "docker",
      "run",
      "--rm",
      "--init",
      "--name",
      "p",
      // no --hostname: docker refuses it with a container: network
      "--label",
      "socle.helper.repository=k1",
      "--label",
      "socle.helper.run=run1",
      "--memory",
      "2g",
      "--network",
      "container:demo-nextcloud",
      "--entrypoint",
      "sh",
      "restic/restic:0.18.1",
      "-c",
      spec.script,
      "sh",
      "http://127.0.0.1:80/status.php",
    ]);
  });

  it("mounts volumes read-only for backups; remote repositories get the backend env by name and a network", () => {
    const remote: HelperContext = {
      ...ctx,
      repo: { url: "s3:https://s3.example/b", shown: "s3:https://s3.example/b", key: "k2", password: "p" },
    };
    const argv = helperArgv(
      remote,
      {
        script: "x",
        mounts: [{ volume: "demo-data", target: "/volumes/demo-data", readOnly: true }],
        stdin: true,
      },
      "n",
      { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s", HOME: "/root", UNRELATED: "u" },
    );
    expect(argv).toContain("-i");
    expect(argv.join(" ")).toContain("-e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY");
    expect(argv.join(" ")).not.toContain("AKIA");
    expect(argv).not.toContain("UNRELATED");
    expect(argv).not.toContain("none");
    expect(argv.join(" ")).toContain(
      "--mount type=volume,source=demo-data,target=/volumes/demo-data,readonly",
    );
  });
});
