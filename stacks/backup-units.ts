/**
 * What every Proxmox host gets for scheduled backups (cloud-init files and
 * first-boot commands): the systemd units rendered from `socle:backup`
 * (templates/systemd.ts), their environment file, and the timers enabled.
 *
 * No secret goes into cloud-init (the user data sits on the Proxmox snippet
 * storage): the environment file names the password FILE, which the DSI puts
 * on each host once (README, "Operations"):
 *   pulumi config get socle:backupPassword | ssh socle@<host> sudo install -m 600 /dev/stdin /etc/socle/restic.pass
 * Until it is there, each run fails with exit code 4 (repository password), which
 * `systemctl status socle-backup` and the journal show.
 */
import { renderBackupUnits } from "../templates/systemd.js";
import type { SocleConfig } from "./config.js";
import type { HostExtras } from "./hosts.js";

export const BACKUP_ENV_FILE = "/etc/socle/backup.env";
export const BACKUP_PASSWORD_FILE = "/etc/socle/restic.pass";

export function backupHostExtras(cfg: SocleConfig): Omit<HostExtras, "mailHosts"> {
  if (cfg.target.kind !== "proxmox") return { files: [], commands: [] };
  const units = renderBackupUnits({
    schedule: cfg.backup.schedule,
    repository: cfg.backup.repository,
    environmentFile: BACKUP_ENV_FILE,
    keep: cfg.backup.keep,
  });
  const env = [
    "# Rendered by Socle (stacks/backup-units.ts). The password itself is in the file named below.",
    `RESTIC_REPOSITORY=${cfg.backup.repository}`,
    `RESTIC_PASSWORD_FILE=${BACKUP_PASSWORD_FILE}`,
    "",
  ].join("\n");
  return {
    files: [{ path: BACKUP_ENV_FILE, content: env, permissions: "0600" }, ...units],
    commands: [["systemctl", "enable", "socle-backup.timer", "socle-drill.timer"]],
  };
}
