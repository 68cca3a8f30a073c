import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { databaseAttachment } from "../../templates/network-attach.js";
import type { DockerHost } from "../hosts/docker-host.js";
import type { DatabaseNetwork } from "./init-job.js";
import { networkJobName } from "../names.js";
import { declareNetworkJob } from "./network-job.js";
import {
  tenantNetworkLabels,
  tenantNetworkNames,
  tenantNetworkPlan,
  tenantNetworkSpecs,
  type TenantNetworkPlan,
} from "./network-plan.js";

export interface TenantNetworksArgs {
  host: DockerHost;
  tenant: string;
  /** The host's address block (`platform.addressBlock.block`). */
  block: string;
  /** The tenant's slot on this host (see network-plan.ts). */
  slot: pulumi.Input<number>;
  /** The Docker CLI image of the network jobs (`platform.networkJobImage`). */
  jobImage: docker.RemoteImage;
}

/** What a database server offers to be attached to a tenant's back-end network. */
export interface AttachableServer {
  readonly containerName: string;
  /** Its DNS alias (`postgres`, `mariadb`), kept on every network it joins. */
  readonly hostname: string;
  readonly container: docker.Container;
}

/**
 * TenantNetworks — one tenant's two networks on its host (`socle:platform:TenantNetworks`),
 * created by `platform.tenantNetworks(slug)`.
 *
 * - `web` (`socle-t-<tenant>-web`, egress allowed): the tenant's apps, and the
 *   host's proxy at its static `.2` (attached by the platform's network job
 *   `socle-networks`, so the proxy's declaration never changes).
 * - `back` (`socle-t-<tenant>-back`, internal): the tenant's apps, caches and
 *   mail server, and each shared database server the tenant uses, attached
 *   under its alias by a one-shot job of this tenant (`database(server)`:
 *   `<tenant>-network-<alias>`), which the tenant's database initialisers
 *   wait for.
 *
 * Another tenant's containers are on none of these networks: they cannot reach
 * this tenant's apps, caches or its address on the database servers. Subnets
 * from the tenant's slot (`tenantNetworkPlan`); labels `socle.network` and
 * `socle.tenant` (what the network job prunes by).
 *
 * Children: `${name}-web`, `${name}-back`, `${name}-<alias>` per database server.
 */
export class TenantNetworks extends pulumi.ComponentResource {
  readonly tenant: string;
  readonly names: { web: string; back: string };
  readonly web: docker.Network;
  readonly back: docker.Network;
  readonly plan: pulumi.Output<TenantNetworkPlan>;
  /** The proxy's static address on `web`: where the tenant's public names point. */
  readonly proxyAddress: pulumi.Output<string>;
  /** `web`'s subnet (the tenant's containers, and the proxy). */
  readonly webSubnet: pulumi.Output<string>;
  private readonly args: TenantNetworksArgs;
  private readonly componentName: string;
  private readonly attachments = new Map<string, DatabaseNetwork>();

  constructor(name: string, args: TenantNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
    const names = tenantNetworkNames(args.tenant);
    super("socle:platform:TenantNetworks", name, {}, opts);
    this.tenant = args.tenant;
    this.names = names;
    this.args = args;
    this.componentName = name;
    const plan = pulumi.output(args.slot).apply((s) => tenantNetworkPlan(args.block, args.tenant, s));
    this.plan = plan;
    this.proxyAddress = plan.apply((p) => p.web.proxyAddress);
    this.webSubnet = plan.apply((p) => p.web.subnet);
    const specs = plan.apply(tenantNetworkSpecs);
    // The name, the flag and the labels do not depend on the slot: known at once.
    const net = (part: "web" | "back") =>
      new docker.Network(
        `${name}-${part}`,
        {
          name: names[part],
          ...(part === "back" ? { internal: true } : {}),
          ipamConfigs: specs.apply((s) => s[part].ipamConfigs),
          labels: tenantNetworkLabels(args.tenant, part),
        },
        { parent: this, provider: args.host.provider },
      );
    this.web = net("web");
    this.back = net("back");
    this.registerOutputs({ web: this.web.name, back: this.back.name, proxyAddress: this.proxyAddress });
  }

  /**
   * `server` on this tenant's back-end network under its alias, attached once by a
   * one-shot job (memoized per server): the network a database initialiser of this
   * tenant runs on, and the job it waits for.
   */
  database(server: AttachableServer): DatabaseNetwork {
    let access = this.attachments.get(server.containerName);
    if (!access) {
      const containerName = networkJobName(this.tenant, server.hostname);
      const { job } = declareNetworkJob(
        `${this.componentName}-${server.hostname}`,
        {
          host: this.args.host,
          image: this.args.jobImage,
          containerName,
          tenant: this.tenant,
          script: databaseAttachment(server, this.names.back),
          triggers: { SOCLE_NETWORK_ID: this.back.id, SOCLE_SERVER_ID: server.container.id },
          dependsOn: [server.container, this.back],
        },
        this,
      );
      access = { network: this.back, attached: job };
      this.attachments.set(server.containerName, access);
    }
    return access;
  }
}
