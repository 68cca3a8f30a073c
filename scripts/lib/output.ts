import { redactUrls } from "../../templates/checks.js";
import { EXIT, type ExitCode } from "./errors.js";
/**
 * What a command prints. Progress and step lines go to stderr (a live line on
 * a terminal, plain lines otherwise); stdout carries only the `--json` summary
 * (exactly one line, last) or, without `--json`, the human report. Every line
 * has its URL passwords redacted (`scheme://user:***@…`): a repository URL
 * given with credentials is never printed in clear.
 */
export interface Output {
  /** A step line ("backup demo/nextcloud: dump postgres:nextcloud"). */
  step(message: string): void;
  /** A warning (always printed, prefixed). */
  warn(message: string): void;
  /** Live progress of a long step; a no-op unless stderr is a terminal. */
  progress(message: string): void;
  /** Human output on stdout (suppressed with --json). */
  print(message: string): void;
  /** The one JSON summary line (only with --json). */
  summary(value: unknown): void;
  readonly warnings: string[];
}

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdout?: NodeJS.WritableStream;
}

export function createOutput(opts: OutputOptions = {}): Output {
  const err = opts.stderr ?? process.stderr;
  const out = opts.stdout ?? process.stdout;
  const tty = Boolean(err.isTTY);
  let live = false;
  const clearLive = () => {
    if (live) {
      err.write("\r\x1b[2K");
      live = false;
    }
  };
  const warnings: string[] = [];
  return {
    warnings,
    step(message) {
      if (opts.quiet) return;
      clearLive();
      err.write(`${redactUrls(message)}\n`);
    },
    warn(message) {
      warnings.push(redactUrls(message));
      clearLive();
      err.write(`warning: ${redactUrls(message)}\n`);
    },
    progress(message) {
      if (!tty || opts.quiet) return;
      err.write(`\r\x1b[2K${redactUrls(message).slice(0, 150)}`);
      live = true;
    },
    print(message) {
      if (opts.json || opts.quiet) return;
      clearLive();
      out.write(`${redactUrls(message)}\n`);
    },
    summary(value) {
      clearLive();
      if (opts.json) out.write(`${redactUrls(JSON.stringify(value))}\n`);
    },
  };
}

/** A fixed-width text table (for terminal reports). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/**
 * The fields every repository command's result starts with (backup, restore,
 * drill): failed until the command says otherwise, the repository from the
 * options or RESTIC_REPOSITORY (any URL password redacted), no error yet.
 */
export function repositoryResult<C extends string>(
  command: C,
  options: { repo?: string; dryRun?: boolean },
): {
  command: C;
  ok: false;
  exitCode: ExitCode;
  repository: string;
  dryRun: boolean;
  errors: string[];
  durationMs: number;
} {
  return {
    command,
    ok: false,
    exitCode: EXIT.failed,
    repository: redactUrls(options.repo ?? process.env.RESTIC_REPOSITORY ?? ""),
    dryRun: Boolean(options.dryRun),
    errors: [],
    durationMs: 0,
  };
}
