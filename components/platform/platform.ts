import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { setNetworkHosts, stateVolume, type HostEntry } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { MariadbServer } from "./mariadb.js";
import { PostgresServer } from "./postgres.js";
import { caddyCertificateFiles, PROXY_DEFAULTS } from "./proxy.js";
import { HOST_RE, SLUG_RE } from "../../templates/checks.js";

export const PLATFORM_DEFAULTS = {
  webNetwork: "socle-web",
  backendNetwork: "socle-backend",
  tenantNetworkPrefix: "socle-t-",
  /**
   * `socle-web`'s subnet: one per Docker engine, so every host may use the same.
   * Outside it: Docker allocates the other networks from its default pools
   * (172.17-31.x/16, 192.168.x/20) and skips a pool that overlaps this one.
   */
  webSubnet: "172.30.0.0/24",
  /** Where Mail mounts the proxy's data volume (read-only) to read its certificate. */
  proxyDataMount: "/etc/socle/proxy-data",
} as const;

/**
 * A public name the containers resolve to a proxy: a plain name is served by this
 * host's proxy (`proxyAddress`); `{name, address}` by another host's proxy, reached
 * at that host's address (the deployment-wide services live on the first host).
 */
export type PublicName = string | { name: string; address: pulumi.Input<string> };

/** `socle-web`'s addressing: gateway .1, the proxy's static .2, dynamic addresses in the upper half. */
export interface WebAddressing {
  subnet: string;
  gateway: string;
  /** Docker hands out dynamic addresses from here only, so the static one is never taken. */
  ipRange: string;
  proxyAddress: string;
}

const ipToInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** Pure: the addressing of a `socle-web` subnet; exact errors. */
export function webAddressing(subnet: string): WebAddressing {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255)) {
    throw new Error(`platform: webSubnet "${subnet}" is not an IPv4 CIDR like 172.30.0.0/24`);
  }
  const prefix = Number(m[5]);
  if (prefix < 16 || prefix > 28) {
    throw new Error(`platform: webSubnet "${subnet}" must have a prefix between /16 and /28`);
  }
  const size = 2 ** (32 - prefix);
  const base = ipToInt(m.slice(1, 5).join("."));
  if (base % size !== 0) {
    throw new Error(`platform: webSubnet "${subnet}" is not a network address (host bits set)`);
  }
  return {
    subnet,
    gateway: intToIp(base + 1),
    ipRange: `${intToIp(base + size / 2)}/${prefix + 1}`,
    proxyAddress: intToIp(base + 2),
  };
}

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
  /** `socle-web`'s subnet (IPv4 CIDR, /16 to /28); default `172.30.0.0/24`. Change it if it collides. */
  webSubnet?: string;
  /**
   * Deployment-wide public names (the SSO domain, the shared PeerTube): every
   * container on `socle-web` resolves them, whatever its tenant.
   */
  sharedNames?: PublicName[];
}

const nameOf = (n: PublicName) => (typeof n === "string" ? n : n.name);

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
 * Split horizon: `socle-web` has a fixed subnet (`webSubnet`) and the proxy a
 * static address on it (`proxyAddress`, given to the ReverseProxy). Every
 * container that joins `socle-web` gets `/etc/hosts` entries (through
 * `serviceContainer`) for the deployment-wide names (`sharedNames`) and for its
 * OWN tenant's names (`setTenantNames`, called by the composition before the
 * tenant's apps), all pointing to the proxy: an app reaches `sso.<domain>` or
 * `office.<domain>` by its public name without hairpin NAT, and `*.localhost`
 * no longer means the container's own loopback. A tenant's containers never
 * list another tenant's names, so adding a tenant changes no existing container.
 *
 * The proxy's data volume `socle-proxy-data` (certificates) belongs to the
 * Platform (`proxyData`) so Mail can mount it before the proxy is declared
 * (`proxyCertificate(host)`).
 *
 * Children: `${name}-web`, `${name}-backend`, `${name}-t-<slug>`, `${name}-proxy-data`,
 * `${name}-postgres`, `${name}-mariadb`.
 */
export class Platform extends pulumi.ComponentResource {
  readonly host: DockerHost;
  readonly web: docker.Network;
  readonly backend: docker.Network;
  readonly postgres: PostgresServer;
  readonly mariadb: MariadbServer;
  /** `socle-web`'s subnet, gateway, dynamic range and the proxy's static address. */
  readonly webAddressing: WebAddressing;
  /** The proxy's static address on `socle-web` (where the public names point). */
  readonly proxyAddress: string;
  /** `socle-proxy-data`: Caddy's certificates (mounted by the proxy, read-only by Mail). */
  readonly proxyData: docker.Volume;
  readonly sharedNames: readonly PublicName[];
  private readonly platformName: string;
  private readonly tenantNetworks = new Map<string, docker.Network>();
  private readonly tenantNames = new Map<string, string[]>();
  /** Tenants whose containers already asked for their names (set them before, not after). */
  private readonly resolvedTenants = new Set<string>();

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const addressing = webAddressing(args.webSubnet ?? PLATFORM_DEFAULTS.webSubnet);
    const sharedNames = [...(args.sharedNames ?? [])];
    for (const n of sharedNames) {
      if (!HOST_RE.test(nameOf(n))) {
        throw new Error(`platform: shared name "${nameOf(n)}" is not a lower-case domain name`);
      }
    }
    super("socle:platform:Platform", name, {}, opts);
    this.platformName = name;
    this.host = args.host;
    this.webAddressing = addressing;
    this.proxyAddress = addressing.proxyAddress;
    this.sharedNames = sharedNames;
    const netOpts = { parent: this, provider: args.host.provider };
    this.web = new docker.Network(
      `${name}-web`,
      {
        name: PLATFORM_DEFAULTS.webNetwork,
        ipamConfigs: [
          { subnet: addressing.subnet, gateway: addressing.gateway, ipRange: addressing.ipRange },
        ],
      },
      netOpts,
    );
    setNetworkHosts(this.web, (tenant) => {
      this.resolvedTenants.add(tenant);
      const names = [...this.sharedNames, ...(this.tenantNames.get(tenant) ?? [])];
      return names.length > 0 ? this.hostsFor(names) : undefined;
    });
    this.proxyData = stateVolume(`${name}-proxy-data`, args.host, PROXY_DEFAULTS.dataVolume, "_platform", {
      parent: this,
    });
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
    this.registerOutputs({
      web: this.web.name,
      backend: this.backend.name,
      proxyAddress: this.proxyAddress,
    });
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

  /**
   * The public names a tenant serves on this host (its routes' hosts): its containers
   * on `socle-web` resolve them (and the shared ones) to the proxy. Call it once per
   * tenant, before declaring the tenant's apps.
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

  /** `/etc/hosts` entries for these names: sorted by name, one per name, each to its proxy. */
  hostsFor(names: readonly PublicName[]): pulumi.Output<{ host: string; ip: string }[]> {
    const byName = new Map<string, pulumi.Input<string>>();
    for (const n of names) {
      const host = nameOf(n);
      if (!byName.has(host)) byName.set(host, typeof n === "string" ? this.proxyAddress : n.address);
    }
    const entries: HostEntry[] = [...byName.keys()].sort().map((host) => ({ host, ip: byName.get(host)! }));
    return pulumi.output(entries) as pulumi.Output<{ host: string; ip: string }[]>;
  }

  /**
   * Mail's `tls`: this host's proxy certificate for `host` (which the proxy must
   * serve), in `socle-proxy-data` mounted read-only at `/etc/socle/proxy-data`.
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
}
