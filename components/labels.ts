/**
 * The label contract between components (which declare containers) and the
 * `socle` scripts (which discover them). Both sides import this module; no
 * other file spells a label name.
 *
 * - `socle.tenant`, `socle.service`, `socle.role` (app | db | cache | proxy | mail | job)
 * - `socle.backup.volumes`: comma-separated Docker volume names to save
 * - `socle.backup.dump`: `postgres:<database>` or `mariadb:<database>`
 * - `socle.backup.dump.container`: the container the dump runs in; absent: the labelled
 *   container itself. Another container must be the platform's shared server of that
 *   engine (`isPlatformDatabaseServer`), and the database the group's own (`serviceDatabase`)
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

/** The tenant of the deployment's own containers: database servers, proxy, Keycloak. */
export const PLATFORM_TENANT = "_platform";

/** A tenant or service label value (and `--tenant` / `--service`): it ends up in restic tags. */
export const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** A volume in `socle.backup.volumes`: no `,`, `=`, `/` or blank (names reach `--mount` and scripts). */
export const VOLUME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A database in `socle.backup.dump`. */
export const DATABASE_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

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
  const m = /^(postgres|mariadb):(.*)$/.exec(value);
  if (!m || !DATABASE_RE.test(m[2]!)) {
    throw new Error(`${LABELS.backupDump}: "${value}" is not postgres:<database> or mariadb:<database>`);
  }
  return { engine: m[1] as DumpSpec["engine"], database: m[2]! };
}

/**
 * The database a tenant's service owns on the platform's shared servers:
 * `<tenant>_<service>` (`demo_nextcloud`), `<tenant>_assos_<site>` for the
 * WordPress site `wordpress-<site>`, the service alone for the platform's own
 * (`keycloak`); dashes become underscores. The components create it under this
 * name; discovery refuses a dump on a shared server that names another.
 */
export function serviceDatabase(tenant: string, service: string): string {
  if (tenant === PLATFORM_TENANT) return service.replace(/-/g, "_");
  const site = /^wordpress-(.+)$/.exec(service)?.[1];
  return `${tenant}_${site !== undefined ? `assos_${site}` : service}`.replace(/-/g, "_");
}

/**
 * The platform's shared server of `engine` (`socle-postgres`, `socle-mariadb`):
 * `socle.tenant=_platform`, `socle.role=db`, `socle.service=<engine>`, as
 * components/platform/db-server.ts labels it. No town's container carries these.
 */
export function isPlatformDatabaseServer(
  labels: Record<string, string>,
  engine: DumpSpec["engine"],
): boolean {
  return (
    labels[LABELS.tenant] === PLATFORM_TENANT &&
    labels[LABELS.role] === "db" &&
    labels[LABELS.service] === engine
  );
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
