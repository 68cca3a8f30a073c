/**
 * Exit codes shared by every `socle` command (documented in docs/operations.md
 * and in each `--help`), and the error type that carries one.
 */
export const EXIT = {
  ok: 0,
  /** Something failed (a dump, a hook, a restore step, restic…): see the messages. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** Another run holds this repository's lock. */
  locked: 3,
  /** Repository missing, unreachable, or wrong password. */
  repository: 4,
  /** `socle drill`: a restored file or table does not match the backup's manifest. */
  mismatch: 5,
  /** Interrupted by SIGINT / SIGTERM (after the post hooks ran). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_HELP = `Exit codes:
  0  success
  1  failed (a dump, hook, restic or restore step failed; details on stderr and in --json)
  2  usage error
  3  another socle run holds the repository lock
  4  repository error: missing, unreachable, or wrong password
  5  drill: restored data does not match the backup's manifest
  130  interrupted (SIGINT/SIGTERM); post hooks were run first`;

export class SocleError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = "SocleError";
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
