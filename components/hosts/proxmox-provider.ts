/**
 * Proxmox-side helpers for the `proxmox` target: the provider, the HA group,
 * and the pure placement rules (which node, which VM id, which address) the
 * composition applies to the configured hosts before declaring any VM.
 *
 * Placement is a function of the hosts' ORDER in the config: append new hosts
 * at the end; removing or reordering one renumbers the hosts after it (new VM
 * ids and addresses, i.e. replaced VMs). Pin a host's `node` to keep it put.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { ipv4, ipv4String, isHttpsEndpoint } from "../../templates/checks.js";

export interface ProxmoxProviderArgs {
  /** API URL, e.g. `https://pve.example.org:8006/`. */
  endpoint: string;
  /** `user@realm!tokenid=uuid` (a stack secret). */
  apiToken: pulumi.Input<string>;
  /** Accept a self-signed API certificate. */
  insecure: boolean;
  /** SSH user on the nodes, for snippet uploads (keys from the local ssh-agent). */
  sshUser: string;
}

/** Throws an exact message when the provider settings are unusable. */
export function validateProxmoxProviderArgs(args: ProxmoxProviderArgs): void {
  if (!isHttpsEndpoint(args.endpoint)) {
    throw new Error(`proxmox: endpoint "${args.endpoint}" is not an https:// URL`);
  }
  if (!/^[a-z_][a-z0-9_.-]*$/.test(args.sshUser)) {
    throw new Error(`proxmox: sshUser "${args.sshUser}" is not a valid user name`);
  }
}

/**
 * The `proxmoxve.Provider`. The API token travels as a secret; snippets
 * (cloud-init files) are uploaded over SSH with the local ssh-agent, because
 * the Proxmox API cannot write them.
 */
export function proxmoxProvider(
  name: string,
  args: ProxmoxProviderArgs,
  opts?: pulumi.CustomResourceOptions,
): proxmoxve.Provider {
  validateProxmoxProviderArgs(args);
  return new proxmoxve.Provider(
    name,
    {
      endpoint: args.endpoint,
      apiToken: pulumi.secret(args.apiToken),
      insecure: args.insecure,
      ssh: { agent: true, username: args.sshUser },
    },
    opts,
  );
}

export interface HaGroupArgs {
  /** Member nodes (all with the same priority: a VM stays where it failed over). */
  nodes: string[];
  proxmox: proxmoxve.Provider;
  /** HA group id on the cluster; default the resource name. */
  group?: string;
}

/**
 * One HA group over the given nodes (Proxmox VE 8; PVE 9 replaced groups with
 * HA rules, see docs/components/proxmox-docker-host.md). Hosts declared with
 * `ha: {group}` get a `Haresource` in it.
 */
export function haGroup(
  name: string,
  args: HaGroupArgs,
  opts?: pulumi.CustomResourceOptions,
): proxmoxve.Hagroup {
  const group = args.group ?? name;
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(group)) {
    throw new Error(`haGroup: "${group}" is not a valid HA group id ([A-Za-z][A-Za-z0-9_-]*)`);
  }
  if (args.nodes.length === 0) throw new Error(`haGroup: group "${group}" has no nodes`);
  return new proxmoxve.Hagroup(
    name,
    {
      group,
      comment: "Socle Docker hosts",
      nodes: Object.fromEntries([...args.nodes].sort().map((n) => [n, 1])),
      restricted: false,
      noFailback: false,
    },
    { ...opts, provider: args.proxmox },
  );
}

// ---------------------------------------------------------------- placement

/**
 * Anti-affinity by construction: a host with `node` keeps it; the others are
 * dealt round-robin over `nodes` in declaration order (the k-th unpinned host
 * goes to `nodes[k % nodes.length]`), so consecutive hosts land on different
 * nodes. Deterministic: the same input always gives the same placement.
 */
export function spreadHosts(
  hosts: { name: string; node?: string }[],
  nodes: string[],
): { name: string; node: string }[] {
  if (nodes.length === 0) throw new Error("spreadHosts: nodes is empty");
  const dupNode = nodes.find((n, i) => nodes.indexOf(n) !== i);
  if (dupNode !== undefined) throw new Error(`spreadHosts: node "${dupNode}" is listed twice`);
  const names = hosts.map((h) => h.name);
  const dupHost = names.find((n, i) => names.indexOf(n) !== i);
  if (dupHost !== undefined) throw new Error(`spreadHosts: host "${dupHost}" is declared twice`);
  let k = 0;
  return hosts.map((h) => {
    if (h.node !== undefined) {
      if (!nodes.includes(h.node)) {
        throw new Error(
          `spreadHosts: host "${h.name}" is pinned to node "${h.node}", which is not one of ${nodes.join(", ")}`,
        );
      }
      return { name: h.name, node: h.node };
    }
    return { name: h.name, node: nodes[k++ % nodes.length]! };
  });
}

export { VMID_BASE, VMID_MAX, vmIdFor } from "./vm-ids.js";

/** A dotted IPv4 address as an unsigned 32-bit integer, or undefined (templates/checks.ts). */
export const parseIpv4 = ipv4;
export const formatIpv4 = ipv4String;

export interface Ipv4Network {
  /** Network address (host bits cleared). */
  network: number;
  prefix: number;
  /** First and last usable host addresses (network and broadcast excluded below /31). */
  first: number;
  last: number;
}

/** Parses `a.b.c.d/len`; throws `<what>: "<cidr>" is not an IPv4 CIDR (a.b.c.d/len)`. */
export function parseCidr(cidr: string, what = "cidr"): Ipv4Network {
  const [ip, len, ...rest] = cidr.split("/");
  const addr = ip === undefined ? undefined : parseIpv4(ip);
  const prefix = len !== undefined && /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (addr === undefined || rest.length > 0 || !(prefix >= 0 && prefix <= 32)) {
    throw new Error(`${what}: "${cidr}" is not an IPv4 CIDR (a.b.c.d/len)`);
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(addr / size) * size;
  const small = prefix >= 31;
  return {
    network,
    prefix,
    first: small ? network : network + 1,
    last: small ? network + size - 1 : network + size - 2,
  };
}

/**
 * The static address of the `index`-th host: `firstAddress + index`, with the
 * network's prefix (`hostAddress("10.20.0.0/24", "10.20.0.10", 2)` is
 * `"10.20.0.12/24"`). Throws when `firstAddress` is not a usable address of
 * the network, or when the network has no address left for this index.
 */
export function hostAddress(cidr: string, firstAddress: string, index: number): string {
  const net = parseCidr(cidr, "hostAddress");
  if (!Number.isInteger(index) || index < 0) {
    throw new Error(`hostAddress: index must be a non-negative integer, got ${index}`);
  }
  const first = parseIpv4(firstAddress);
  if (first === undefined)
    throw new Error(`hostAddress: firstAddress "${firstAddress}" is not an IPv4 address`);
  if (first < net.first || first > net.last) {
    throw new Error(`hostAddress: firstAddress ${firstAddress} is not a usable address of ${cidr}`);
  }
  const addr = first + index;
  if (addr > net.last) {
    throw new Error(
      `hostAddress: ${cidr} is exhausted: host #${index} would get ${formatIpv4(addr)}, past the last usable address ${formatIpv4(net.last)}`,
    );
  }
  return `${formatIpv4(addr)}/${net.prefix}`;
}
