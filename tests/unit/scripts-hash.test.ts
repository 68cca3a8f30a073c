/**
 * The checksum command of the helper scripts (SHA_COMMAND): OpenSSL's sha256
 * when the image has it, coreutils/busybox sha256sum otherwise, with the same
 * columns (hash 1–64, path from 67) so the scripts' awk/cut parse both; run
 * here with the real tools. And allInOrder (every promise awaited, the first
 * failure in argument order reported).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SHA_COMMAND, SUMS_SCRIPT, VOLUME_BACKUP_SCRIPT } from "../../scripts/lib/scripts.js";
import { allInOrder } from "../../scripts/lib/exec.js";

const missing = ["openssl", "sha256sum", "sh", "xargs"].filter(
  (t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0,
);
if (missing.length > 0 && process.env.CI === "true")
  throw new Error(`missing ${missing.join(", ")} (CI=true: failing, not skipping)`);
if (missing.length > 0) console.warn(`missing ${missing.join(", ")}: skipping the hash tests (outside CI)`);

/** Runs `$sha` over the files of dir, with PATH limited to bin (to hide openssl). */
function hashWith(dir: string, bin: string): { sha: string; out: string } {
  const r = spawnSync(
    "/bin/sh",
    [
      "-c",
      `${SHA_COMMAND}\necho "$sha"\ncd "$1" && find . -type f | sort | tr '\\n' '\\0' | xargs -0 $sha`,
      "sh",
      dir,
    ],
    { env: { PATH: bin }, encoding: "utf8" },
  );
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const [sha, ...lines] = r.stdout.trimEnd().split("\n");
  return { sha: sha!, out: lines.join("\n") };
}

function parse(out: string): [string, string][] {
  return out.split("\n").map((l) => [l.slice(0, 64), l.slice(66)]);
}

describe.skipIf(missing.length > 0)("SHA_COMMAND", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "socle-hash-"));
  mkdirSync(path.join(dir, "d e"));
  writeFileSync(path.join(dir, "a.txt"), "a");
  writeFileSync(path.join(dir, "d e", "b c.bin"), Buffer.alloc(70000, 7));
  writeFileSync(path.join(dir, "empty"), "");
  const expected: [string, string][] = [
    ["ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb", "./a.txt"],
    [createHash("sha256").update(Buffer.alloc(70000, 7)).digest("hex"), "./d e/b c.bin"],
    ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "./empty"],
  ];
  // PATHs with and without openssl (the official restic image has none).
  const binWith = (ts: string[]) => {
    const bin = mkdtempSync(path.join(tmpdir(), "socle-bin-"));
    for (const t of ts) {
      const p = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
      symlinkSync(p, path.join(bin, t));
    }
    return bin;
  };
  const tools = ["sha256sum", "find", "sort", "tr", "xargs", "sh"];
  const noSsl = binWith(tools);
  const withSsl = binWith(["openssl", ...tools]);

  it("uses openssl dgst -sha256 -r when present; the hash and path columns parse as expected", () => {
    const r = hashWith(dir, withSsl);
    expect(r.sha).toBe("openssl dgst -sha256 -r");
    expect(parse(r.out)).toEqual(expected);
  });

  it("falls back to sha256sum without openssl, with the same columns", () => {
    const r = hashWith(dir, noSsl);
    expect(r.sha).toBe("sha256sum");
    expect(parse(r.out)).toEqual(expected);
  });

  it("both scripts that hash use it", () => {
    for (const s of [SUMS_SCRIPT, VOLUME_BACKUP_SCRIPT]) {
      expect(s).toContain(SHA_COMMAND);
      expect(s).toContain("xargs -0 -r $sha");
      expect(s).not.toMatch(/xargs -0 -r sha256sum/);
    }
  });
});

describe("allInOrder", () => {
  const later = <T>(ms: number, v: T, fail = false) =>
    new Promise<T>((res, rej) => setTimeout(() => (fail ? rej(new Error(String(v))) : res(v)), ms));

  it("resolves every value in order", async () => {
    expect(await allInOrder([later(20, 1), later(1, "b")])).toEqual([1, "b"]);
  });

  it("waits for every promise and rejects with the first failure in argument order", async () => {
    const done: string[] = [];
    const slow = later(40, "slow").then((v) => {
      done.push(v);
      return v;
    });
    await expect(allInOrder([slow, later(30, "first", true), later(1, "second", true)])).rejects.toThrow(
      "first",
    );
    expect(done).toEqual(["slow"]);
  });
});
