import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../hosts/docker-host.js";
import { MariadbServer } from "./mariadb.js";
import { PostgresServer } from "./postgres.js";

export const PLATFORM_DEFAULTS = {
  webNetwork: "socle-web",
  backendNetwork: "socle-backend",
  tenantNetworkPrefix: "socle-t-",
} as const;

export interface PlatformArgs {
  host: DockerHost;
  /** PostgreSQL version; default: the catalogue's pin. */
  postgresVersion?: string;
  /** Default 1024. */
  postgresMemoryMb?: number;
  /** MariaDB version; default: the catalogue's pin. */
  mariadbVersion?: string;
  /** Default 1024. */
  mariadbMemoryMb?: number;
}

const SLUG_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Platform — what every Docker host shares (`socle:platform:Platform`).
 *
 * Networks `socle-web` (the proxy and every app; egress allowed) and
 * `socle-backend` (internal: the database servers and the apps using them),
 * one internal `socle-t-<tenant>` per tenant on demand (`tenantNetwork`), and
 * the shared `PostgresServer` and `MariadbServer` (aliases `postgres`, `mariadb`
 * on `socle-backend`). Adding a tenant only adds a network: no shared container
 * changes.
 *
 * Children: `${name}-web`, `${name}-backend`, `${name}-t-<slug>`,
 * `${name}-postgres`, `${name}-mariadb`.
 */
export class Platform extends pulumi.ComponentResource {
  readonly host: DockerHost;
  readonly web: docker.Network;
  readonly backend: docker.Network;
  readonly postgres: PostgresServer;
  readonly mariadb: MariadbServer;
  private readonly platformName: string;
  private readonly tenantNetworks = new Map<string, docker.Network>();

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:Platform", name, {}, opts);
    this.platformName = name;
    this.host = args.host;
    const netOpts = { parent: this, provider: args.host.provider };
    this.web = new docker.Network(`${name}-web`, { name: PLATFORM_DEFAULTS.webNetwork }, netOpts);
    this.backend = new docker.Network(
      `${name}-backend`,
      { name: PLATFORM_DEFAULTS.backendNetwork, internal: true },
      netOpts,
    );
    this.postgres = new PostgresServer(
      `${name}-postgres`,
      {
        host: args.host,
        network: this.backend,
        ...(args.postgresVersion !== undefined ? { version: args.postgresVersion } : {}),
        ...(args.postgresMemoryMb !== undefined ? { memoryMb: args.postgresMemoryMb } : {}),
      },
      { parent: this },
    );
    this.mariadb = new MariadbServer(
      `${name}-mariadb`,
      {
        host: args.host,
        network: this.backend,
        ...(args.mariadbVersion !== undefined ? { version: args.mariadbVersion } : {}),
        ...(args.mariadbMemoryMb !== undefined ? { memoryMb: args.mariadbMemoryMb } : {}),
      },
      { parent: this },
    );
    this.registerOutputs({ web: this.web.name, backend: this.backend.name });
  }

  /** The tenant's internal network `socle-t-<slug>`, created once per slug (memoized). */
  tenantNetwork(slug: string): docker.Network {
    if (!SLUG_RE.test(slug)) throw new Error(`platform: tenant "${slug}" is not a slug ([a-z0-9-])`);
    let net = this.tenantNetworks.get(slug);
    if (!net) {
      net = new docker.Network(
        `${this.platformName}-t-${slug}`,
        { name: `${PLATFORM_DEFAULTS.tenantNetworkPrefix}${slug}`, internal: true },
        { parent: this, provider: this.host.provider },
      );
      this.tenantNetworks.set(slug, net);
    }
    return net;
  }

  /** Memory declared by the platform's own containers, MiB (for placement). */
  get memoryMb(): number {
    return this.postgres.memoryMb + this.mariadb.memoryMb;
  }
}
