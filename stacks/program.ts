/**
 * The Socle program, as a function of the validated config (so tests and the
 * scale benchmark can run it with any config under the mock engine):
 *
 *   placement (pure, may refuse) → hosts → one Platform per host → Keycloak
 *   and a realm per tenant → each tenant's services on its host → one
 *   ReverseProxy per host with every route on it → outputs.
 *
 * Nothing is declared before the config and the placement have been checked.
 */
import * as pulumi from "@pulumi/pulumi";
import { Keycloak, memoryMbFor as keycloakMemory } from "../components/apps/keycloak.js";
import { KeycloakRealm } from "../components/apps/keycloak-realm.js";
import { KeycloakOperators } from "../components/apps/keycloak-operators.js";
import {
  PeerTube,
  memoryMbFor as peertubeMemory,
  previousPeertubeHostnames,
} from "../components/apps/peertube.js";
import type { DockerHost } from "../components/hosts/docker-host.js";
import { Platform } from "../components/platform/platform.js";
import { PROXY_DEFAULTS, ReverseProxy } from "../components/platform/proxy.js";
import { POSTGRES_DEFAULTS } from "../components/platform/postgres.js";
import { MARIADB_DEFAULTS } from "../components/platform/mariadb.js";
import type { Route } from "../components/platform/route.js";
import type { CapacityRow } from "../templates/capacity-report.js";
import { servesMail, type SocleConfig } from "./config.js";
import { SHARED_PEERTUBE_TENANT } from "./config-names.js";
import { declareHosts, placementHosts, type HostExtras } from "./hosts.js";
import { place, type Placement } from "./placement.js";
import { declareTenant, tenantMemoryMb, type TenantOutputs } from "./tenant.js";
import { networkSlots, tenantsByHost } from "./network-slots.js";
import type { NetworkSlots } from "../components/platform/network-plan.js";

/** Memory of what every host runs whatever its tenants: proxy, PostgreSQL, MariaDB (MiB). */
export const PLATFORM_MEMORY_MB =
  PROXY_DEFAULTS.memoryMb + POSTGRES_DEFAULTS.memoryMb + MARIADB_DEFAULTS.memoryMb;

export interface ProgramResult {
  placement: Placement;
  hosts: Map<string, DockerHost>;
  keycloak: Keycloak;
  tenants: Record<string, TenantOutputs & { host: string }>;
  capacity: CapacityRow[];
  peertubeHostnames: pulumi.Output<Record<string, string>>;
  /** host → tenant → network slot (exported, read back by the next update). */
  networkSlots: pulumi.Output<NetworkSlots>;
  sharedPeertube?: PeerTube;
}

export interface ProgramOptions {
  /** Files and first-boot commands for every host (the backup units). */
  hostExtras?: Omit<HostExtras, "mailHosts">;
  /** Read the previous PeerTube hostnames and network slots from the stack itself (default true; off in benchmarks). */
  readPreviousOutputs?: boolean;
}

/** Where deployment-wide services run: the first host (declaration order). */
export function sharedHost(cfg: SocleConfig): string {
  return placementHosts(cfg)[0]!.name;
}

export function computePlacement(cfg: SocleConfig): Placement {
  const home = sharedHost(cfg);
  const shared = [{ name: "keycloak", host: home, memoryMb: keycloakMemory({}) }];
  if (cfg.shared.peertube)
    shared.push({ name: "peertube (shared)", host: home, memoryMb: peertubeMemory({}) });
  return place({
    hosts: placementHosts(cfg),
    tenants: cfg.tenants.map((t) => ({
      slug: t.slug,
      memoryMb: tenantMemoryMb(t),
      mail: servesMail(t),
      ...(t.host !== undefined ? { host: t.host } : {}),
    })),
    platformMb: PLATFORM_MEMORY_MB,
    shared,
  });
}

export function buildProgram(cfg: SocleConfig, options: ProgramOptions = {}): ProgramResult {
  const placement = computePlacement(cfg); // throws before any resource is declared
  const mailHosts = new Set(cfg.tenants.filter(servesMail).map((t) => placement.byTenant[t.slug]!));
  const hosts = declareHosts(cfg, {
    files: options.hostExtras?.files ?? [],
    commands: options.hostExtras?.commands ?? [],
    mailHosts,
  });
  const platforms = new Map<string, Platform>();
  const v = cfg.versions; // deployment-wide pins (socle:versions), else the catalogue's
  const home = sharedHost(cfg);
  // Deployment-wide names (served on the home host): every container resolves them to
  // its own proxy on the home host, to the home host's address elsewhere.
  const shared = [cfg.sso.domain, ...(cfg.shared.peertube ? [cfg.shared.peertube.domain] : [])];
  // Each tenant's networks on its host: slots kept from the previous deployment.
  const slots = networkSlots(tenantsByHost(cfg, placement, home), options.readPreviousOutputs !== false);
  for (const [name, host] of hosts) {
    platforms.set(
      name,
      new Platform(`${name}-platform`, {
        host,
        tenantSlots: slots.apply((s) => s[name] ?? {}),
        sharedNames: shared.map((n) => (name === home ? n : { name: n, address: hosts.get(home)!.address })),
        ...(v.postgres ? { postgresVersion: v.postgres } : {}),
        ...(v.mariadb ? { mariadbVersion: v.mariadb } : {}),
        ...(v.dockercli ? { dockerCliVersion: v.dockercli } : {}),
      }),
    );
  }
  const routesByHost = new Map<string, Route[]>([...hosts.keys()].map((h) => [h, []]));

  // Keycloak reaches its admin API through the proxy of its host, which is declared
  // last (it needs every route): realms wait on a promise of that proxy's routes job
  // (the job that installs the sites and reloads Caddy; then sso.… is served).
  let proxyReady!: (r: pulumi.Resource) => void;
  const homeProxy = new Promise<pulumi.Resource>((resolve) => (proxyReady = resolve));
  const keycloak = new Keycloak("keycloak", {
    platform: platforms.get(home)!,
    domain: cfg.sso.domain,
    ...(v.keycloak ? { version: v.keycloak } : {}),
  });
  routesByHost.get(home)!.push(...keycloak.routes);
  new KeycloakOperators("operators", { keycloak }, { dependsOn: [homeProxy] });

  const previousPeertube: pulumi.Output<Record<string, string>> =
    options.readPreviousOutputs === false
      ? pulumi.output<Record<string, string>>({})
      : previousPeertubeHostnames();
  let sharedPeertube: PeerTube | undefined;
  if (cfg.shared.peertube) {
    sharedPeertube = new PeerTube("shared-peertube", {
      tenant: SHARED_PEERTUBE_TENANT,
      domain: cfg.shared.peertube.domain,
      platform: platforms.get(home)!,
      adminEmail: `admin@${cfg.shared.peertube.domain}`,
      previousHostname: previousPeertube.apply((m) => m[SHARED_PEERTUBE_TENANT]),
      instanceName: "PeerTube",
      ...(v.peertube ? { version: v.peertube } : {}),
      ...(v.redis ? { redisVersion: v.redis } : {}),
    });
    routesByHost.get(home)!.push(...sharedPeertube.routes);
  }

  const tenants: ProgramResult["tenants"] = {};
  const peertubeHostnames: Record<string, pulumi.Output<string>> = {};
  if (sharedPeertube) peertubeHostnames[SHARED_PEERTUBE_TENANT] = sharedPeertube.hostname;
  const federated = cfg.tenants.filter((t) => t.federation);
  for (const t of cfg.tenants) {
    const hostName = placement.byTenant[t.slug]!;
    const realm = new KeycloakRealm(
      `${t.slug}-realm`,
      { keycloak, realm: t.slug, displayName: t.name },
      { dependsOn: [homeProxy] },
    );
    const siblings = federated.filter((o) => o.slug !== t.slug);
    const declared = declareTenant({
      tenant: t,
      platform: platforms.get(hostName)!,
      realm,
      siblings: {
        nextcloud: siblings
          .filter((o) => o.services.nextcloud)
          .map((o) => `https://${o.services.nextcloud!.subdomain}.${o.domain}`),
        peertube: [
          ...siblings
            .filter((o) => o.services.peertube && !o.services.peertube.shared)
            .map((o) => `${o.services.peertube!.subdomain}.${o.domain}`),
          ...(cfg.shared.peertube ? [cfg.shared.peertube.domain] : []),
        ],
      },
      previousPeertube,
      caches: { ...(v.redis ? { redis: v.redis } : {}), ...(v.memcached ? { memcached: v.memcached } : {}) },
      ...(sharedPeertube
        ? { sharedPeertube: { instance: sharedPeertube, platform: platforms.get(home)! } }
        : {}),
    });
    routesByHost.get(hostName)!.push(...declared.routes);
    tenants[t.slug] = { host: hostName, ...declared.outputs };
    if (declared.outputs.peertubeHostname) peertubeHostnames[t.slug] = declared.outputs.peertubeHostname;
  }

  for (const [name, host] of hosts) {
    const platform = platforms.get(name)!;
    const proxy = new ReverseProxy(`${name}-proxy`, {
      host,
      web: platform.web,
      dataVolume: platform.proxyData,
      address: platform.proxyAddress,
      routes: routesByHost.get(name)!,
      ...(v.caddy ? { version: v.caddy } : {}),
      ...(cfg.target.acmeEmail ? { acmeEmail: cfg.target.acmeEmail } : {}),
    });
    // The proxy on every tenant's web network (a one-shot job: the proxy itself never changes).
    platform.attachProxy(proxy);
    if (name === home) proxyReady(proxy.routesJob);
  }

  const capacity: CapacityRow[] = placement.hosts.map((h) => ({
    host: h.host,
    capacityMb: h.capacityMb,
    declaredMb: h.declaredMb,
    tenants: h.tenants,
    shared: h.shared,
  }));
  return {
    placement,
    hosts,
    keycloak,
    tenants,
    capacity,
    peertubeHostnames: pulumi.output(peertubeHostnames),
    networkSlots: slots,
    ...(sharedPeertube ? { sharedPeertube } : {}),
  };
}
