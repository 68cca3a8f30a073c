import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderCloudInit, validateCloudInitArgs, type CloudInitArgs } from "../../templates/cloud-init.js";
import type { DockerHost } from "./docker-host.js";
import { parseCidr, parseIpv4, VMID_MAX } from "./proxmox-provider.js";

export interface ProxmoxDockerHostArgs {
  /** The provider for the cluster (see `proxmoxProvider`). */
  proxmox: proxmoxve.Provider;
  /** Node the VM runs on (see `spreadHosts`). */
  node: string;
  vmId: number;
  /** The Debian 12 cloud-init template to clone. */
  templateVmId: number;
  /** Node holding the template, when not `node` (needs the template on shared storage). */
  templateNode?: string;
  cores: number;
  /** VM memory, MiB. */
  memoryMb: number;
  diskGb: number;
  /** Datastore of the VM disk and of its cloud-init drive. */
  datastore: string;
  /** Datastore with the `snippets` content type enabled (the user data file). */
  snippetsDatastore: string;
  bridge: string;
  vlanId?: number;
  /** Static address with prefix, e.g. `10.20.0.10/24` (see `hostAddress`). */
  address: string;
  gateway: string;
  dns: string[];
  /** The one login on the VM (SSH keys only, passwordless sudo, group docker). */
  adminUser: string;
  sshPublicKeys: string[];
  /** Open the mail ports on the VM firewall (the host runs the mail server). */
  mail: boolean;
  /** Registry mirror every image is pulled through (see DockerHost). */
  imageRegistry?: string;
  /** Memory kept for the OS and Docker itself, MiB; default 1024. */
  reserveMb?: number;
  extraFiles?: CloudInitArgs["extraFiles"];
  extraCommands?: CloudInitArgs["extraCommands"];
  /** Put the VM under HA in this group (see `haGroup`). */
  ha?: { group: string };
}

export const DEFAULTS = {
  reserveMb: 1024,
  cpuType: "host",
  diskInterface: "scsi0",
  tags: ["socle"],
  sshOpts: ["-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30"],
} as const;

const isInt = (v: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  Number.isInteger(v) && v >= min && v <= max;

/** The cloud-init arguments of a host (what `renderCloudInit` receives). */
export function cloudInitArgsFor(name: string, args: ProxmoxDockerHostArgs): CloudInitArgs {
  return {
    hostname: name,
    adminUser: args.adminUser,
    sshPublicKeys: args.sshPublicKeys,
    mailPorts: args.mail,
    ...(args.extraFiles ? { extraFiles: args.extraFiles } : {}),
    ...(args.extraCommands ? { extraCommands: args.extraCommands } : {}),
  };
}

/** Throws an exact message, prefixed with the host name, before any child exists. */
export function validateProxmoxDockerHostArgs(name: string, args: ProxmoxDockerHostArgs): void {
  const fail = (msg: string): never => {
    throw new Error(`${name}: ${msg}`);
  };
  for (const key of ["node", "datastore", "snippetsDatastore", "bridge"] as const) {
    if (args[key].trim() === "") fail(`${key} is empty`);
  }
  if (!isInt(args.vmId, 100, VMID_MAX))
    fail(`vmId must be an integer from 100 to ${VMID_MAX}, got ${args.vmId}`);
  if (!isInt(args.templateVmId, 100, VMID_MAX)) {
    fail(`templateVmId must be an integer from 100 to ${VMID_MAX}, got ${args.templateVmId}`);
  }
  if (args.vmId === args.templateVmId) fail(`vmId ${args.vmId} is the template's id`);
  if (!isInt(args.cores, 1)) fail(`cores must be a positive integer, got ${args.cores}`);
  if (!isInt(args.diskGb, 1)) fail(`diskGb must be a positive integer, got ${args.diskGb}`);
  if (!isInt(args.memoryMb, 1)) fail(`memoryMb must be a positive integer, got ${args.memoryMb}`);
  const reserve = args.reserveMb ?? DEFAULTS.reserveMb;
  if (!isInt(reserve, 0)) fail(`reserveMb must be a non-negative integer, got ${reserve}`);
  if (args.memoryMb <= reserve) {
    fail(`memoryMb (${args.memoryMb}) leaves nothing for containers after reserveMb (${reserve})`);
  }
  if (args.vlanId !== undefined && !isInt(args.vlanId, 1, 4094)) {
    fail(`vlanId must be an integer from 1 to 4094, got ${args.vlanId}`);
  }
  const [ip, prefix] = args.address.split("/");
  const ipN = ip === undefined ? undefined : parseIpv4(ip);
  if (ipN === undefined || prefix === undefined) {
    fail(`address "${args.address}" is not an IPv4 address with its prefix, like 10.20.0.10/24`);
  }
  const net = parseCidr(args.address, `${name}: address`);
  if (ipN! < net.first || ipN! > net.last) fail(`address ${args.address} is not a usable host address`);
  const gw = parseIpv4(args.gateway);
  if (gw === undefined) fail(`gateway "${args.gateway}" is not an IPv4 address`);
  if (gw! < net.first || gw! > net.last)
    fail(`gateway ${args.gateway} is not in the network of ${args.address}`);
  if (gw === ipN) fail(`address ${args.address} is the gateway's`);
  if (args.dns.length === 0) fail("dns is empty");
  args.dns.forEach((d, i) => {
    if (parseIpv4(d) === undefined && !/^[0-9a-fA-F:]+$/.test(d))
      fail(`dns[${i}] "${d}" is not an IP address`);
  });
  if (args.ha && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(args.ha.group)) {
    fail(`ha.group "${args.ha.group}" is not a valid HA group id`);
  }
  try {
    validateCloudInitArgs(cloudInitArgsFor(name, args));
  } catch (e) {
    fail((e as Error).message);
  }
}

/**
 * ProxmoxDockerHost — a Debian 12 VM cloned from a cloud-init template on a
 * Proxmox VE node, with Docker installed and the host hardened by cloud-init
 * (templates/cloud-init.ts), and the `docker.Provider` that reaches its engine
 * over SSH as the admin user.
 *
 * Type token `socle:hosts:ProxmoxDockerHost`; children (parent: this):
 * - `${name}-cloud-init` proxmoxve.FileLegacy: the user data snippet
 *   `${name}-cloud-init.yaml` on `snippetsDatastore` of `node`;
 * - `${name}-vm` proxmoxve.VmLegacy: full clone of `templateVmId`, static
 *   address, the snippet as user data, agent on, started on boot;
 * - `${name}-ha` proxmoxve.Haresource (only with `ha`): `vm:<vmId>`, started;
 * - `${name}-docker` docker.Provider `ssh://<adminUser>@<ip>:22`, after the VM.
 *
 * `memoryMb` (placement capacity) is the VM memory minus `reserveMb`.
 */
export class ProxmoxDockerHost extends pulumi.ComponentResource implements DockerHost {
  readonly hostName: string;
  readonly provider: docker.Provider;
  /** The VM's IPv4 address, without prefix. */
  readonly address: pulumi.Output<string>;
  readonly memoryMb: number;
  readonly mail: boolean;
  readonly imageRegistry?: string;
  readonly vmId: number;
  readonly node: string;
  readonly vm: proxmoxve.VmLegacy;
  readonly cloudInit: proxmoxve.FileLegacy;
  readonly haResource?: proxmoxve.Haresource;

  constructor(name: string, args: ProxmoxDockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    validateProxmoxDockerHostArgs(name, args);
    super("socle:hosts:ProxmoxDockerHost", name, {}, opts);
    this.hostName = name;
    this.mail = args.mail;
    if (args.imageRegistry !== undefined) this.imageRegistry = args.imageRegistry;
    this.vmId = args.vmId;
    this.node = args.node;
    this.memoryMb = args.memoryMb - (args.reserveMb ?? DEFAULTS.reserveMb);
    const ip = args.address.split("/")[0]!;
    const onCluster = { parent: this, provider: args.proxmox };

    this.cloudInit = new proxmoxve.FileLegacy(
      `${name}-cloud-init`,
      {
        contentType: "snippets",
        datastoreId: args.snippetsDatastore,
        nodeName: args.node,
        sourceRaw: {
          data: renderCloudInit(cloudInitArgsFor(name, args)),
          fileName: `${name}-cloud-init.yaml`,
        },
      },
      // Same file name on replacement: delete the old snippet first, or its
      // deletion would remove the new one.
      { ...onCluster, deleteBeforeReplace: true },
    );

    this.vm = new proxmoxve.VmLegacy(
      `${name}-vm`,
      {
        nodeName: args.node,
        vmId: args.vmId,
        name,
        clone: {
          vmId: args.templateVmId,
          full: true,
          ...(args.templateNode !== undefined ? { nodeName: args.templateNode } : {}),
        },
        cpu: { cores: args.cores, type: DEFAULTS.cpuType },
        memory: { dedicated: args.memoryMb },
        disks: [{ interface: DEFAULTS.diskInterface, datastoreId: args.datastore, size: args.diskGb }],
        networkDevices: [
          {
            bridge: args.bridge,
            ...(args.vlanId !== undefined ? { vlanId: args.vlanId } : {}),
            firewall: true,
          },
        ],
        agent: { enabled: true },
        initialization: {
          datastoreId: args.datastore,
          ipConfigs: [{ ipv4: { address: args.address, gateway: args.gateway } }],
          dns: { servers: args.dns },
          userDataFileId: this.cloudInit.id,
        },
        onBoot: true,
        tags: [...DEFAULTS.tags],
      },
      // Proxmox sorts tags itself; operators may add their own.
      { ...onCluster, ignoreChanges: ["tags"] },
    );

    if (args.ha) {
      this.haResource = new proxmoxve.Haresource(
        `${name}-ha`,
        { resourceId: `vm:${args.vmId}`, group: args.ha.group, state: "started" },
        { ...onCluster, dependsOn: [this.vm] },
      );
    }

    this.provider = new docker.Provider(
      `${name}-docker`,
      { host: `ssh://${args.adminUser}@${ip}:22`, sshOpts: [...DEFAULTS.sshOpts] },
      { parent: this, dependsOn: this.haResource ? [this.vm, this.haResource] : [this.vm] },
    );
    this.address = pulumi.output(ip);

    this.registerOutputs({
      address: this.address,
      vmId: this.vmId,
      node: this.node,
      memoryMb: this.memoryMb,
    });
  }
}
