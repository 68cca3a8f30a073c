/**
 * Real tools for the template tests (shellcheck, php, curl, caddy …): a test
 * that needs one uses it; under CI=true a missing tool is a failure (thrown
 * here), outside CI the caller skips with a clear message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { expect } from "vitest";

export const CI = process.env.CI === "true";

/** Debian packages whose name is not the command's. */
const PACKAGES: Record<string, string> = { php: "php-cli" };

/** The path of `name` on PATH, or undefined outside CI when it is missing (under CI=true: throws). */
export function toolPath(name: string): string | undefined {
  const path = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (path) return path;
  if (CI) throw new Error(`${name} is required under CI=true (apt-get install ${PACKAGES[name] ?? name})`);
  return undefined;
}

/** Whether `name` is on PATH (under CI=true a missing tool throws). */
export function haveTool(name: string): boolean {
  return toolPath(name) !== undefined;
}

/**
 * A rendered bash script passes `bash -n` and shellcheck (`--severity=style`:
 * no output, exit 0); shellcheck is skipped with a warning outside CI when missing.
 */
export function expectCleanBash(file: string): void {
  execFileSync("bash", ["-n", file]);
  const sc = toolPath("shellcheck");
  if (!sc) return console.warn("shellcheck not installed: skipped outside CI (apt-get install shellcheck)");
  const r = spawnSync(sc, ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}
