/**
 * Every container and volume name of a deployment, computed from the config
 * with the components' own naming functions (components/names.ts and the
 * platform's constants), and refused when two parts of the config give the
 * same name: town `b-assos`'s Nextcloud and the site `nextcloud` of town `b`
 * are both `b-assos-nextcloud`; site `assos-b` of `a` and site `b` of
 * `a-assos` are both `a-assos-assos-b`. Names are compared across the whole
 * deployment (not per host), so that placement never makes a config valid or
 * invalid. Nothing is renamed: existing resources keep their names.
 */
import {
  PLATFORM_NAMES as P,
  dbInitContainerName,
  engineNames,
  mariadbVolumeName,
  postgresVolumeName,
  type DatabaseAlias,
  type EngineNames,
} from "../components/names.js";
import { pinned } from "../components/versions.js";
import type { SocleConfig, Tenant } from "./config.js";
import type { Reader } from "./config-checks.js";

/** What the names depend on: the tenants as read (an invalid one is undefined), the shared services, the pins. */
export interface NamedConfig {
  tenants: (Tenant | undefined)[];
  shared: SocleConfig["shared"];
  versions: SocleConfig["versions"];
}

/** The tenant of the shared PeerTube's containers (stacks/program.ts). */
export const SHARED_PEERTUBE_TENANT = "shared";

const none: EngineNames = { containers: [], volumes: [] };
const merge = (a: EngineNames, b: EngineNames): EngineNames => ({
  containers: [...a.containers, ...b.containers],
  volumes: [...a.volumes, ...b.volumes],
});

interface Owner {
  path: string;
  names: EngineNames;
}

/** What every host runs whatever its towns (one set: the names are the same on every host). */
function platformOwner(versions: SocleConfig["versions"]): Owner {
  return {
    path: "socle:target (the platform of every host)",
    names: {
      containers: [P.postgres, P.mariadb, P.proxy, P.proxyRoutes, P.networksJob],
      volumes: [
        postgresVolumeName(versions.postgres ?? pinned("postgres")),
        mariadbVolumeName(versions.mariadb ?? pinned("mariadb")),
        P.proxyData,
        P.proxyConfig,
      ],
    },
  };
}

/** The names each part of one tenant's config gives, with that part's path (none for an invalid tenant). */
function tenantOwners(t: Tenant | undefined, i: number): Owner[] {
  if (typeof t?.slug !== "string" || !t.services) return [];
  const p = `socle:tenants[${i}]`;
  const s = t.services;
  const owners: Owner[] = [];
  const add = (path: string, names: EngineNames) => owners.push({ path: `${p}.${path}`, names });
  if (s.nextcloud) add("services.nextcloud", engineNames.nextcloud(t.slug, s.nextcloud.office));
  if (s.sogo)
    add("services.sogo", merge(engineNames.sogo(t.slug), s.sogo.mail ? none : engineNames.mail(t.slug)));
  if (s.peertube && !s.peertube.shared) add("services.peertube", engineNames.peertube(t.slug));
  if (s.peertube?.shared) add("services.peertube.shared", engineNames.peertubeChannel(t.slug));
  // The network jobs that attach the shared database servers its apps use to its back-end network.
  const servers: DatabaseAlias[] = [
    ...(s.nextcloud || s.sogo || (s.peertube && !s.peertube.shared) ? (["postgres"] as const) : []),
    ...(s.wordpress?.sites.length ? (["mariadb"] as const) : []),
  ];
  if (servers.length > 0) add("slug", engineNames.tenantNetworks(t.slug, servers));
  const sites = new Set<string>(); // a repeated site slug is reported as such (stacks/config-tenants.ts)
  s.wordpress?.sites.forEach((site, j) => {
    if (typeof site.slug !== "string" || sites.has(site.slug)) return;
    sites.add(site.slug);
    add(`services.wordpress.sites[${j}]`, engineNames.wordpress(t.slug, site.slug));
  });
  return owners;
}

/** Every owner of names in the deployment, deployment-wide ones first. */
export function deploymentOwners(cfg: NamedConfig): Owner[] {
  const keycloak: Owner = {
    path: "socle:sso (Keycloak)",
    names: {
      containers: [P.keycloak, dbInitContainerName("_platform", "keycloak")],
      volumes: [],
    },
  };
  const owners = [platformOwner(cfg.versions), keycloak];
  if (cfg.shared.peertube) {
    const names = merge(
      engineNames.peertube(SHARED_PEERTUBE_TENANT),
      engineNames.tenantNetworks(SHARED_PEERTUBE_TENANT, ["postgres"]),
    );
    owners.push({ path: "socle:shared.peertube", names });
  }
  const slugs = new Set<string>(); // a repeated slug is reported as such (stacks/config.ts)
  cfg.tenants.forEach((t, i) => {
    if (t === undefined || slugs.has(t.slug)) return;
    slugs.add(t.slug);
    owners.push(...tenantOwners(t, i));
  });
  return owners;
}

/**
 * Reports each part of the config that gives a container or volume name an
 * earlier part already gives, naming both paths (one line per pair of parts).
 */
export function checkEngineNames(r: Reader, cfg: NamedConfig): void {
  const first = new Map<string, string>();
  for (const owner of deploymentOwners(cfg)) {
    const clashes = new Map<string, string[]>();
    const kinds = [
      ["container", owner.names.containers],
      ["volume", owner.names.volumes],
    ] as const;
    for (const [kind, names] of kinds) {
      for (const name of names) {
        const key = `${kind} ${name}`;
        const seen = first.get(key);
        if (seen === undefined) first.set(key, owner.path);
        else if (seen !== owner.path)
          clashes.set(seen, [...(clashes.get(seen) ?? []), `the ${kind} name "${name}"`]);
      }
    }
    for (const [seen, names] of clashes) {
      const more = names.length > 1 ? ` (and ${names.slice(1).join(", ")})` : "";
      r.add(owner.path, `${names[0]}${more} is already used by ${seen}`);
    }
  }
}
