/**
 * The label contract between components (which declare containers) and the
 * `socle` scripts (which discover them). Both sides import this module; no
 * other file spells a label name.
 *
 * - `socle.tenant`, `socle.service`, `socle.role` (app | db | cache | proxy | mail | job)
 * - `socle.backup.volumes`: comma-separated Docker volume names to save
 * - `socle.backup.dump`: `postgres:<database>` or `mariadb:<database>`
 * - `socle.backup.dump.container`: the container the dump runs in (a shared database
 *   server, e.g. `socle-postgres`); absent: the labelled container itself
 * - `socle.backup.pre` / `socle.backup.post`: shell commands run in this container around the copy
 * - `socle.backup.restore.post`: shell command run in this container after a restore
 * - `socle.health`: `http:<port><path>` (GET, 2xx) or `cmd:<shell command>` (exit 0)
 * - `socle.version`: the pinned version, read by the update planner
 * - `socle.network` (on a tenant's NETWORKS, with `socle.tenant`): `web` or `back`; the
 *   platform's network job disconnects the shared containers from those no tenant uses
 */
export const LABELS = {
  tenant: "socle.tenant",
  service: "socle.service",
  role: "socle.role",
  backupVolumes: "socle.backup.volumes",
  backupDump: "socle.backup.dump",
  backupDumpContainer: "socle.backup.dump.container",
  backupPre: "socle.backup.pre",
  backupPost: "socle.backup.post",
  restorePost: "socle.backup.restore.post",
  health: "socle.health",
  version: "socle.version",
  network: "socle.network",
} as const;

export type Role = "app" | "db" | "cache" | "proxy" | "mail" | "job";
export const ROLES: readonly Role[] = ["app", "db", "cache", "proxy", "mail", "job"];

export type DumpSpec = { engine: "postgres" | "mariadb"; database: string };

/** What a component declares about one container. */
export interface LabelSpec {
  tenant: string;
  service: string;
  role: Role;
  version?: string;
  volumes?: string[];
  dump?: DumpSpec;
  /** Container the dump runs in, when not the labelled one (shared database servers). */
  dumpContainer?: string;
  pre?: string;
  post?: string;
  restorePost?: string;
  health?: string;
}

/** Docker provider label list, sorted by label name so a re-run shows no diff. */
export function socleLabels(spec: LabelSpec): { label: string; value: string }[] {
  const out: Record<string, string> = {
    [LABELS.tenant]: spec.tenant,
    [LABELS.service]: spec.service,
    [LABELS.role]: spec.role,
  };
  if (spec.version !== undefined) out[LABELS.version] = spec.version;
  if (spec.volumes && spec.volumes.length > 0) out[LABELS.backupVolumes] = spec.volumes.join(",");
  if (spec.dump) out[LABELS.backupDump] = formatDump(spec.dump);
  if (spec.dumpContainer !== undefined) out[LABELS.backupDumpContainer] = spec.dumpContainer;
  if (spec.pre !== undefined) out[LABELS.backupPre] = spec.pre;
  if (spec.post !== undefined) out[LABELS.backupPost] = spec.post;
  if (spec.restorePost !== undefined) out[LABELS.restorePost] = spec.restorePost;
  if (spec.health !== undefined) out[LABELS.health] = spec.health;
  return Object.keys(out)
    .sort()
    .map((label) => ({ label, value: out[label]! }));
}

export function formatDump(d: DumpSpec): string {
  return `${d.engine}:${d.database}`;
}

/** Parses a `socle.backup.dump` value; throws an exact message on a malformed one. */
export function parseDump(value: string): DumpSpec {
  const m = /^(postgres|mariadb):([A-Za-z0-9_][A-Za-z0-9_-]*)$/.exec(value);
  if (!m) {
    throw new Error(`${LABELS.backupDump}: "${value}" is not postgres:<database> or mariadb:<database>`);
  }
  return { engine: m[1] as DumpSpec["engine"], database: m[2]! };
}

/** Parses `socle.backup.volumes` (comma-separated, blanks ignored). */
export function parseVolumes(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export type HealthSpec = { kind: "http"; port: number; path: string } | { kind: "cmd"; command: string };

export function parseHealth(value: string): HealthSpec {
  const http = /^http:(\d{1,5})(\/.*)$/.exec(value);
  if (http) return { kind: "http", port: Number(http[1]), path: http[2]! };
  if (value.startsWith("cmd:") && value.length > 4) return { kind: "cmd", command: value.slice(4) };
  throw new Error(`${LABELS.health}: "${value}" is not http:<port>/<path> or cmd:<command>`);
}
