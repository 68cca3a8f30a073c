import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { pullImage, setNetworkHosts, stateVolume, type HostEntry } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { imageRef } from "../versions.js";
import { MariadbServer } from "./mariadb.js";
import { declareNetworkJob } from "./network-job.js";
import {
  addressBlock,
  NETWORK_PLAN,
  platformWebSpec,
  type AddressBlock,
  type WebAddressing,
} from "./network-plan.js";
import { PostgresServer } from "./postgres.js";
import { caddyCertificateFiles, PROXY_DEFAULTS } from "./proxy.js";
import { PLATFORM_NAMES } from "../names.js";
import { TenantNetworks } from "./tenant-networks.js";
import { HOST_RE, SLUG_RE } from "../../templates/checks.js";
import { hostNetworks } from "../../templates/network-attach.js";

export { webAddressing, type WebAddressing } from "./network-plan.js";

export const PLATFORM_DEFAULTS = {
  webNetwork: NETWORK_PLAN.platformWeb,
  backendNetwork: NETWORK_PLAN.platformBackend,
  tenantNetworkPrefix: NETWORK_PLAN.tenantPrefix,
  /**
   * The host's address block (see network-plan.ts): `socle-web` is its first /24,
   * each tenant two /24s from its slot. One per Docker engine: every host may use
   * the same. Docker allocates its other networks from its default pools
   * (172.17-31.x/16, 192.168.x/20) and skips a pool that overlaps one of these.
   */
  addressBlock: NETWORK_PLAN.block,
  /** Where Mail's certificate job mounts the proxy's data volume (read-only). */
  proxyDataMount: "/etc/socle/proxy-data",
  /** The host's network job (the proxy on every tenant's web network, pruning). */
  networksJobName: PLATFORM_NAMES.networksJob,
} as const;

/**
 * A public name the containers resolve to a proxy: a plain name is served by this
 * host's proxy (its address on the container's network); `{name, address}` by
 * another host's proxy, reached at that host's address (the deployment-wide
 * services live on the first host).
 */
export type PublicName = string | { name: string; address: pulumi.Input<string> };

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
  /** Docker CLI version of the network jobs (`dockercli`); default: the catalogue's pin. */
  dockerCliVersion?: string;
  /** The host's address block (IPv4 CIDR, /16 to /20); default `172.30.0.0/16`. Change it if it collides. */
  addressBlock?: string;
  /**
   * Each tenant's network slot on this host (`allocateNetworkSlots`: kept across
   * updates). Absent: slots in the order tenants first ask for their networks
   * (1, 2, …), for a program that never removes a tenant.
   */
  tenantSlots?: pulumi.Input<Record<string, number>>;
  /**
   * Deployment-wide public names (the SSO domain, the shared PeerTube): every
   * container with a web network resolves them, whatever its tenant.
   */
  sharedNames?: PublicName[];
}

const nameOf = (n: PublicName) => (typeof n === "string" ? n : n.name);

/**
 * Platform — what every Docker host shares (`socle:platform:Platform`).
 *
 * Networks: `socle-web` (the proxy and Keycloak; egress allowed),
 * `socle-backend` (internal: the database servers, Keycloak, the platform's
 * own initialisers) and, per tenant, `tenantNetworks(slug)`: its own web
 * network (its apps and the proxy) and its own internal back-end network (its
 * apps, caches, and the database servers it uses). No network holds two
 * tenants' containers. The shared containers (proxy, database servers) join
 * the tenants' networks through one-shot network jobs, never through their
 * own declaration: adding a tenant adds its networks and jobs and changes no
 * shared container. Addresses: one block per host (network-plan.ts).
 *
 * Split horizon: the proxy has a static address on every web network (`.2`).
 * Every container that joins a web network gets `/etc/hosts` entries (through
 * `serviceContainer`) for the deployment-wide names (`sharedNames`) and for
 * that network's tenant's names (`setTenantNames`, called by the composition
 * before the tenant's apps), all pointing to the proxy's address on that
 * network: an app reaches `sso.<domain>` or `office.<domain>` by its public
 * name without hairpin NAT. A tenant's containers never list another tenant's
 * names.
 *
 * The proxy's data volume `socle-proxy-data` (certificates) belongs to the
 * Platform (`proxyData`) so Mail can copy its certificate before the proxy is
 * declared (`proxyCertificate(host)`).
 *
 * Children: `${name}-web`, `${name}-backend`, `${name}-proxy-data`,
 * `${name}-docker-cli` (image of the network jobs), `${name}-postgres`,
 * `${name}-mariadb`, `<tenant>-network` per tenant, `${name}-networks` (the
 * host's network job, once the proxy is known: `attachProxy`).
 */
export class Platform extends pulumi.ComponentResource {
  readonly host: DockerHost;
  readonly web: docker.Network;
  readonly backend: docker.Network;
  readonly postgres: PostgresServer;
  readonly mariadb: MariadbServer;
  /** The host's address block: `socle-web` and the tenants' subnets. */
  readonly addressBlock: AddressBlock;
  /** `socle-web`'s subnet, gateway, dynamic range and the proxy's static address. */
  readonly webAddressing: WebAddressing;
  /** The proxy's static address on `socle-web` (where Keycloak's names point, and Keycloak's trusted proxy). */
  readonly proxyAddress: string;
  /** `socle-proxy-data`: Caddy's certificates (mounted by the proxy; Mail copies its own from it). */
  readonly proxyData: docker.Volume;
  /** The Docker CLI image of the network jobs. */
  readonly networkJobImage: docker.RemoteImage;
  readonly sharedNames: readonly PublicName[];
  private readonly platformName: string;
  private readonly tenantSlots?: pulumi.Input<Record<string, number>>;
  private readonly tenants = new Map<string, TenantNetworks>();
  private readonly tenantNames = new Map<string, string[]>();
  /** Tenants whose containers already asked for their names (set them before, not after). */
  private readonly resolvedTenants = new Set<string>();
  /** Set by `attachProxy`: no tenant network may be added after (the job lists them all). */
  private networksJob?: { job: docker.Container; applied: pulumi.Output<boolean> };

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const block = addressBlock(args.addressBlock ?? PLATFORM_DEFAULTS.addressBlock);
    const sharedNames = [...(args.sharedNames ?? [])];
    for (const n of sharedNames) {
      if (!HOST_RE.test(nameOf(n))) {
        throw new Error(`platform: shared name "${nameOf(n)}" is not a lower-case domain name`);
      }
    }
    super("socle:platform:Platform", name, {}, opts);
    this.platformName = name;
    this.host = args.host;
    this.addressBlock = block;
    this.webAddressing = block.platformWeb;
    this.proxyAddress = block.platformWeb.proxyAddress;
    this.sharedNames = sharedNames;
    if (args.tenantSlots !== undefined) this.tenantSlots = args.tenantSlots;
    const netOpts = { parent: this, provider: args.host.provider };
    this.web = new docker.Network(`${name}-web`, platformWebSpec(block), netOpts);
    setNetworkHosts(this.web, (tenant) => this.namesFor(tenant, this.proxyAddress));
    this.proxyData = stateVolume(`${name}-proxy-data`, args.host, PROXY_DEFAULTS.dataVolume, "_platform", {
      parent: this,
    });
    this.backend = new docker.Network(
      `${name}-backend`,
      { name: PLATFORM_DEFAULTS.backendNetwork, internal: true },
      netOpts,
    );
    this.networkJobImage = pullImage(
      `${name}-docker-cli`,
      args.host,
      imageRef("dockercli", args.dockerCliVersion),
      {
        parent: this,
      },
    );
    const server = { host: args.host, network: this.backend };
    this.postgres = new PostgresServer(
      `${name}-postgres`,
      {
        ...server,
        ...(args.postgresVersion !== undefined ? { version: args.postgresVersion } : {}),
        ...(args.postgresMemoryMb !== undefined ? { memoryMb: args.postgresMemoryMb } : {}),
      },
      { parent: this },
    );
    this.mariadb = new MariadbServer(
      `${name}-mariadb`,
      {
        ...server,
        ...(args.mariadbVersion !== undefined ? { version: args.mariadbVersion } : {}),
        ...(args.mariadbMemoryMb !== undefined ? { memoryMb: args.mariadbMemoryMb } : {}),
      },
      { parent: this },
    );
    this.registerOutputs({
      web: this.web.name,
      backend: this.backend.name,
      proxyAddress: this.proxyAddress,
    });
  }

  /**
   * The tenant's own networks (`TenantNetworks`: web + internal back-end), created
   * once per slug (memoized). Their web network gives its containers the tenant's
   * names and the shared ones, pointing to the proxy's address there.
   */
  tenantNetworks(slug: string): TenantNetworks {
    if (!SLUG_RE.test(slug)) throw new Error(`platform: tenant "${slug}" is not a slug ([a-z0-9-])`);
    let nets = this.tenants.get(slug);
    if (!nets) {
      if (this.networksJob) {
        throw new Error(
          `platform ${this.platformName}: tenant ${slug} asks for its networks after attachProxy ` +
            "(declare every tenant before the proxy)",
        );
      }
      const slot = this.slotOf(slug, this.tenants.size + 1);
      nets = new TenantNetworks(
        `${slug}-network`,
        {
          host: this.host,
          tenant: slug,
          block: this.addressBlock.block,
          slot,
          jobImage: this.networkJobImage,
        },
        { parent: this },
      );
      const web = nets.proxyAddress;
      setNetworkHosts(nets.web, () => this.namesFor(slug, web));
      this.tenants.set(slug, nets);
    }
    return nets;
  }

  /**
   * The host's network job (`socle-networks`, one-shot, child `${name}-networks`):
   * the proxy on every tenant's web network at its static address, and the proxy
   * and database servers off the tenant networks no tenant of this host declares
   * any more (a removed tenant: its networks can then be deleted). Its script lists
   * the tenants, so adding one replaces this job (not the proxy); the proxy's id
   * is in its environment, so a replaced proxy gets its attachments back. Call it
   * once, after every tenant, with the host's ReverseProxy.
   */
  attachProxy(proxy: { container: docker.Container; containerName: string }): {
    job: docker.Container;
    applied: pulumi.Output<boolean>;
  } {
    if (this.networksJob) throw new Error(`platform ${this.platformName}: attachProxy called twice`);
    const nets = [...this.tenants.values()];
    const script = pulumi.all(nets.map((n) => n.proxyAddress)).apply((addresses) =>
      hostNetworks({
        proxy: proxy.containerName,
        tenants: nets.map((n, i) => ({ ...n.names, proxyAddress: addresses[i]! })),
        servers: [this.postgres.containerName, this.mariadb.containerName],
      }),
    );
    this.networksJob = declareNetworkJob(
      `${this.platformName}-networks`,
      {
        host: this.host,
        image: this.networkJobImage,
        containerName: PLATFORM_DEFAULTS.networksJobName,
        tenant: "_platform",
        script,
        triggers: { SOCLE_PROXY_ID: proxy.container.id },
        dependsOn: [
          proxy.container,
          this.postgres.container,
          this.mariadb.container,
          ...nets.flatMap((n) => [n.web, n.back]),
        ],
      },
      this,
    );
    return this.networksJob;
  }

  /**
   * The public names a tenant serves on this host (its routes' hosts): its containers
   * on its web network resolve them (and the shared ones) to the proxy. Call it once
   * per tenant, before declaring the tenant's apps.
   */
  setTenantNames(tenant: string, names: string[]): void {
    if (!SLUG_RE.test(tenant)) throw new Error(`platform: tenant "${tenant}" is not a slug ([a-z0-9-])`);
    for (const n of names) {
      if (!HOST_RE.test(n))
        throw new Error(`platform: name "${n}" of tenant ${tenant} is not a lower-case domain name`);
    }
    if (this.tenantNames.has(tenant))
      throw new Error(`platform: the names of tenant ${tenant} are already set`);
    if (this.resolvedTenants.has(tenant)) {
      throw new Error(`platform: the names of tenant ${tenant} are set after its containers were declared`);
    }
    this.tenantNames.set(tenant, [...names]);
  }

  /**
   * `/etc/hosts` entries for these names: sorted by name, one per name, each to its
   * proxy (`proxy`: this host's proxy as the container reaches it; default its
   * address on `socle-web`).
   */
  hostsFor(
    names: readonly PublicName[],
    proxy: pulumi.Input<string> = this.proxyAddress,
  ): pulumi.Output<{ host: string; ip: string }[]> {
    const byName = new Map<string, pulumi.Input<string>>();
    for (const n of names) {
      const host = nameOf(n);
      if (!byName.has(host)) byName.set(host, typeof n === "string" ? proxy : n.address);
    }
    const entries: HostEntry[] = [...byName.keys()].sort().map((host) => ({ host, ip: byName.get(host)! }));
    return pulumi.output(entries) as pulumi.Output<{ host: string; ip: string }[]>;
  }

  /**
   * Mail's certificate source: this host's proxy certificate for `host` (which the
   * proxy must serve), in `socle-proxy-data` as mounted read-only at
   * `/etc/socle/proxy-data` by Mail's copy job (never by the mail server).
   */
  proxyCertificate(host: string): {
    volume: docker.Volume;
    mountPath: string;
    certPath: string;
    keyPath: string;
  } {
    if (!HOST_RE.test(host))
      throw new Error(`platform: certificate host "${host}" is not a lower-case domain name`);
    const mountPath = PLATFORM_DEFAULTS.proxyDataMount;
    return { volume: this.proxyData, mountPath, ...caddyCertificateFiles(host, mountPath) };
  }

  /** Memory declared by the platform's own containers, MiB (for placement). */
  get memoryMb(): number {
    return this.postgres.memoryMb + this.mariadb.memoryMb;
  }

  /** The shared names and `tenant`'s own, to `proxy`; marks the tenant's names as used. */
  private namesFor(tenant: string, proxy: pulumi.Input<string>) {
    this.resolvedTenants.add(tenant);
    const names = [...this.sharedNames, ...(this.tenantNames.get(tenant) ?? [])];
    return names.length > 0 ? this.hostsFor(names, proxy) : undefined;
  }

  private slotOf(slug: string, next: number): pulumi.Input<number> {
    if (this.tenantSlots === undefined) return next;
    return pulumi.output(this.tenantSlots).apply((slots) => {
      const s = slots[slug];
      if (s === undefined)
        throw new Error(`platform ${this.platformName}: no network slot for tenant ${slug}`);
      return s;
    });
  }
}
