/**
 * Placement of tenants on Docker hosts: deterministic and STABLE.
 *
 * Each unpinned tenant goes to the host with the highest weighted rendezvous
 * score for its slug (weighted rendezvous hashing, weight = the host's memory
 * capacity). A tenant's host therefore depends only on its own slug and on the
 * set of hosts: adding, resizing or removing a tenant never moves another one.
 * (Adding or removing a HOST moves only the tenants whose best score changes;
 * pin a tenant with `host:` to keep it where it is.)
 *
 * The mail ports (25, 465, 587, 993, 4190) are a per-host resource: a host
 * publishes them for ONE town's mail server. A town that runs its own mail
 * server goes to its best host that serves no other town's mail, the towns
 * taken in config order (so appending a town never moves another; a pinned
 * town keeps its pin). Two pinned mail towns on one host, or more mail towns
 * than hosts, are refused (`mailPortProblems`, also called by the config
 * reader, before any resource).
 *
 * Capacity is then checked, per host: platform services + the deployment-wide
 * services placed there + every tenant's declared memory must fit the host's
 * capacity (its memory minus the OS reserve). A host that does not fit is
 * refused before any resource is declared, with how much memory is missing,
 * where, and a pin that would make it fit when one exists.
 */
import { createHash } from "node:crypto";

export interface PlacementHost {
  name: string;
  /** Memory offered to containers, MiB (host memory minus the OS reserve). */
  capacityMb: number;
}

export interface PlacementTenant {
  slug: string;
  /** A pin from the config (`host: apps2`). */
  host?: string;
  /** Declared memory of all its containers, MiB. */
  memoryMb: number;
  /** Runs its own mail server, which publishes the mail ports on its host. */
  mail?: boolean;
}

/** The ports a mail server publishes on its host (templates/cloud-init.ts opens them). */
export const MAIL_PORTS_TEXT = "25, 465, 587, 993 and 4190";

export interface PlacementInput {
  hosts: PlacementHost[];
  tenants: PlacementTenant[];
  /** Memory of the per-host platform (proxy, database servers), MiB, on every host. */
  platformMb: number;
  /** Deployment-wide services (Keycloak, a shared PeerTube), placed on a given host. */
  shared: { name: string; host: string; memoryMb: number }[];
}

export interface HostLoad {
  host: string;
  capacityMb: number;
  declaredMb: number;
  freeMb: number;
  tenants: string[];
  shared: string[];
}

export interface Placement {
  /** tenant slug → host name */
  byTenant: Record<string, string>;
  hosts: HostLoad[];
}

export class PlacementError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join("\n"));
    this.name = "PlacementError";
  }
}

/** The weighted rendezvous score of (tenant, host): higher wins. */
export function score(slug: string, host: PlacementHost): number {
  const digest = createHash("sha256").update(`${slug}\u0000${host.name}`).digest();
  // 52 bits of the hash as a uniform number in (0, 1).
  const u = (Number(digest.readBigUInt64BE(0) >> 12n) + 0.5) / 2 ** 52;
  return -host.capacityMb / Math.log(u);
}

/** The hosts by decreasing score for a tenant (ties: by name). */
export function rankedHosts(slug: string, hosts: PlacementHost[]): string[] {
  return hosts
    .map((h) => ({ name: h.name, s: score(slug, h) }))
    .sort((a, b) => b.s - a.s || a.name.localeCompare(b.name))
    .map((h) => h.name);
}

/** The preferred host of an unpinned tenant (pure: depends on its slug and the host set only). */
export function preferredHost(slug: string, hosts: PlacementHost[]): string {
  const best = rankedHosts(slug, hosts)[0];
  if (best === undefined) throw new PlacementError(["socle:target.hosts: no host to place tenants on"]);
  return best;
}

/**
 * What makes the mail towns impossible to place, one host each: two of them
 * pinned to one host, or more of them than hosts. Pure: the config reader
 * calls it with the config's hosts and pins, `place` with its input.
 */
export function mailPortProblems(
  hosts: readonly string[],
  tenants: readonly { host?: string | undefined; mail?: boolean }[],
): string[] {
  const problems: string[] = [];
  const pinned = new Map<string, number>();
  let count = 0;
  tenants.forEach((t, i) => {
    if (!t.mail) return;
    count++;
    if (count > hosts.length) {
      problems.push(
        `socle:tenants[${i}].services.sogo: no host is left for its mail server: ${count} towns run one and ` +
          `${hosts.length === 1 ? "the target has 1 host" : `the target has ${hosts.length} hosts`} ` +
          `(each publishes ports ${MAIL_PORTS_TEXT}; a host has them once): add a host, ` +
          `or give the town its own servers (services.sogo.mail)`,
      );
      return;
    }
    if (t.host === undefined) return;
    const other = pinned.get(t.host);
    if (other !== undefined) {
      problems.push(
        `socle:tenants[${i}].host: "${t.host}" already runs the mail server of socle:tenants[${other}] ` +
          `(ports ${MAIL_PORTS_TEXT} are published once per host): pin it to another host, ` +
          `or give the town its own servers (services.sogo.mail)`,
      );
    } else pinned.set(t.host, i);
  });
  return problems;
}

/** tenant slug → host: pins, then mail towns (a host each, config order), then rendezvous for the rest. */
function assign(input: PlacementInput, errors: string[]): Record<string, string> {
  const hostNames = new Set(input.hosts.map((h) => h.name));
  const byTenant: Record<string, string> = {};
  const mailHosts = new Set<string>();
  input.tenants.forEach((t, i) => {
    if (t.host === undefined) return;
    if (!hostNames.has(t.host)) {
      errors.push(
        `socle:tenants[${i}].host: "${t.host}" is not one of the hosts (${[...hostNames].join(", ")})`,
      );
      return;
    }
    byTenant[t.slug] = t.host;
    if (t.mail) mailHosts.add(t.host);
  });
  for (const t of input.tenants) {
    if (t.host !== undefined) continue;
    const ranked = rankedHosts(t.slug, input.hosts);
    const host = t.mail ? ranked.find((h) => !mailHosts.has(h)) : ranked[0];
    if (host === undefined) continue; // reported by mailPortProblems
    byTenant[t.slug] = host;
    if (t.mail) mailHosts.add(host);
  }
  return byTenant;
}

const gib = (mb: number) => `${(mb / 1024).toFixed(1)} GiB`;

export function place(input: PlacementInput): Placement {
  const hostNames = new Set(input.hosts.map((h) => h.name));
  if (input.hosts.length === 0) throw new PlacementError(["socle:target.hosts: no host to place tenants on"]);
  const errors = mailPortProblems([...hostNames], input.tenants);
  const byTenant = assign(input, errors);
  for (const s of input.shared) {
    if (!hostNames.has(s.host)) errors.push(`${s.name}: host "${s.host}" is not one of the hosts`);
  }
  if (errors.length > 0) throw new PlacementError(errors);

  const hosts: HostLoad[] = input.hosts.map((h) => {
    const tenants = input.tenants.filter((t) => byTenant[t.slug] === h.name);
    const shared = input.shared.filter((s) => s.host === h.name);
    const declaredMb =
      input.platformMb +
      shared.reduce((a, s) => a + s.memoryMb, 0) +
      tenants.reduce((a, t) => a + t.memoryMb, 0);
    return {
      host: h.name,
      capacityMb: h.capacityMb,
      declaredMb,
      freeMb: h.capacityMb - declaredMb,
      tenants: tenants.map((t) => t.slug),
      shared: shared.map((s) => s.name),
    };
  });

  for (const load of hosts) {
    if (load.freeMb >= 0) continue;
    const missing = -load.freeMb;
    let line =
      `socle:target.hosts: host "${load.host}" is short of ${missing} MiB (${gib(missing)}): ` +
      `${load.declaredMb} MiB declared for ${load.capacityMb} MiB available` +
      ` (tenants: ${load.tenants.join(", ") || "none"})`;
    const hint = pinHint(load, hosts, input.tenants, missing, byTenant);
    if (hint) line += `; ${hint}`;
    errors.push(line);
  }
  const totalCapacity = hosts.reduce((a, h) => a + h.capacityMb, 0);
  const totalDeclared = hosts.reduce((a, h) => a + h.declaredMb, 0);
  if (totalDeclared > totalCapacity) {
    errors.push(
      `socle:target.hosts: the cluster is short of ${totalDeclared - totalCapacity} MiB ` +
        `(${gib(totalDeclared - totalCapacity)}): ${totalDeclared} MiB declared for ${totalCapacity} MiB ` +
        `available on ${hosts.length} host(s); add a host or more memory`,
    );
  }
  if (errors.length > 0) throw new PlacementError(errors);
  return { byTenant, hosts };
}

/** A pin that would relieve an overloaded host: the smallest tenant that frees enough and fits elsewhere. */
function pinHint(
  load: HostLoad,
  hosts: HostLoad[],
  tenants: PlacementTenant[],
  missing: number,
  byTenant: Record<string, string>,
): string | undefined {
  const mailHosts = new Set(tenants.filter((t) => t.mail).map((t) => byTenant[t.slug]));
  const candidates = tenants
    .filter((t) => load.tenants.includes(t.slug) && t.host === undefined && t.memoryMb >= missing)
    .sort((a, b) => a.memoryMb - b.memoryMb || a.slug.localeCompare(b.slug));
  for (const t of candidates) {
    const target = hosts
      .filter((h) => h.host !== load.host && h.freeMb >= t.memoryMb && !(t.mail && mailHosts.has(h.host)))
      .sort((a, b) => b.freeMb - a.freeMb || a.host.localeCompare(b.host))[0];
    if (target) return `pin tenant "${t.slug}" to "${target.host}" (host: ${target.host}) to make it fit`;
  }
  return undefined;
}
