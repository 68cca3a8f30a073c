/**
 * `socle:target`: where the containers run (the local Docker engine, the
 * default, or VMs on a Proxmox VE cluster). Pure; used by stacks/config.ts.
 */
import { SYSTEM_ACCOUNTS } from "../templates/checks.js";
import type { HostSpec, LocalTarget, ProxmoxTarget } from "./config.js";
import {
  BOOL,
  CIDR,
  IPV4,
  SLUG,
  at,
  int,
  ipv4,
  ipv4String,
  isLabel,
  isObject,
  oneOf,
  pred,
  show,
} from "./config-checks.js";
import type { Cidr, Reader } from "./config-checks.js";
import {
  DEFAULT_DOCKER_HOST,
  MAX_DISK_GB,
  MAX_MEMORY_MB,
  checkDockerOverlap,
  checkTemplateVmId,
  readAcmeEmail,
  readDockerHost,
  readEndpoint,
  readSshKey,
} from "./config-target-checks.js";

export { DOCKER_SUBNETS, MAX_DISK_GB, MAX_MEMORY_MB } from "./config-target-checks.js";

export const TARGET_DEFAULTS = {
  local: { dockerHost: DEFAULT_DOCKER_HOST, memoryMb: 16384 },
  proxmox: {
    insecure: false,
    datastore: "local-lvm",
    snippetsDatastore: "local",
    bridge: "vmbr0",
    sshUser: "socle",
    ha: false,
    reserveMb: 1024,
  },
} as const;

export const TARGET_KINDS = ["local", "proxmox"] as const;
const LOCAL_KEYS = ["kind", "dockerHost", "dockerCertPath", "memoryMb", "acmeEmail"];
const PROXMOX_KEYS = [
  "kind",
  "endpoint",
  "insecure",
  "nodes",
  "templateVmId",
  "datastore",
  "snippetsDatastore",
  "bridge",
  "vlanId",
  "network",
  "sshPublicKeys",
  "sshUser",
  "hosts",
  "ha",
  "acmeEmail",
  "reserveMb",
];
const NETWORK_KEYS = ["cidr", "gateway", "firstAddress", "dns"];
const HOST_KEYS = ["name", "cores", "memoryMb", "diskGb", "node"];

const NODE = pred("a Proxmox node name (a-z, 0-9 and -)", isLabel);
const STORAGE = pred('a Proxmox storage name (e.g. "local-lvm")', (s) =>
  /^[a-z][a-z0-9._-]*[a-z0-9]$/.test(s),
);
const BRIDGE = pred('a bridge interface name (e.g. "vmbr0")', (s) =>
  /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(s),
);
const USER = pred('a Linux user name (e.g. "socle")', (s) => /^[a-z_][a-z0-9_-]{0,31}$/.test(s));
const MEMORY_MB = int(2048, MAX_MEMORY_MB);
const KIND = oneOf('"local" or "proxmox"', TARGET_KINDS);

/** The host names a tenant may be pinned to (`local` for the local target). */
export function hostNames(target: LocalTarget | ProxmoxTarget): string[] {
  // (hosts is undefined in a target whose hosts are invalid: errors are reported already)
  return target.kind === "local" ? ["local"] : (target.hosts ?? []).map((h) => h.name);
}

/** Host name → IPv4 address: hosts take consecutive addresses from `network.firstAddress`. */
export function hostAddresses(target: ProxmoxTarget): Record<string, string> {
  const first = ipv4(target.network.firstAddress)!;
  return Object.fromEntries(target.hosts.map((h, i) => [h.name, ipv4String(first + i)]));
}

/** Reads `socle:target` (default `{kind: local}`); undefined when invalid (errors in `r`). */
export function readTarget(r: Reader, v: unknown): LocalTarget | ProxmoxTarget | undefined {
  const path = "socle:target";
  if (v === undefined || v === null) return { kind: "local", ...TARGET_DEFAULTS.local };
  if (!isObject(v)) {
    r.invalid(path, v, "an object");
    return undefined;
  }
  const kind = r.required(at(path, "kind"), v.kind, KIND);
  if (kind === "local") return readLocal(r, path, v);
  if (kind === "proxmox") return readProxmox(r, path, v);
  return undefined;
}

function readLocal(r: Reader, path: string, v: Record<string, unknown>): LocalTarget {
  r.object(path, v, "an object", LOCAL_KEYS);
  const d = TARGET_DEFAULTS.local;
  const dockerHost = readDockerHost(r, path, v);
  const memoryMb = r.withDefault(at(path, "memoryMb"), v.memoryMb, MEMORY_MB, d.memoryMb);
  const acmeEmail = readAcmeEmail(r, at(path, "acmeEmail"), v.acmeEmail);
  return { kind: "local", ...dockerHost, memoryMb, ...(acmeEmail !== undefined ? { acmeEmail } : {}) };
}

/** A required, non-empty list. */
function requiredList<T>(
  r: Reader,
  path: string,
  v: unknown,
  what: string,
  item: (p: string, x: unknown) => T | undefined,
): T[] | undefined {
  if (v === undefined || v === null) {
    r.add(path, `missing, expected ${what}`);
    return undefined;
  }
  return r.list(path, v, what, item)?.filter((x): x is T => x !== undefined);
}

function readProxmox(r: Reader, path: string, v: Record<string, unknown>): ProxmoxTarget {
  r.object(path, v, "an object", PROXMOX_KEYS);
  const d = TARGET_DEFAULTS.proxmox;
  const p = (k: string) => at(path, k);
  // Read in the documented key order, so that errors come out in that order.
  const endpoint = readEndpoint(r, p("endpoint"), v.endpoint);
  const insecure = r.withDefault(p("insecure"), v.insecure, BOOL, d.insecure);
  const nodes = requiredList(r, p("nodes"), v.nodes, "a list of at least one Proxmox node name", (ip, x) =>
    r.value(ip, x, NODE),
  );
  uniqueNames(r, p("nodes"), v.nodes, "");
  const templateVmId = r.required(p("templateVmId"), v.templateVmId, int(100, 999_999_999));
  if (templateVmId !== undefined && Array.isArray(v.hosts))
    checkTemplateVmId(r, path, templateVmId, v.hosts.length);
  const datastore = r.withDefault(p("datastore"), v.datastore, STORAGE, d.datastore);
  const snippetsDatastore = r.withDefault(
    p("snippetsDatastore"),
    v.snippetsDatastore,
    STORAGE,
    d.snippetsDatastore,
  );
  const bridge = r.withDefault(p("bridge"), v.bridge, BRIDGE, d.bridge);
  const vlanId = r.optional(p("vlanId"), v.vlanId, int(1, 4094));
  const network = readNetwork(r, p("network"), v.network);
  if (network?.cidr) checkDockerOverlap(r, at(p("network"), "cidr"), network.cidr);
  const { sshPublicKeys, sshUser } = readAccess(r, path, v);
  const hosts = requiredList(r, p("hosts"), v.hosts, "a list of at least one host", (hp, x) =>
    readHost(r, hp, x, nodes),
  );
  uniqueNames(r, p("hosts"), v.hosts, ".name");
  if (network && Array.isArray(v.hosts)) checkAddresses(r, p("network"), network, v.hosts.length);
  const ha = r.withDefault(p("ha"), v.ha, BOOL, d.ha);
  if (ha && nodes && nodes.length < 2) r.add(p("ha"), `true needs at least 2 nodes in ${p("nodes")}`);
  const acmeEmail = readAcmeEmail(r, p("acmeEmail"), v.acmeEmail);
  const reserveMb = readReserve(r, path, v.reserveMb, hosts);
  return {
    kind: "proxmox",
    endpoint: endpoint!,
    insecure,
    nodes: nodes!,
    templateVmId: templateVmId!,
    datastore,
    snippetsDatastore,
    bridge,
    ...(vlanId !== undefined ? { vlanId } : {}),
    network: network?.value as ProxmoxTarget["network"],
    sshPublicKeys,
    sshUser,
    hosts: hosts!,
    ha,
    ...(acmeEmail !== undefined ? { acmeEmail } : {}),
    reserveMb,
  };
}

/** How Socle logs into the hosts: SSH keys (RSA of 3072 bits at least) and a user of its own. */
function readAccess(
  r: Reader,
  path: string,
  v: Record<string, unknown>,
): Pick<ProxmoxTarget, "sshPublicKeys" | "sshUser"> {
  const keys = requiredList(
    r,
    at(path, "sshPublicKeys"),
    v.sshPublicKeys,
    "a list of SSH public keys",
    (kp, x) => readSshKey(r, kp, x),
  );
  const sshUser = r.withDefault(at(path, "sshUser"), v.sshUser, USER, TARGET_DEFAULTS.proxmox.sshUser);
  if (SYSTEM_ACCOUNTS.includes(sshUser)) {
    r.add(
      at(path, "sshUser"),
      `${show(sshUser)} is a system account of the Debian hosts (the admin user must be an account of its own, e.g. "socle")`,
    );
  }
  return { sshPublicKeys: keys!, sshUser };
}

/** The memory kept for each host's OS: less than every host's memory. */
function readReserve(r: Reader, path: string, v: unknown, hosts: HostSpec[] | undefined): number {
  const p = at(path, "reserveMb");
  const reserveMb = r.withDefault(p, v, int(0), TARGET_DEFAULTS.proxmox.reserveMb);
  hosts?.forEach((h, i) => {
    if (h.memoryMb !== undefined && reserveMb >= h.memoryMb) {
      r.add(p, `${reserveMb} is not less than ${at(path, "hosts")}[${i}].memoryMb (${h.memoryMb})`);
    }
  });
  return reserveMb;
}

/** Reports duplicate names in a list of strings (`suffix` "") or of objects with a name (`.name`). */
function uniqueNames(r: Reader, path: string, v: unknown, suffix: "" | ".name"): void {
  if (!Array.isArray(v)) return;
  r.unique(
    v.map((x: unknown, i) => {
      const name = suffix === "" ? x : isObject(x) ? x.name : undefined;
      return { path: `${path}[${i}]${suffix}`, value: typeof name === "string" ? name : undefined };
    }),
  );
}

function readHost(r: Reader, path: string, v: unknown, nodes: string[] | undefined): HostSpec | undefined {
  const o = r.object(path, v, "a host (an object with name, cores, memoryMb, diskGb)", HOST_KEYS);
  if (!o) return undefined;
  const node = r.optional(at(path, "node"), o.node, NODE);
  if (node !== undefined && nodes && !nodes.includes(node)) {
    r.add(at(path, "node"), `"${node}" is not one of the target's nodes (${nodes.join(", ")})`);
  }
  return {
    name: r.required(at(path, "name"), o.name, SLUG)!,
    cores: r.required(at(path, "cores"), o.cores, int(1, 128))!,
    memoryMb: r.required(at(path, "memoryMb"), o.memoryMb, MEMORY_MB)!,
    diskGb: r.required(at(path, "diskGb"), o.diskGb, int(20, MAX_DISK_GB))!,
    ...(node !== undefined ? { node } : {}),
  };
}

function inside(cidr: Cidr, ip: number): boolean {
  return ip > cidr.network && ip < cidr.network + cidr.size - 1;
}

interface Network {
  value: Partial<ProxmoxTarget["network"]>;
  cidr?: Cidr;
}

function readNetwork(r: Reader, path: string, v: unknown): Network | undefined {
  const what = "an object with cidr, gateway and firstAddress";
  if (v === undefined || v === null) {
    r.add(path, `missing, expected ${what}`);
    return undefined;
  }
  const o = r.object(path, v, what, NETWORK_KEYS);
  if (!o) return undefined;
  const cidr = r.required(at(path, "cidr"), o.cidr, CIDR);
  const gateway = r.required(at(path, "gateway"), o.gateway, IPV4);
  const firstAddress = r.required(at(path, "firstAddress"), o.firstAddress, IPV4);
  const dns =
    o.dns === undefined || o.dns === null
      ? gateway !== undefined
        ? [gateway]
        : []
      : (r
          .list(at(path, "dns"), o.dns, "a list of IPv4 addresses", (dp, x) => r.value(dp, x, IPV4))
          ?.filter((x): x is string => x !== undefined) ?? []);
  return { value: { cidr: cidr?.text, gateway, firstAddress, dns }, ...(cidr ? { cidr } : {}) };
}

/** Gateway and first address inside the CIDR; room for every host; the gateway is no host's address. */
function checkAddresses(r: Reader, path: string, net: Network, hostCount: number): void {
  const { cidr, value } = net;
  if (!cidr) return;
  const where = `a host address in ${cidr.text}`;
  const gw = value.gateway !== undefined ? ipv4(value.gateway)! : undefined;
  const first = value.firstAddress !== undefined ? ipv4(value.firstAddress)! : undefined;
  if (gw !== undefined && !inside(cidr, gw)) r.invalid(at(path, "gateway"), value.gateway, where);
  if (first === undefined) return;
  if (!inside(cidr, first)) {
    r.invalid(at(path, "firstAddress"), value.firstAddress, where);
    return;
  }
  const room = cidr.network + cidr.size - 1 - first;
  if (room < hostCount) {
    r.add(
      at(path, "firstAddress"),
      `"${value.firstAddress}" leaves room for ${room} host${room === 1 ? "" : "s"} in ${cidr.text}, not ${hostCount}`,
    );
  } else if (gw !== undefined && gw >= first && gw < first + hostCount) {
    r.add(at(path, "gateway"), `"${value.gateway}" is already used by socle:target.hosts[${gw - first}]`);
  }
}
