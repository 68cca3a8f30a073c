/**
 * Each tenant's network slot on its host (components/platform/network-plan.ts):
 * allocated once, then kept. The slots of the last deployment are read back
 * from the stack's own `networkSlots` output (like the PeerTube hostnames), so
 * a tenant keeps its subnets whatever is added, removed or reordered around it.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  addressBlock,
  allocateNetworkSlots,
  NETWORK_PLAN,
  type NetworkSlots,
} from "../components/platform/network-plan.js";
import type { SocleConfig } from "./config.js";
import { SHARED_PEERTUBE_TENANT } from "./config-names.js";
import type { Placement } from "./placement.js";

/** The stack output the program exports (host → tenant → slot) and reads back. */
export const NETWORK_SLOTS_OUTPUT = "networkSlots";

/** Host → the tenants with networks there, in config order (the shared PeerTube first). */
export function tenantsByHost(
  cfg: SocleConfig,
  placement: Placement,
  home: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(placement.hosts.map((h) => [h.host, []]));
  // The EPCI-wide PeerTube's tenant: it has networks of its own on the first host.
  if (cfg.shared.peertube) out[home]!.push(SHARED_PEERTUBE_TENANT);
  for (const t of cfg.tenants) out[placement.byTenant[t.slug]!]!.push(t.slug);
  const max = addressBlock(NETWORK_PLAN.block).maxSlot;
  for (const [host, tenants] of Object.entries(out)) {
    if (tenants.length > max) {
      throw new Error(
        `host ${host}: ${tenants.length} tenants, more than the ${max} networks a host can give`,
      );
    }
  }
  return out;
}

/** The slots of this deployment: the previous ones kept, new tenants on free slots. */
export function networkSlots(
  byHost: Record<string, string[]>,
  readPrevious: boolean,
): pulumi.Output<NetworkSlots> {
  const previous = readPrevious ? previousNetworkSlots() : pulumi.output({});
  const max = addressBlock(NETWORK_PLAN.block).maxSlot;
  return previous.apply((prev) => allocateNetworkSlots(prev, byHost, max));
}

function previousNetworkSlots(): pulumi.Output<unknown> {
  const self = new pulumi.StackReference(`socle-self-${NETWORK_SLOTS_OUTPUT}`, {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  return self.getOutput(NETWORK_SLOTS_OUTPUT).apply((v) => (v ?? {}) as unknown);
}
