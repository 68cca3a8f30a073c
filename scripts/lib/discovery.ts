/**
 * From containers on the engine to backup groups (pure). A group is every
 * container sharing (`socle.tenant`, `socle.service`); the label contract
 * (components/labels.ts) says what each one contributes: hooks, dumps,
 * volumes, health, version.
 */
import {
  LABELS,
  NAME_RE,
  PLATFORM_TENANT,
  VOLUME_RE,
  isPlatformDatabaseServer,
  parseDump,
  parseHealth,
  parseVolumes,
  serviceDatabase,
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
  /** True on the platform's shared server (the database is then the group's own, `serviceDatabase`). */
  shared: boolean;
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

export function groupKey(g: { tenant: string; service: string }): string {
  return `${g.tenant}/${g.service}`;
}

/**
 * Groups labelled containers by (tenant, service); sorted by tenant then
 * service. Labels are checked against the contract's grammar, and a dump may
 * only run in the group's own containers or in the platform's shared server of
 * its engine, on the group's own database; what fails is a group problem.
 */
export function groupContainers(containers: EngineContainer[], filter: GroupFilter = {}): BackupGroup[] {
  const groups = new Map<string, BackupGroup>();
  const byName = new Map(containers.map((c) => [c.name, c]));
  const sorted = [...containers].sort((a, b) => a.name.localeCompare(b.name));
  for (const c of sorted) {
    const tenant = c.labels[LABELS.tenant];
    const service = c.labels[LABELS.service];
    if (!tenant || !service) continue;
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
    addContainer(g, c, byName);
  }
  // Every group is built (a claim of another town's database is found even
  // under a filter), then the filter applies.
  refuseSharedClaims([...groups.values()]);
  return [...groups.values()]
    .filter((g) => filter.tenant === undefined || g.tenant === filter.tenant)
    .filter((g) => filter.service === undefined || g.service === filter.service)
    .map((g) => ({ ...g, volumes: g.volumes.sort() }))
    .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.service.localeCompare(b.service));
}

function addContainer(g: BackupGroup, c: EngineContainer, byName: Map<string, EngineContainer>): void {
  g.containers.push(c);
  const l = c.labels;
  for (const label of [LABELS.tenant, LABELS.service]) {
    if (!NAME_RE.test(l[label]!)) g.problems.push(`${c.name}: ${label}: "${l[label]}" is not a valid name`);
  }
  const version = l[LABELS.version];
  if (version && g.version === "unknown") g.version = version;
  if (l[LABELS.backupPre]) g.pre.push({ container: c.name, command: l[LABELS.backupPre]! });
  if (l[LABELS.backupPost]) g.post.push({ container: c.name, command: l[LABELS.backupPost]! });
  if (l[LABELS.restorePost]) g.restorePost.push({ container: c.name, command: l[LABELS.restorePost]! });
  if (l[LABELS.backupDump]) {
    try {
      const d = dumpTarget(g, c, byName);
      if (
        !g.dumps.some(
          (x) => x.engine === d.engine && x.database === d.database && x.container === d.container,
        )
      )
        g.dumps.push(d);
    } catch (e) {
      g.problems.push(`${c.name}: ${(e as Error).message}`);
    }
  }
  for (const v of parseVolumes(l[LABELS.backupVolumes])) {
    if (!VOLUME_RE.test(v)) {
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

/**
 * Where a container's dump runs: itself or another container of its group
 * (any database), or the platform's shared server of the engine (only the
 * group's own database, `serviceDatabase`). Anything else throws one line.
 */
function dumpTarget(g: BackupGroup, c: EngineContainer, byName: Map<string, EngineContainer>): DumpTarget {
  const spec = parseDump(c.labels[LABELS.backupDump]!);
  const name = c.labels[LABELS.backupDumpContainer] || c.name;
  const target = byName.get(name);
  const own =
    target !== undefined &&
    target.labels[LABELS.tenant] === g.tenant &&
    target.labels[LABELS.service] === g.service;
  if (own) return { ...spec, container: name, declaredBy: c.name, shared: false };
  if (!target || !isPlatformDatabaseServer(target.labels, spec.engine)) {
    throw new Error(
      `${LABELS.backupDumpContainer}: "${name}" is neither a container of ${groupKey(g)} nor the platform's ${spec.engine} server (${LABELS.tenant}=${PLATFORM_TENANT}, ${LABELS.role}=db, ${LABELS.service}=${spec.engine}); fix the label`,
    );
  }
  const mine = serviceDatabase(g.tenant, g.service);
  if (spec.database !== mine) {
    throw new Error(
      `${LABELS.backupDump}: database "${spec.database}" on the shared server ${name} is not ${groupKey(g)}'s own (${mine}); fix the label`,
    );
  }
  return { ...spec, container: name, declaredBy: c.name, shared: true };
}

/** Two groups claiming one database of a shared server: both refused (never one town's data in another's backup). */
function refuseSharedClaims(groups: BackupGroup[]): void {
  const claims = new Map<string, { g: BackupGroup; d: DumpTarget }[]>();
  for (const g of groups)
    for (const d of g.dumps.filter((x) => x.shared)) {
      const k = `${d.container}/${d.database}`;
      claims.set(k, [...(claims.get(k) ?? []), { g, d }]);
    }
  for (const list of claims.values()) {
    if (list.length < 2) continue;
    for (const { g, d } of list) {
      const others = list.filter((x) => x.g !== g).map((x) => groupKey(x.g));
      g.problems.push(
        `${d.declaredBy}: ${LABELS.backupDump}: database "${d.database}" on ${d.container} is also claimed by ${others.join(", ")}; fix the labels`,
      );
      g.dumps = g.dumps.filter((x) => x !== d);
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
