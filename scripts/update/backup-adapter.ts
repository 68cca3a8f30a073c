/**
 * The pre-step backup and the rollback restore of `socle update apply`,
 * through the backup scripts' own `main` (scripts/backup.ts, scripts/restore.ts):
 * one tenant's service, into the same restic repository as the nightly backups.
 * The snapshot a step keeps is the backup's manifest snapshot id, which
 * `socle restore --snapshot` accepts.
 */
import { main as backupMain } from "../backup.js";
import type { Output } from "../lib/output.js";
import { main as restoreMain } from "../restore.js";
import type { ServiceRef } from "./apply.js";

export interface BackupAdapter {
  backup(ref: ServiceRef): Promise<string>;
  restore(ref: ServiceRef, snapshot: string): Promise<void>;
}

export interface BackupAdapterOptions {
  repo?: string;
  passwordFile?: string;
  /** Seconds the restore waits for health (default 300). */
  healthTimeoutMs?: number;
}

/** An Output that forwards the backup scripts' step lines to the update's log. */
function forward(log: (line: string) => void): Output {
  const warnings: string[] = [];
  return {
    warnings,
    step: (m) => log(`  ${m}`),
    warn: (m) => {
      warnings.push(m);
      log(`  warning: ${m}`);
    },
    progress: () => {},
    print: (m) => log(`  ${m}`),
    summary: () => {},
  };
}

export function backupAdapter(options: BackupAdapterOptions, log: (line: string) => void): BackupAdapter {
  const repo = {
    ...(options.repo !== undefined ? { repo: options.repo } : {}),
    ...(options.passwordFile !== undefined ? { passwordFile: options.passwordFile } : {}),
  };
  return {
    async backup(ref) {
      const r = await backupMain({
        ...repo,
        tenant: ref.tenant,
        service: ref.service,
        init: true,
        out: forward(log),
      });
      const group = r.groups.find((g) => g.tenant === ref.tenant && g.service === ref.service);
      if (!r.ok || !group?.manifest) {
        throw new Error(
          `backup of ${ref.tenant}/${ref.service} failed: ${r.errors.join("; ") || "no manifest written"}`,
        );
      }
      return group.manifest;
    },
    async restore(ref, snapshot) {
      const r = await restoreMain({
        ...repo,
        tenant: ref.tenant,
        service: ref.service,
        snapshot,
        healthTimeout: Math.ceil((options.healthTimeoutMs ?? 300_000) / 1000),
        out: forward(log),
      });
      if (!r.ok) {
        throw new Error(
          `restore of ${ref.tenant}/${ref.service} from ${snapshot} failed: ${r.errors.join("; ")}`,
        );
      }
    },
  };
}
