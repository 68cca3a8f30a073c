/**
 * The address plan of one Docker host (pure: no resource, no engine).
 *
 * Every host has one address block, `172.30.0.0/16` by default (Platform arg
 * `addressBlock`, a /16 to a /20), cut in /24s:
 *
 * | /24 of the block | network                          | who                                   |
 * |------------------|----------------------------------|---------------------------------------|
 * | 0                | `socle-web`                      | the proxy (.2, static), Keycloak      |
 * | 1                | reserved                         | (not used)                            |
 * | 2·s              | `socle-t-<tenant>-web` (slot s)  | the proxy (.2, static), the tenant's apps |
 * | 2·s + 1          | `socle-t-<tenant>-back` (internal) | the tenant's apps, caches, mail, the database servers |
 *
 * A tenant's slot `s` (1 … `maxSlot`, 127 in a /16) is unique on its host: the
 * composition allocates it once and keeps it (`allocateNetworkSlots`, from the
 * stack's previous outputs), so subnets never collide and never move. Each web
 * network: gateway .1, the proxy's static .2, dynamic addresses from the upper
 * half only (`ipRange` .128/25), so the static address is never handed to
 * another container. Every host may use the same block (one per engine).
 */
import { SLUG_RE } from "../../templates/checks.js";
import { LABELS } from "../labels.js";

export const NETWORK_PLAN = {
  block: "172.30.0.0/16",
  platformWeb: "socle-web",
  platformBackend: "socle-backend",
  tenantPrefix: "socle-t-",
} as const;

/** A web network's addressing: gateway .1, the proxy's static .2, dynamic addresses in the upper half. */
export interface WebAddressing {
  subnet: string;
  gateway: string;
  /** Docker hands out dynamic addresses from here only, so the static one is never taken. */
  ipRange: string;
  proxyAddress: string;
}

const ipToInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** Parses an IPv4 CIDR; `what` names it in the exact errors. */
function parseCidr(cidr: string, what: string, example: string): { base: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255)) {
    throw new Error(`platform: ${what} "${cidr}" is not an IPv4 CIDR like ${example}`);
  }
  return { base: ipToInt(m.slice(1, 5).join(".")), prefix: Number(m[5]) };
}

/** Pure: the addressing of a web subnet (/16 to /28); exact errors. */
export function webAddressing(subnet: string): WebAddressing {
  const { base, prefix } = parseCidr(subnet, "webSubnet", "172.30.0.0/24");
  if (prefix < 16 || prefix > 28) {
    throw new Error(`platform: webSubnet "${subnet}" must have a prefix between /16 and /28`);
  }
  const size = 2 ** (32 - prefix);
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

export interface AddressBlock {
  block: string;
  /** `socle-web`'s subnet: the block's first /24. */
  platformWeb: WebAddressing;
  /** The highest tenant slot (127 in a /16, 7 in a /20): tenants per host. */
  maxSlot: number;
  /** The block's first address, as a number. */
  base: number;
}

/** Pure: checks an address block (a /16 to a /20, network address); exact errors. */
export function addressBlock(block: string): AddressBlock {
  const { base, prefix } = parseCidr(block, "addressBlock", "172.30.0.0/16");
  if (prefix < 16 || prefix > 20) {
    throw new Error(`platform: addressBlock "${block}" must have a prefix between /16 and /20`);
  }
  if (base % 2 ** (32 - prefix) !== 0) {
    throw new Error(`platform: addressBlock "${block}" is not a network address (host bits set)`);
  }
  return {
    block,
    platformWeb: webAddressing(`${intToIp(base)}/24`),
    maxSlot: 2 ** (23 - prefix) - 1,
    base,
  };
}

/** The engine names of a tenant's two networks. */
export function tenantNetworkNames(tenant: string): { web: string; back: string } {
  if (!SLUG_RE.test(tenant)) throw new Error(`platform: tenant "${tenant}" is not a slug ([a-z0-9-])`);
  const p = `${NETWORK_PLAN.tenantPrefix}${tenant}`;
  return { web: `${p}-web`, back: `${p}-back` };
}

export interface TenantNetworkPlan {
  tenant: string;
  slot: number;
  web: WebAddressing & { name: string };
  back: { name: string; subnet: string; gateway: string };
}

/** Pure: a tenant's two networks for its slot in the block; exact errors. */
export function tenantNetworkPlan(block: string, tenant: string, slot: number): TenantNetworkPlan {
  const b = addressBlock(block);
  const names = tenantNetworkNames(tenant);
  if (!Number.isInteger(slot) || slot < 1 || slot > b.maxSlot) {
    throw new Error(`platform: tenant ${tenant}: network slot ${slot} is not between 1 and ${b.maxSlot}`);
  }
  const web = b.base + 2 * slot * 256;
  const back = web + 256;
  return {
    tenant,
    slot,
    web: { name: names.web, ...webAddressing(`${intToIp(web)}/24`) },
    back: { name: names.back, subnet: `${intToIp(back)}/24`, gateway: intToIp(back + 1) },
  };
}

/** What `docker.Network` receives for a network of the plan (also what the ops test creates). */
export interface NetworkSpec {
  name: string;
  internal?: boolean;
  ipamConfigs: { subnet: string; gateway: string; ipRange?: string }[];
  labels?: { label: string; value: string }[];
}

/** `socle-web`'s declaration. */
export function platformWebSpec(b: AddressBlock): NetworkSpec {
  const a = b.platformWeb;
  return {
    name: NETWORK_PLAN.platformWeb,
    ipamConfigs: [{ subnet: a.subnet, gateway: a.gateway, ipRange: a.ipRange }],
  };
}

/** The labels of a tenant's network (sorted): what the network job prunes by. */
export function tenantNetworkLabels(
  tenant: string,
  kind: "web" | "back",
): { label: string; value: string }[] {
  return [
    { label: LABELS.network, value: kind },
    { label: LABELS.tenant, value: tenant },
  ];
}

/** A tenant's web (egress allowed) and back-end (internal) networks, labelled with the tenant. */
export function tenantNetworkSpecs(plan: TenantNetworkPlan): { web: NetworkSpec; back: NetworkSpec } {
  const labels = (kind: "web" | "back") => tenantNetworkLabels(plan.tenant, kind);
  const w = plan.web;
  return {
    web: {
      name: w.name,
      ipamConfigs: [{ subnet: w.subnet, gateway: w.gateway, ipRange: w.ipRange }],
      labels: labels("web"),
    },
    back: {
      name: plan.back.name,
      internal: true,
      ipamConfigs: [{ subnet: plan.back.subnet, gateway: plan.back.gateway }],
      labels: labels("back"),
    },
  };
}

/** host → tenant → slot. */
export type NetworkSlots = Record<string, Record<string, number>>;

/**
 * Pure: each tenant's slot on its host. A tenant keeps the slot it had before
 * (`previous`: the stack's last `networkSlots` output, any shape: bad entries are
 * ignored); a new tenant takes the lowest slot that no tenant holds now AND that
 * no tenant held before (a removed tenant's networks are deleted at the end of
 * the update that removes it, so its slot is reused only by a later update).
 * Tenants are taken in the order given. Throws when a host has no slot left.
 */
export function allocateNetworkSlots(
  previous: unknown,
  current: Record<string, string[]>,
  maxSlot: number,
): NetworkSlots {
  const out: NetworkSlots = {};
  for (const [host, tenants] of Object.entries(current)) {
    const before = previousSlots(previous, host, maxSlot);
    const slots: Record<string, number> = {};
    const taken = new Set<number>(Object.values(before));
    const kept = new Set<number>();
    for (const t of tenants) {
      const s = before[t];
      if (s !== undefined && !kept.has(s)) {
        slots[t] = s;
        kept.add(s);
      }
    }
    let next = 1;
    for (const t of tenants) {
      if (slots[t] !== undefined) continue;
      while (taken.has(next) || kept.has(next)) next++;
      if (next > maxSlot) {
        throw new Error(
          `host ${host}: no network slot left for tenant ${t} (${maxSlot} per host; ` +
            "a removed tenant's slot is free again after the update that removes it)",
        );
      }
      slots[t] = next;
      kept.add(next);
    }
    out[host] = Object.fromEntries(
      Object.keys(slots)
        .sort()
        .map((t) => [t, slots[t]!]),
    );
  }
  return out;
}

function previousSlots(previous: unknown, host: string, maxSlot: number): Record<string, number> {
  const forHost =
    typeof previous === "object" && previous !== null
      ? (previous as Record<string, unknown>)[host]
      : undefined;
  if (typeof forHost !== "object" || forHost === null) return {};
  const out: Record<string, number> = {};
  for (const [t, s] of Object.entries(forHost as Record<string, unknown>)) {
    if (SLUG_RE.test(t) && Number.isInteger(s) && (s as number) >= 1 && (s as number) <= maxSlot) {
      out[t] = s as number;
    }
  }
  return out;
}
