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
}

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

/** The preferred host of an unpinned tenant (pure: depends on its slug and the host set only). */
export function preferredHost(slug: string, hosts: PlacementHost[]): string {
  let best: PlacementHost | undefined;
  let bestScore = -Infinity;
  for (const h of hosts) {
    const s = score(slug, h);
    if (s > bestScore || (s === bestScore && best !== undefined && h.name < best.name)) {
      best = h;
      bestScore = s;
    }
  }
  if (!best) throw new PlacementError(["socle:target.hosts: no host to place tenants on"]);
  return best.name;
}

const gib = (mb: number) => `${(mb / 1024).toFixed(1)} GiB`;

export function place(input: PlacementInput): Placement {
  const errors: string[] = [];
  const hostNames = new Set(input.hosts.map((h) => h.name));
  if (input.hosts.length === 0) throw new PlacementError(["socle:target.hosts: no host to place tenants on"]);

  const byTenant: Record<string, string> = {};
  input.tenants.forEach((t, i) => {
    if (t.host !== undefined) {
      if (!hostNames.has(t.host)) {
        errors.push(
          `socle:tenants[${i}].host: "${t.host}" is not one of the hosts (${[...hostNames].join(", ")})`,
        );
        return;
      }
      byTenant[t.slug] = t.host;
    } else {
      byTenant[t.slug] = preferredHost(t.slug, input.hosts);
    }
  });
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
    const hint = pinHint(load, hosts, input.tenants, missing);
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
): string | undefined {
  const candidates = tenants
    .filter((t) => load.tenants.includes(t.slug) && t.host === undefined && t.memoryMb >= missing)
    .sort((a, b) => a.memoryMb - b.memoryMb || a.slug.localeCompare(b.slug));
  for (const t of candidates) {
    const target = hosts
      .filter((h) => h.host !== load.host && h.freeMb >= t.memoryMb)
      .sort((a, b) => b.freeMb - a.freeMb || a.host.localeCompare(b.host))[0];
    if (target) return `pin tenant "${t.slug}" to "${target.host}" (host: ${target.host}) to make it fit`;
  }
  return undefined;
}
