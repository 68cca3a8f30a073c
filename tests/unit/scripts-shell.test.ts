/**
 * Every shell script the CLI runs inside containers, through the real
 * shellcheck (POSIX sh: they must also run on the official restic image's
 * busybox). Under CI=true a missing shellcheck fails.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as scripts from "../../scripts/lib/scripts.js";
import {
  ADMIN_SCRIPT,
  DUMP_SCRIPT,
  LOAD_SCRIPT,
  MARIADB_PLAIN_DUMP,
  PING_SCRIPT,
  QUERY_SCRIPT,
} from "../../scripts/lib/db.js";

const has = spawnSync("shellcheck", ["--version"], { stdio: "ignore" }).status === 0;
if (!has && process.env.CI === "true")
  throw new Error("shellcheck is missing (CI=true: failing, not skipping)");
if (!has) console.warn("shellcheck missing: skipping (outside CI)");

const all: [string, string][] = [
  ...Object.entries(scripts).filter(
    (e): e is [string, string] => typeof e[1] === "string" && e[0].endsWith("SCRIPT"),
  ),
  ...[DUMP_SCRIPT, QUERY_SCRIPT, PING_SCRIPT, ADMIN_SCRIPT, LOAD_SCRIPT].flatMap((m, i) =>
    Object.entries(m).map(([engine, s]) => [`db${i}.${engine}`, s] as [string, string]),
  ),
  ["MARIADB_PLAIN_DUMP", MARIADB_PLAIN_DUMP],
];

describe.skipIf(!has)("container shell scripts pass shellcheck -s sh", () => {
  it.each(all)("%s", (_name, script) => {
    const r = spawnSync("shellcheck", ["-s", "sh", "-"], {
      input: `#!/bin/sh\n${script}\n`,
      encoding: "utf8",
    });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });
});
