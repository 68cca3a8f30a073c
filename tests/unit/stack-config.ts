/**
 * Turns an example stack config (`stacks/Pulumi.<stack>.yaml`) into the
 * `PULUMI_CONFIG` JSON string the mock engine reads, as the Pulumi CLI would:
 * keys kept as written (`socle:tenants`), string values as they are, every
 * other value JSON-stringified. Usage, before the program is imported:
 *
 *   process.env.PULUMI_CONFIG = stackConfigEnv("stacks/Pulumi.epci.yaml",
 *     { "socle:proxmoxApiToken": "socle@pve!deploy=…" });
 *
 * Relative paths are resolved from the repository root.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

/** The `config:` map of a Pulumi.<stack>.yaml, values as the CLI hands them to the program. */
export function stackConfig(file: string): Record<string, string> {
  const path = isAbsolute(file) ? file : resolve(ROOT, file);
  const doc: unknown = parse(readFileSync(path, "utf8"));
  const config = (doc as { config?: unknown } | null)?.config;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`${file}: no config: mapping`);
  }
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** `PULUMI_CONFIG` for a stack file, with `extra` keys (e.g. secrets) added or overriding. */
export function stackConfigEnv(file: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({ ...stackConfig(file), ...extra });
}
