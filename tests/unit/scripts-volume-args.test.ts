/**
 * Volume names from a manifest reach two places: the helper's `--mount` value
 * and the restore/drill scripts' arguments. `,` or `=` in a mount value is
 * refused (it would turn the mount into a bind mount of a host path), and the
 * scripts take the names as "$@", never word-split or glob-expanded: run here
 * locally with a fake restic logging its argv (/volumes rewritten to a scratch
 * directory).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { helperArgv, mountValue, type HelperContext } from "../../scripts/lib/helper.js";
import { DRILL_VOLUMES_SCRIPT, VOLUME_RESTORE_SCRIPT } from "../../scripts/lib/scripts.js";

const ctx: HelperContext = {
  repo: { url: "/r", shown: "/r", localPath: "/r", key: "k", password: "p" },
  runId: "run1",
  image: "restic/restic:0.18.1",
  memory: "2g",
};

describe("helper mounts", () => {
  it("refuses ',' and '=' in a mount value, and sources outside the volume grammar", () => {
    expect(mountValue({ volume: "demo-data", target: "/volumes/demo-data" })).toBe(
      "type=volume,source=demo-data,target=/volumes/demo-data",
    );
    const bind = "x,type=bind,source=/,target=/host";
    expect(() => mountValue({ volume: bind, target: `/volumes/${bind}` })).toThrow(
      `refusing to mount "${bind}": a mount value may not contain "," or "="`,
    );
    expect(() => mountValue({ volume: "ok", target: "/volumes/ok,readonly=false" })).toThrow(
      /may not contain/,
    );
    for (const [volume, target] of [
      ["/etc", "/volumes/etc"],
      ["../x", "/volumes/x"],
      ["ok", "/volumes/../../etc"],
      ["ok", "relative"],
    ] as const) {
      expect(() => mountValue({ volume, target })).toThrow(
        `refusing to mount volume "${volume}" at "${target}": not a volume name and path`,
      );
    }
    expect(() =>
      helperArgv(ctx, { script: "x", mounts: [{ volume: bind, target: "/volumes/x" }] }, "n", {}),
    ).toThrow(/may not contain/);
  });
});

function setup() {
  const root = mkdtempSync(path.join(tmpdir(), "socle-va-"));
  const vols = path.join(root, "volumes");
  const bin = path.join(root, "bin");
  for (const d of ["a", "b c", "*"]) mkdirSync(path.join(vols, d), { recursive: true });
  for (const d of ["a", "b c", "*"]) writeFileSync(path.join(vols, d, "keep.txt"), d);
  mkdirSync(bin);
  writeFileSync(path.join(bin, "restic"), `#!/bin/sh\nprintf '%s\\n' "$@" >"${root}/argv"\n`);
  chmodSync(path.join(bin, "restic"), 0o755);
  const run = (script: string, args: string[]) =>
    spawnSync(
      "/bin/sh",
      ["-c", script.replaceAll("/tmp/", `${root}/`).replaceAll("/volumes", vols), "sh", ...args],
      {
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH}` },
      },
    );
  const argv = () =>
    existsSync(path.join(root, "argv"))
      ? readFileSync(path.join(root, "argv"), "utf8").trimEnd().split("\n")
      : [];
  const kept = (d: string) => existsSync(path.join(vols, d, "keep.txt"));
  return { vols, run, argv, kept };
}

describe.each([
  ["VOLUME_RESTORE_SCRIPT", VOLUME_RESTORE_SCRIPT],
  ["DRILL_VOLUMES_SCRIPT", DRILL_VOLUMES_SCRIPT],
])("%s takes the volume names as arguments", (name, script) => {
  it("one --include per name, the snapshot after --", () => {
    const { vols, run, argv, kept } = setup();
    const r = run(script, ["0123abcd", "a"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(argv()).toEqual(["restore", "--target", "/", "--include", `${vols}/a`, "--", "0123abcd"]);
    // The in-place restore empties the volume first; the drill's are fresh scratch volumes.
    expect(kept("a")).toBe(name === "DRILL_VOLUMES_SCRIPT");
    expect(kept("b c") && kept("*")).toBe(true);
  });

  it.each([["b c"], ["*"], ["-x"], [".."], ["a,type=bind"], [""]])(
    "refuses %j before anything is emptied or restored (exit 2)",
    (bad) => {
      const { run, argv, kept } = setup();
      const r = run(script, ["0123abcd", "a", bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`socle: refusing volume name '${bad}'\n`);
      expect(argv()).toEqual([]);
      expect(kept("a") && kept("b c") && kept("*")).toBe(true);
    },
  );
});
