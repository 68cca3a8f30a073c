/**
 * `socle:backup`: the restic repository, the schedule and the retention. Pure;
 * used by stacks/config.ts.
 *
 * The repository goes, as written, into cloud-init's user data (on the
 * Proxmox snippet storage), into the units (mode 0644) and the environment
 * file, and into the CLI's output: it may hold no password (restic reads
 * backend credentials from its environment), and its characters must read
 * the same in an environment file, a unit and a shell (no quote, `$`, `\`,
 * backquote or control character).
 */
import { hasUrlPassword, redactUrls } from "../templates/checks.js";
import type { BackupConfig } from "./config.js";
import { BACKUP_ENV_FILE } from "./backup-units.js";
import { nextElapse, parseCalendar } from "./config-calendar.js";
import { REPOSITORY, SCHEDULE, at, int, show, type Check, type Reader } from "./config-checks.js";

export const BACKUP_DEFAULTS = { schedule: "*-*-* 02:30:00" } as const;

/** REPOSITORY, except that a value with a password is never printed by its shape error (see below). */
const REPOSITORY_SHOWN_REDACTED: Check<string> = {
  what: REPOSITORY.what,
  parse: (x) => (typeof x === "string" && hasUrlPassword(x) ? x : REPOSITORY.parse(x)),
};

/** Why a repository that has the shape of one is still refused, if it is. */
export function repositoryProblem(repo: string): string | undefined {
  if (hasUrlPassword(repo)) {
    return (
      `${show(redactUrls(repo))} holds a password: keep credentials out of the URL ` +
      `(the repository password is the secret socle:backupPassword; restic reads backend credentials, ` +
      `e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD, ` +
      `from its environment: add them to ${BACKUP_ENV_FILE} on each host, mode 0600)`
    );
  }
  if (/['"`$\\\p{Cc}]/u.test(repo)) {
    return `${show(repo)} is not a restic repository Socle can write into an environment file and a unit (no quote, $, \\, backquote or control character)`;
  }
  if (repo.startsWith("/") && repo.split("/").every((p) => p === "" || p === ".")) {
    return `${show(repo)} is the root directory: give the repository a directory of its own (e.g. "/var/backups/socle")`;
  }
  if (repo.startsWith("/") && repo.split("/").includes("..")) {
    return `${show(repo)} is not an absolute path without ".." (e.g. "/var/backups/socle")`;
  }
  return undefined;
}

/**
 * The schedule: systemd's grammar (stacks/config-calendar.ts), and a next
 * elapse after `now` (a date already past, or a day that no month has, never fires).
 */
function readSchedule(r: Reader, path: string, v: unknown, now: Date): string {
  const schedule = r.withDefault(path, v, SCHEDULE, BACKUP_DEFAULTS.schedule);
  const spec = parseCalendar(schedule);
  if (spec && !nextElapse(spec, now)) {
    r.add(
      path,
      `${show(schedule)} never elapses (systemd-analyze calendar: "Next elapse: never"): ` +
        `a date already past, or a day no month has; e.g. "*-*-* 02:30:00"`,
    );
  }
  return schedule;
}

export function readBackup(r: Reader, v: unknown, now: Date): BackupConfig | undefined {
  const path = "socle:backup";
  const what = "an object with repository, schedule and keep";
  if (v === undefined || v === null) {
    r.add(path, `missing, expected ${what}`);
    return undefined;
  }
  const o = r.object(path, v, what, ["repository", "schedule", "keep"]);
  if (!o) return undefined;
  const repoPath = at(path, "repository");
  const repository = r.required(repoPath, o.repository, REPOSITORY_SHOWN_REDACTED);
  const problem = repository !== undefined ? repositoryProblem(repository) : undefined;
  if (problem !== undefined) r.add(repoPath, problem);
  const schedule = readSchedule(r, at(path, "schedule"), o.schedule, now);
  const kp = at(path, "keep");
  const keepWhat = "an object with daily, weekly and monthly";
  if (o.keep === undefined || o.keep === null) {
    r.add(kp, `missing, expected ${keepWhat}`);
    return undefined;
  }
  const k = r.object(kp, o.keep, keepWhat, ["daily", "weekly", "monthly"]);
  if (!k) return undefined;
  const keep = {
    daily: r.required(at(kp, "daily"), k.daily, int(0)),
    weekly: r.required(at(kp, "weekly"), k.weekly, int(0)),
    monthly: r.required(at(kp, "monthly"), k.monthly, int(0)),
  };
  if (keep.daily === 0 && keep.weekly === 0 && keep.monthly === 0) {
    r.add(kp, "keeps no snapshot (at least one of daily, weekly, monthly must be above 0)");
  }
  return { repository: repository!, schedule, keep: keep as BackupConfig["keep"] };
}
