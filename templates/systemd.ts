/**
 * systemd units that schedule Socle's backups on a Docker host (pure,
 * deterministic). Installed by the host component (cloud-init extraFiles) at:
 *
 * - /etc/systemd/system/socle-backup.service + .timer — nightly `socle backup`
 *   (OnCalendar from `socle:backup.schedule`, Persistent, RandomizedDelaySec),
 *   retention from `socle:backup.keep`; ExecStopPost `socle backup --recover`
 *   ends the maintenance mode of a run that was killed (SIGKILL, OOM, crash).
 * - /etc/systemd/system/socle-drill.service + .timer — weekly `socle drill`
 *   (plus `restic check --read-data-subset` unless a separate check schedule).
 * - /etc/systemd/system/socle-check.service + .timer — only with `checkSchedule`.
 *
 * The environment file (mode 0600) holds RESTIC_PASSWORD_FILE (or the backend
 * credentials); the password itself is never in a unit or on a command line.
 * Enable with `systemctl enable --now socle-backup.timer socle-drill.timer`.
 */
export interface BackupUnitsArgs {
  /** systemd OnCalendar expression (socle:backup.schedule), e.g. "*-*-* 02:30:00". */
  schedule: string;
  /** restic repository URL (socle:backup.repository). */
  repository: string;
  /** Absolute path of the EnvironmentFile (RESTIC_PASSWORD_FILE=…, backend credentials). */
  environmentFile: string;
  /** OnCalendar of the drill. Default weekly, Sunday 04:00. */
  drillSchedule?: string;
  /** OnCalendar of a separate `restic check --read-data-subset`; absent: the drill runs it. */
  checkSchedule?: string;
  /** Retention (socle:backup.keep). */
  keep?: { daily?: number; weekly?: number; monthly?: number; yearly?: number };
  /** Percentage of pack data `restic check` reads. Default 5. */
  checkSubsetPercent?: number;
  /** Absolute path of the socle executable. Default /usr/local/bin/socle. */
  socleBin?: string;
  /** Spread of the start time, seconds. Default 900. */
  randomizedDelaySec?: number;
}

export interface RenderedFile {
  path: string;
  content: string;
}

export const UNIT_DIR = "/etc/systemd/system";
export const DEFAULT_DRILL_SCHEDULE = "Sun *-*-* 04:00:00";
export const DEFAULT_SOCLE_BIN = "/usr/local/bin/socle";

/** Pure validation with exact messages (before rendering). */
export function validateBackupUnitsArgs(a: BackupUnitsArgs): void {
  const line = (name: string, v: string | undefined) => {
    if (v === undefined) return;
    if (v.trim() === "") throw new Error(`${name}: must not be empty`);
    if (/[\n\r]/.test(v)) throw new Error(`${name}: must be a single line`);
  };
  line("schedule", a.schedule);
  line("repository", a.repository);
  line("drillSchedule", a.drillSchedule);
  line("checkSchedule", a.checkSchedule);
  line("environmentFile", a.environmentFile);
  if (!a.environmentFile.startsWith("/"))
    throw new Error(`environmentFile: "${a.environmentFile}" must be an absolute path`);
  const bin = a.socleBin ?? DEFAULT_SOCLE_BIN;
  if (!/^\/[^\s"'\\%$]+$/.test(bin))
    throw new Error(`socleBin: "${bin}" must be an absolute path without spaces or specials`);
  for (const [k, v] of Object.entries(a.keep ?? {})) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`keep.${k}: must be a non-negative integer, got ${v}`);
  }
  const p = a.checkSubsetPercent ?? 5;
  if (!(p > 0 && p <= 100)) throw new Error(`checkSubsetPercent: must be in (0, 100], got ${p}`);
}

/** A value for `Environment="K=V"`: quotes, backslashes and systemd's `%` escaped. */
function envValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%");
}

const HARDENING = [
  "# Hardening that keeps Docker access (the socket, and ssh:// engines) working.",
  "NoNewPrivileges=yes",
  "PrivateTmp=yes",
  "ProtectSystem=full",
  "ProtectHome=read-only",
  "ProtectKernelTunables=yes",
  "ProtectKernelModules=yes",
  "ProtectControlGroups=yes",
  "RestrictRealtime=yes",
  "LockPersonality=yes",
  "RuntimeDirectory=socle",
  "RuntimeDirectoryPreserve=yes",
  "Nice=10",
  "IOSchedulingClass=best-effort",
  "IOSchedulingPriority=7",
];

function service(description: string, a: BackupUnitsArgs, execStart: string, extra: string[] = []): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "Documentation=man:systemd.service(5)",
    "Requires=docker.service",
    "After=docker.service network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `EnvironmentFile=${a.environmentFile}`,
    `Environment="RESTIC_REPOSITORY=${envValue(a.repository)}"`,
    "Environment=SOCLE_STATE_DIR=/run/socle",
    `ExecStart=${execStart}`,
    ...extra,
    "# SIGTERM to socle only: it runs the post hooks, then exits (130).",
    "KillMode=mixed",
    "TimeoutStopSec=15min",
    "TimeoutStartSec=12h",
    ...HARDENING,
    "",
  ].join("\n");
}

function timer(description: string, onCalendar: string, delay: number): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "",
    "[Timer]",
    `OnCalendar=${onCalendar}`,
    "Persistent=true",
    `RandomizedDelaySec=${delay}`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** The units, sorted by path. */
export function renderBackupUnits(a: BackupUnitsArgs): RenderedFile[] {
  validateBackupUnitsArgs(a);
  const bin = a.socleBin ?? DEFAULT_SOCLE_BIN;
  const delay = a.randomizedDelaySec ?? 900;
  const subset = `${a.checkSubsetPercent ?? 5}%%`;
  const keep = (["daily", "weekly", "monthly", "yearly"] as const)
    .filter((k) => a.keep?.[k] !== undefined)
    .map((k) => `--keep-${k} ${a.keep![k]}`);
  const files: RenderedFile[] = [
    {
      path: `${UNIT_DIR}/socle-backup.service`,
      content: service(
        "Socle backup of every labelled service (restic)",
        a,
        [bin, "backup", ...keep].join(" "),
        [`ExecStopPost=${bin} backup --recover`],
      ),
    },
    { path: `${UNIT_DIR}/socle-backup.timer`, content: timer("Nightly Socle backup", a.schedule, delay) },
    {
      path: `${UNIT_DIR}/socle-drill.service`,
      content: service(
        "Socle restore drill (scratch containers, verified against the backup)",
        a,
        a.checkSchedule ? `${bin} drill` : `${bin} drill --check ${subset}`,
      ),
    },
    {
      path: `${UNIT_DIR}/socle-drill.timer`,
      content: timer("Weekly Socle restore drill", a.drillSchedule ?? DEFAULT_DRILL_SCHEDULE, delay),
    },
  ];
  if (a.checkSchedule) {
    files.push(
      {
        path: `${UNIT_DIR}/socle-check.service`,
        content: service(
          "Socle repository check (restic check, data subset)",
          a,
          `${bin} backup --check-only --check ${subset}`,
        ),
      },
      {
        path: `${UNIT_DIR}/socle-check.timer`,
        content: timer("Socle repository check", a.checkSchedule, delay),
      },
    );
  }
  return files.sort((x, y) => x.path.localeCompare(y.path));
}
