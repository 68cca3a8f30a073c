/**
 * Command-line plumbing shared by the commands: node:util parseArgs with the
 * common options, usage errors with exit code 2.
 */
import { parseArgs as nodeParseArgs, type ParseArgsConfig } from "node:util";
import { NAME_RE } from "../../components/labels.js";
import { EXIT, SocleError } from "./errors.js";

export const COMMON_OPTIONS = {
  repo: { type: "string" },
  "password-file": { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export const COMMON_HELP = `Common options:
  --repo <url>            restic repository (default: $RESTIC_REPOSITORY): a path, sftp:, s3:, rest: …
  --password-file <file>  repository password file (default: $RESTIC_PASSWORD_FILE, then $RESTIC_PASSWORD);
                          the password is never accepted on the command line
  --dry-run               print the plan and touch nothing
  --json                  print exactly one JSON summary line on stdout
  -h, --help              this help
Environment: DOCKER_HOST (the engine, e.g. ssh://root@host; tcp:// only with DOCKER_TLS_VERIFY=1 and
  DOCKER_CERT_PATH), SOCLE_HELPER_IMAGE (restic helper image),
  SOCLE_STATE_DIR (lock directory, default /run/socle).`;

type StrictConfig<T> = { args: string[]; options: T; strict: true; allowPositionals: false };

/** parseArgs with strict checking; unknown options become usage errors. */
export function parseStrict<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
): ReturnType<typeof nodeParseArgs<StrictConfig<T>>> {
  try {
    return nodeParseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new SocleError((e as Error).message, EXIT.usage);
  }
}

export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new SocleError(`--${name}: "${value}" is not a non-negative integer`, EXIT.usage);
  return Number(value);
}

export function percentOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[1]) > 100) {
    throw new SocleError(`--${name}: "${value}" is not a percentage between 0 and 100`, EXIT.usage);
  }
  return `${m[1]}%`;
}

/** A slug-like label value given on the command line. */
export function nameOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!NAME_RE.test(value)) throw new SocleError(`--${name}: "${value}" is not a valid name`, EXIT.usage);
  return value;
}

/**
 * `--check` takes an optional percentage: a bare `--check` (last, or followed
 * by another option) becomes `--check=5%`, so node:util parseArgs can read it
 * as a string option. Used by backup and drill.
 */
export function normaliseCheckFlag(argv: string[]): string[] {
  return argv.map((a, i) => (a === "--check" && (argv[i + 1] ?? "--").startsWith("--") ? "--check=5%" : a));
}
