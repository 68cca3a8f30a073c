/**
 * The pre-step backup and the rollback restore of `socle update apply`,
 * through the backup scripts' own `main` (scripts/backup.ts, scripts/restore.ts):
 * one tenant's service, into the same restic repository as the nightly backups.
 * The snapshot a step keeps is the backup's manifest snapshot id, which
 * `socle restore --snapshot` accepts.
 *
 * A shared database server (`_platform/postgres`, `_platform/mariadb`) holds no
 * backup labels itself: its data is the dumps of the app groups whose
 * `socle.backup.dump.container` is the server. Backing it up backs up each of
 * those groups; the snapshot reference lists their manifests
 * (`tenant/service=<id>,…`); restoring it (after a dump-restore deploy of the
 * new major, or on rollback) restores each group.
 */
import { PLATFORM_TENANT } from "../../components/labels.js";
import { main as backupMain } from "../backup.js";
import { groupContainers, type BackupGroup } from "../lib/discovery.js";
import { listLabelled } from "../lib/docker.js";
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

/** The groups whose dumps run in one of these containers (pure). */
export function dependentGroups(
  groups: BackupGroup[],
  servers: string[],
): { tenant: string; service: string }[] {
  return groups
    .filter((g) => g.dumps.some((d) => servers.includes(d.container)))
    .map((g) => ({ tenant: g.tenant, service: g.service }));
}

/** `a/nextcloud=1f2e…,b/nextcloud=9c8d…` ⇄ entries (pure). */
export function formatCompositeRef(parts: { tenant: string; service: string; snapshot: string }[]): string {
  return parts.map((p) => `${p.tenant}/${p.service}=${p.snapshot}`).join(",");
}
export function parseCompositeRef(ref: string): { tenant: string; service: string; snapshot: string }[] {
  return ref.split(",").map((part) => {
    const m = /^([^/=]+)\/([^=]+)=(\S+)$/.exec(part);
    if (!m) throw new Error(`not a composite snapshot reference: "${part}"`);
    return { tenant: m[1]!, service: m[2]!, snapshot: m[3]! };
  });
}

const SHARED_SERVERS = new Set(["postgres", "mariadb"]);

export function backupAdapter(options: BackupAdapterOptions, log: (line: string) => void): BackupAdapter {
  const repo = {
    ...(options.repo !== undefined ? { repo: options.repo } : {}),
    ...(options.passwordFile !== undefined ? { passwordFile: options.passwordFile } : {}),
  };
  const one: BackupAdapter = {
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
  const isServer = (ref: ServiceRef) => ref.tenant === PLATFORM_TENANT && SHARED_SERVERS.has(ref.service);
  return {
    async backup(ref) {
      if (!isServer(ref)) return one.backup(ref);
      const groups = groupContainers(await listLabelled());
      const server = groups.find((g) => g.tenant === ref.tenant && g.service === ref.service);
      const deps = dependentGroups(groups, server ? server.containers.map((c) => c.name) : []);
      if (deps.length === 0)
        throw new Error(`${ref.tenant}/${ref.service}: no service keeps a database dump there`);
      const parts: { tenant: string; service: string; snapshot: string }[] = [];
      for (const d of deps) parts.push({ ...d, snapshot: await one.backup(d) });
      return formatCompositeRef(parts);
    },
    async restore(ref, snapshot) {
      if (!isServer(ref)) return one.restore(ref, snapshot);
      for (const p of parseCompositeRef(snapshot)) await one.restore(p, p.snapshot);
    },
  };
}
