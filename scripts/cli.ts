/**
 * The `socle` command line: a thin dispatcher. Each command module exports
 * `HELP`, `parseArgs(argv)`, `main(options)` (returning a result with
 * `exitCode`) and optionally `report(result)` (human lines). To add a command:
 * one import and one entry in COMMANDS.
 */
import { redactUrls } from "../templates/checks.js";
import { EXIT, EXIT_HELP, SocleError, errorMessage } from "./lib/errors.js";
import { engineProblem } from "./lib/docker.js";
import * as backup from "./backup.js";
import * as restore from "./restore.js";
import * as drill from "./drill.js";
import * as exportSite from "./export-site.js";
import * as update from "./update.js";
import * as report from "./report.js";

export interface CommandResult {
  exitCode: number;
}

export interface CommandModule {
  HELP: string;
  parseArgs(argv: string[]): { help?: boolean; json?: boolean };
  main(options: never): Promise<CommandResult>;
  report?(result: never): string[];
}

export const COMMANDS: Record<string, { summary: string; module: CommandModule }> = {
  backup: { summary: "back up every labelled service (hooks, dumps, volumes) into restic", module: backup },
  restore: { summary: "restore a tenant's service(s) in place from a snapshot", module: restore },
  drill: { summary: "restore the latest backups into scratch containers and verify them", module: drill },
  "export-site": { summary: "export an association's WordPress site as one archive", module: exportSite },
  update: {
    summary: "plan or apply updates: per-app rules, backups, canary waves, rollback",
    module: update,
  },
  report: { summary: "capacity report (table and SVG) from the stack outputs", module: report },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: socle <command> [options]   (socle <command> --help for details)

Commands:
${lines.join("\n")}

${EXIT_HELP}`;
}

/** Runs one command line; returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`socle: unknown command "${name}"\n${usage()}\n`);
    return EXIT.usage;
  }
  let options: { help?: boolean; json?: boolean };
  try {
    options = cmd.module.parseArgs(rest);
  } catch (e) {
    process.stderr.write(`socle ${name}: ${redactUrls(errorMessage(e))}\n(see socle ${name} --help)\n`);
    return e instanceof SocleError ? e.exitCode : EXIT.usage;
  }
  if (options.help) {
    process.stdout.write(`${cmd.module.HELP}\n`);
    return EXIT.ok;
  }
  const engine = name === "report" ? undefined : engineProblem();
  if (engine) {
    process.stderr.write(`socle ${name}: ${engine}\n`);
    return EXIT.usage;
  }
  const result = (await cmd.module.main(options as never)) as CommandResult & { errors?: string[] };
  // URL passwords (a repository given with credentials) are never printed in clear.
  if (options.json) {
    process.stdout.write(`${redactUrls(JSON.stringify(result))}\n`);
  } else {
    for (const e of result.errors ?? []) process.stderr.write(`socle ${name}: ${redactUrls(e)}\n`);
    const lines = cmd.module.report ? cmd.module.report(result as never) : [];
    if (lines.length > 0) process.stdout.write(`${redactUrls(lines.join("\n"))}\n`);
  }
  return result.exitCode;
}
