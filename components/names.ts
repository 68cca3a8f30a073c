/**
 * The engine names (containers, volumes) and database names of the app
 * components, as pure functions of their arguments: the components name
 * their children with these, and the config reader (stacks/config-names.ts)
 * computes every name of a deployment with the same functions, to refuse two
 * towns (or a town and a site) whose names collide before anything is declared.
 *
 * Names are `<tenant>-<service>[-<part>]` (docs/architecture.md); the
 * platform's own are `socle-<what>` (`PLATFORM_NAMES`). Database names are the
 * label contract's (`serviceDatabase`, components/labels.ts, which discovery
 * checks dumps against). This module imports only that one, which imports
 * nothing: the config reader uses it without loading any provider.
 */
import { PLATFORM_TENANT, serviceDatabase } from "./labels.js";

/** The names every host's platform (and Keycloak, on the first host) declares, whatever its towns. */
export const PLATFORM_NAMES = {
  postgres: "socle-postgres",
  mariadb: "socle-mariadb",
  proxy: "socle-proxy",
  proxyRoutes: "socle-proxy-routes",
  proxyData: "socle-proxy-data",
  proxyConfig: "socle-proxy-config",
  keycloak: "socle-keycloak",
  /** The host's network job (the proxy on every tenant's web network; components/platform/platform.ts). */
  networksJob: "socle-networks",
} as const;

/** Major version of a PostgreSQL version string (`17.6` → 17). */
export function postgresMajor(version: string): number {
  return Number(version.split(".")[0]);
}

/**
 * One data volume per major: a new major starts on an empty volume (filled by
 * `socle update`'s dump and restore) while the old major's volume is kept
 * (volumes are retained on delete), so nothing is lost and a rollback is
 * possible. Reusing a volume across majors would not convert it: the new
 * server refuses it (or, from 18, initialises an empty cluster beside it).
 */
export function postgresVolumeName(version: string): string {
  return `${PLATFORM_NAMES.postgres}-${postgresMajor(version)}-data`;
}

/** MariaDB's major is its first two numbers (`11.4.8` → `11.4`). */
export function mariadbMajor(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`mariadb: version "${version}" is not <major>.<minor>[.<patch>]`);
  return `${m[1]}.${m[2]}`;
}

/** One data volume per major, as for PostgreSQL (see `postgresVolumeName`). */
export function mariadbVolumeName(version: string): string {
  return `${PLATFORM_NAMES.mariadb}-${mariadbMajor(version)}-data`;
}

/** The one-shot database initialiser of a service: `<tenant>-<service>-dbinit` (`socle-…` for `_platform`). */
export function dbInitContainerName(tenant: string, service: string): string {
  return tenant === PLATFORM_TENANT ? `socle-${service}-dbinit` : `${tenant}-${service}-dbinit`;
}

/** The `socle.service` of the network jobs (components/platform/network-job.ts). */
export const NETWORK_JOB_SERVICE = "network";

/** The shared database servers, by their alias on a tenant's back-end network. */
export type DatabaseAlias = "postgres" | "mariadb";

/**
 * The one-shot job that attaches a shared database server (by its alias) to a
 * tenant's back-end network: `<tenant>-network-<alias>` (components/platform/tenant-networks.ts).
 */
export function networkJobName(tenant: string, alias: string): string {
  return `${tenant}-${NETWORK_JOB_SERVICE}-${alias}`;
}

export function nextcloudNames(tenant: string) {
  const app = `${tenant}-nextcloud`;
  return {
    app,
    cron: `${app}-cron`,
    redis: `${app}-redis`,
    federation: `${app}-federation`,
    dbInit: dbInitContainerName(tenant, "nextcloud"),
    html: `${app}-html`,
    data: `${app}-data`,
  };
}

export function collaboraNames(tenant: string) {
  return { app: `${tenant}-collabora` };
}

export function sogoNames(tenant: string) {
  const app = `${tenant}-sogo`;
  return {
    app,
    web: `${app}-web`,
    cron: `${app}-cron`,
    memcached: `${app}-memcached`,
    dbInit: dbInitContainerName(tenant, "sogo"),
    backups: `${app}-backups`,
  };
}

export function mailNames(tenant: string) {
  const app = `${tenant}-mail`;
  return {
    app,
    /** The copier of the mail server's own certificate into its `tls` volume. */
    certs: `${app}-certs`,
    volume: (part: "data" | "state" | "config" | "tls") => `${app}-${part}`,
  };
}

export function peertubeNames(tenant: string) {
  const app = `${tenant}-peertube`;
  return {
    app,
    redis: `${app}-redis`,
    follow: followJobName(app),
    dbInit: dbInitContainerName(tenant, "peertube"),
    data: `${app}-data`,
    config: `${app}-config`,
  };
}

/** The one-shot job that makes a PeerTube instance follow its siblings (components/apps/peertube-follow.ts). */
export function followJobName(instanceContainer: string): string {
  return `${instanceContainer}-follow`;
}

/** A member town's account job on the shared PeerTube. */
export function peertubeChannelNames(tenant: string) {
  return { job: `${tenant}-peertube-account` };
}

/** The `socle.service` of an association's site. */
export const wordpressService = (site: string): string => `wordpress-${site}`;

export function wordpressNames(tenant: string, site: string) {
  const app = `${tenant}-assos-${site}`;
  return {
    app,
    html: `${app}-html`,
    dbInit: dbInitContainerName(tenant, wordpressService(site)),
    /** MariaDB database (and user): `<tenant>_assos_<site>`, dashes as underscores (`serviceDatabase`). */
    database: serviceDatabase(tenant, wordpressService(site)),
  };
}

/** The engine names a component declares, split by kind (for the config's collision check). */
export interface EngineNames {
  containers: string[];
  volumes: string[];
}

export const engineNames = {
  nextcloud(tenant: string, office: boolean): EngineNames {
    const n = nextcloudNames(tenant);
    return {
      containers: [
        n.app,
        n.cron,
        n.redis,
        n.federation,
        n.dbInit,
        ...(office ? [collaboraNames(tenant).app] : []),
      ],
      volumes: [n.html, n.data],
    };
  },
  sogo(tenant: string): EngineNames {
    const n = sogoNames(tenant);
    return { containers: [n.app, n.web, n.cron, n.memcached, n.dbInit], volumes: [n.backups] };
  },
  /** The mail server with its own certificate (the program always gives it one). */
  mail(tenant: string): EngineNames {
    const n = mailNames(tenant);
    return {
      containers: [n.app, n.certs],
      volumes: [n.volume("data"), n.volume("state"), n.volume("config"), n.volume("tls")],
    };
  },
  peertube(tenant: string): EngineNames {
    const n = peertubeNames(tenant);
    return { containers: [n.app, n.redis, n.follow, n.dbInit], volumes: [n.data, n.config] };
  },
  peertubeChannel(tenant: string): EngineNames {
    return { containers: [peertubeChannelNames(tenant).job], volumes: [] };
  },
  /** A tenant's network jobs: one per shared database server its apps use. */
  tenantNetworks(tenant: string, servers: readonly DatabaseAlias[]): EngineNames {
    return { containers: servers.map((alias) => networkJobName(tenant, alias)), volumes: [] };
  },
  wordpress(tenant: string, site: string): EngineNames {
    const n = wordpressNames(tenant, site);
    return { containers: [n.app, n.dbInit], volumes: [n.html] };
  },
};
