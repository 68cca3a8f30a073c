/**
 * The volume helper's script (VOLUME_BACKUP_SCRIPT) run locally with a fake
 * restic (a shell script logging its args and stdin): the sums section, the
 * end marker, then the manifest written by the SAME helper from its stdin
 * (args one a line, an empty line, the text); no manifest when stdin closes
 * empty; restic's failure ends it before the end marker. /volumes and /tmp
 * are rewritten to a scratch directory.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SUMS_END_MARKER, SUMS_MARKER, VOLUME_BACKUP_SCRIPT } from "../../scripts/lib/scripts.js";

const missing = ["sh", "awk", "find", "stat", "xargs", "sha256sum"].filter(
  (t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0,
);
if (missing.length > 0 && process.env.CI === "true")
  throw new Error(`missing ${missing.join(", ")} (CI=true: failing, not skipping)`);
if (missing.length > 0) console.warn(`missing ${missing.join(", ")}: skipping (outside CI)`);

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

function setup(resticExit = 0) {
  const root = mkdtempSync(path.join(tmpdir(), "socle-vh-"));
  const vols = path.join(root, "volumes");
  const tmp = path.join(root, "tmp");
  const bin = path.join(root, "bin");
  for (const d of [path.join(vols, "v1", "sub"), tmp, bin, path.join(root, "cache")])
    mkdirSync(d, { recursive: true });
  writeFileSync(path.join(vols, "v1", "a.txt"), "a");
  writeFileSync(path.join(vols, "v1", "sub", "b c.bin"), Buffer.alloc(5000, 3));
  // Fake restic: logs each call's args and stdin; `backup --stdin` prints a manifest summary.
  writeFileSync(
    path.join(bin, "restic"),
    `#!/bin/sh
n=$(ls "${root}/calls" 2>/dev/null | wc -l)
mkdir -p "${root}/calls/$n"
printf '%s\\n' "$@" >"${root}/calls/$n/args"
case " $* " in
  *" --stdin "*) cat >"${root}/calls/$n/stdin"; echo '{"message_type":"summary","snapshot_id":"manifest1"}' ;;
  *) echo '{"message_type":"status","percent_done":1}'; echo '{"message_type":"summary","snapshot_id":"vol1","data_added":9}' ;;
esac
exit ${resticExit}
`,
  );
  chmodSync(path.join(bin, "restic"), 0o755);
  const script = VOLUME_BACKUP_SCRIPT.replaceAll("/tmp/", `${tmp}/`).replaceAll("/volumes", vols);
  const run = (input: string) =>
    spawnSync(
      "/bin/sh",
      ["-c", script, "sh", path.join(root, "cache", "sums.tsv"), "backup", "--json", `${vols}/v1`],
      { input, encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}` } },
    );
  const calls = () =>
    existsSync(path.join(root, "calls"))
      ? spawnSync("ls", [path.join(root, "calls")], { encoding: "utf8" })
          .stdout.trim()
          .split("\n")
          .filter(Boolean)
          .map((n) => ({
            args: readFileSync(path.join(root, "calls", n, "args"), "utf8")
              .trimEnd()
              .split("\n"),
            stdin: existsSync(path.join(root, "calls", n, "stdin"))
              ? readFileSync(path.join(root, "calls", n, "stdin"), "utf8")
              : undefined,
          }))
      : [];
  return { vols, run, calls };
}

describe.skipIf(missing.length > 0)("VOLUME_BACKUP_SCRIPT (local, fake restic)", () => {
  it("prints restic's lines, the sums, the end marker, then writes the manifest from stdin", () => {
    const { vols, run, calls } = setup();
    const manifest = '{"format":1,"x":"y z"}';
    const r = run(`backup\n--stdin\n--stdin-filename\nt/s/manifest.json\n--tag\nref=vol1\n\n${manifest}`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // The sums come in find's order: sorted here.
    const lines = r.stdout.split("\n");
    const a = lines.indexOf(SUMS_MARKER);
    const b = lines.indexOf(SUMS_END_MARKER);
    expect([...lines.slice(0, a + 1), ...lines.slice(a + 1, b).sort(), ...lines.slice(b)]).toEqual([
      '{"message_type":"status","percent_done":1}',
      '{"message_type":"summary","snapshot_id":"vol1","data_added":9}',
      SUMS_MARKER,
      `${sha("a")} 1 ${vols}/v1/a.txt`,
      `${sha(Buffer.alloc(5000, 3))} 5000 ${vols}/v1/sub/b c.bin`,
      SUMS_END_MARKER,
      '{"message_type":"summary","snapshot_id":"manifest1"}',
      "",
    ]);
    expect(calls()).toEqual([
      { args: ["backup", "--json", `${vols}/v1`], stdin: undefined },
      {
        args: ["backup", "--stdin", "--stdin-filename", "t/s/manifest.json", "--tag", "ref=vol1"],
        stdin: manifest,
      },
    ]);
  });

  it("stdin closed empty: no manifest, exit 0; the second run reuses the checksum cache", () => {
    const { run, calls } = setup();
    const first = run("");
    expect(first.status).toBe(0);
    expect(first.stdout.trimEnd().endsWith(SUMS_END_MARKER)).toBe(true);
    const second = run("");
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(calls().map((c) => c.args[0])).toEqual(["backup", "backup"]);
  });

  it("restic fails: its exit code, no end marker, stdin never read", () => {
    const { run, calls } = setup(3);
    const r = run("backup\n--stdin\n\n{}");
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(SUMS_MARKER);
    expect(r.stdout).not.toContain(SUMS_END_MARKER);
    expect(calls()).toHaveLength(1);
  });
});
