/**
 * `socle report`: the capacity report of a deployment (per host: memory
 * declared vs available, tenants placed there), drawn from the stack's
 * `capacity` output. Scripts never import the program: the report reads the
 * outputs as the Pulumi CLI prints them (`pulumi stack output --json`), from a
 * file or standard input, and writes a table (stdout) and an SVG picture.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseStrict } from "./lib/args.js";
import { EXIT, SocleError, errorMessage } from "./lib/errors.js";
import { renderCapacitySvg, renderCapacityTable, type CapacityRow } from "../templates/capacity-report.js";

export const HELP = `Usage: socle report [--outputs <file>|-] [--svg <file>] [--title <text>] [--json]

Draws the capacity report of a deployment from its stack outputs:
  pulumi stack output --json > outputs.json && socle report --outputs outputs.json --svg capacity.svg
  pulumi stack output --json | socle report --svg capacity.svg

Options:
  --outputs <file>  the stack outputs as JSON (default "-": standard input)
  --svg <file>      also write the picture (an SVG bar per host)
  --title <text>    the picture's title (default "Socle capacity")
  --json            print one JSON summary line instead of the table
  -h, --help        this help
Exit codes: 0 ok, 1 a host is over capacity, 2 usage or unreadable outputs.`;

export interface ReportOptions {
  outputs: string;
  svg?: string;
  title: string;
  json?: boolean;
  help?: boolean;
}

export interface ReportResult {
  exitCode: number;
  hosts: (CapacityRow & { freeMb: number })[];
  overCapacity: string[];
  svg?: string;
  table?: string;
  errors: string[];
}

export function parseArgs(argv: string[]): ReportOptions {
  const { values } = parseStrict(argv, {
    outputs: { type: "string" },
    svg: { type: "string" },
    title: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  return {
    outputs: values.outputs ?? "-",
    title: values.title ?? "Socle capacity",
    ...(values.svg !== undefined ? { svg: values.svg } : {}),
    ...(values.json ? { json: true } : {}),
    ...(values.help ? { help: true } : {}),
  };
}

/** Validates the `capacity` output; exact messages. */
export function capacityFrom(outputs: unknown): CapacityRow[] {
  const cap = (outputs as { capacity?: unknown } | null)?.capacity;
  if (!Array.isArray(cap)) throw new SocleError('the stack outputs have no "capacity" list', EXIT.usage);
  return cap.map((row, i) => {
    const r = row as Record<string, unknown>;
    const ok =
      typeof r.host === "string" &&
      Number.isFinite(r.capacityMb) &&
      Number.isFinite(r.declaredMb) &&
      Array.isArray(r.tenants) &&
      Array.isArray(r.shared);
    if (!ok)
      throw new SocleError(
        `capacity[${i}]: expected {host, capacityMb, declaredMb, tenants, shared}`,
        EXIT.usage,
      );
    return {
      host: r.host as string,
      capacityMb: r.capacityMb as number,
      declaredMb: r.declaredMb as number,
      tenants: (r.tenants as unknown[]).map(String),
      shared: (r.shared as unknown[]).map(String),
    };
  });
}

export async function main(options: ReportOptions): Promise<ReportResult> {
  let rows: CapacityRow[];
  try {
    const text = readFileSync(options.outputs === "-" ? 0 : options.outputs, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SocleError(
        `${options.outputs === "-" ? "standard input" : options.outputs}: not JSON`,
        EXIT.usage,
      );
    }
    rows = capacityFrom(parsed);
  } catch (e) {
    return {
      exitCode: e instanceof SocleError ? e.exitCode : EXIT.usage,
      hosts: [],
      overCapacity: [],
      errors: [errorMessage(e)],
    };
  }
  const hosts = rows.map((r) => ({ ...r, freeMb: r.capacityMb - r.declaredMb }));
  const overCapacity = hosts.filter((h) => h.freeMb < 0).map((h) => h.host);
  const svg = renderCapacitySvg(rows, options.title);
  if (options.svg) writeFileSync(options.svg, svg);
  return {
    exitCode: overCapacity.length > 0 ? EXIT.failed : EXIT.ok,
    hosts,
    overCapacity,
    table: renderCapacityTable(rows),
    ...(options.svg ? { svg: options.svg } : {}),
    errors: overCapacity.map((h) => `host ${h} is over capacity`),
  };
}

export function report(result: ReportResult): string[] {
  const lines = result.table ? result.table.trimEnd().split("\n") : [];
  if (result.svg) lines.push(`picture: ${result.svg}`);
  return lines;
}
