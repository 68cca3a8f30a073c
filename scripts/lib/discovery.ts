/**
 * From containers on the engine to backup groups (pure). A group is every
 * container sharing (`socle.tenant`, `socle.service`); the label contract
 * (components/labels.ts) says what each one contributes: hooks, dumps,
 * volumes, health, version.
 */
import {
  LABELS,
  parseDump,
  parseHealth,
  parseVolumes,
  type DumpSpec,
  type HealthSpec,
} from "../../components/labels.js";

/** What the scripts need to know about one container (from `docker inspect`). */
export interface EngineContainer {
  id: string;
  name: string;
  image: string;
  running: boolean;
  labels: Record<string, string>;
  /** Docker healthcheck status when the container has one ("healthy", "starting", …). */
  health?: string;
}

export interface Hook {
  container: string;
  command: string;
}

export interface DumpTarget extends DumpSpec {
  /** Container the dump runs in (the shared server, or the labelled container itself). */
  container: string;
  /** Container whose label declared it. */
  declaredBy: string;
}

export interface BackupGroup {
  tenant: string;
  service: string;
  version: string;
  /** Containers of the group, sorted by name. */
  containers: EngineContainer[];
  pre: Hook[];
  post: Hook[];
  restorePost: Hook[];
  dumps: DumpTarget[];
  /** Docker volume names, sorted, unique. */
  volumes: string[];
  health: { container: string; spec: HealthSpec }[];
  /** Label errors: the group is reported as failed, never silently skipped. */
  problems: string[];
}

export interface GroupFilter {
  tenant?: string;
  service?: string;
}

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function groupKey(g: { tenant: string; service: string }): string {
  return `${g.tenant}/${g.service}`;
}

/** Groups labelled containers by (tenant, service); sorted by tenant then service. */
export function groupContainers(containers: EngineContainer[], filter: GroupFilter = {}): BackupGroup[] {
  const groups = new Map<string, BackupGroup>();
  const sorted = [...containers].sort((a, b) => a.name.localeCompare(b.name));
  for (const c of sorted) {
    const tenant = c.labels[LABELS.tenant];
    const service = c.labels[LABELS.service];
    if (!tenant || !service) continue;
    if (filter.tenant !== undefined && tenant !== filter.tenant) continue;
    if (filter.service !== undefined && service !== filter.service) continue;
    const key = `${tenant}/${service}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        tenant,
        service,
        version: "unknown",
        containers: [],
        pre: [],
        post: [],
        restorePost: [],
        dumps: [],
        volumes: [],
        health: [],
        problems: [],
      };
      groups.set(key, g);
    }
    addContainer(g, c);
  }
  for (const g of groups.values()) g.volumes.sort();
  return [...groups.values()].sort(
    (a, b) => a.tenant.localeCompare(b.tenant) || a.service.localeCompare(b.service),
  );
}

function addContainer(g: BackupGroup, c: EngineContainer): void {
  g.containers.push(c);
  const l = c.labels;
  const version = l[LABELS.version];
  if (version && g.version === "unknown") g.version = version;
  if (l[LABELS.backupPre]) g.pre.push({ container: c.name, command: l[LABELS.backupPre]! });
  if (l[LABELS.backupPost]) g.post.push({ container: c.name, command: l[LABELS.backupPost]! });
  if (l[LABELS.restorePost]) g.restorePost.push({ container: c.name, command: l[LABELS.restorePost]! });
  if (l[LABELS.backupDump]) {
    try {
      const spec = parseDump(l[LABELS.backupDump]!);
      const container = l[LABELS.backupDumpContainer] || c.name;
      if (
        !g.dumps.some(
          (d) => d.engine === spec.engine && d.database === spec.database && d.container === container,
        )
      ) {
        g.dumps.push({ ...spec, container, declaredBy: c.name });
      }
    } catch (e) {
      g.problems.push(`${c.name}: ${(e as Error).message}`);
    }
  }
  for (const v of parseVolumes(l[LABELS.backupVolumes])) {
    if (!VOLUME_NAME.test(v)) {
      g.problems.push(`${c.name}: ${LABELS.backupVolumes}: "${v}" is not a Docker volume name`);
    } else if (!g.volumes.includes(v)) {
      g.volumes.push(v);
    }
  }
  if (l[LABELS.health]) {
    try {
      g.health.push({ container: c.name, spec: parseHealth(l[LABELS.health]!) });
    } catch (e) {
      g.problems.push(`${c.name}: ${(e as Error).message}`);
    }
  }
}

/** True when the group declares something to save. */
export function hasData(g: BackupGroup): boolean {
  return g.dumps.length > 0 || g.volumes.length > 0;
}

/** Containers a restore stops and starts again: the group's, except the ones dumps run in. */
export function appContainers(g: BackupGroup): EngineContainer[] {
  const dbs = new Set(g.dumps.map((d) => d.container));
  return g.containers.filter((c) => !dbs.has(c.name));
}

/** Human plan lines for `--dry-run`. */
export function describeGroup(g: BackupGroup): string[] {
  const lines = [`${groupKey(g)} (version ${g.version})`];
  for (const h of g.pre) lines.push(`  pre   ${h.container}: ${h.command}`);
  for (const d of g.dumps) lines.push(`  dump  ${d.engine}:${d.database} in ${d.container}`);
  if (g.volumes.length > 0) lines.push(`  vols  ${g.volumes.join(", ")}`);
  for (const h of g.post) lines.push(`  post  ${h.container}: ${h.command}`);
  for (const p of g.problems) lines.push(`  ERROR ${p}`);
  return lines;
}
