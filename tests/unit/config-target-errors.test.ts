/**
 * The stack config's rejections of `socle:target` (local and proxmox): a table
 * of bad inputs, each with the EXACT list of messages `parseConfig` reports.
 */
import { describe } from "vitest";
import { KEY, hosts, net, px, rejects, t, target, type Case } from "./config-fixtures.js";

const CASES: Case[] = [
  [
    "bad names and flags on a proxmox target",
    target(
      px({
        insecure: "true",
        datastore: "Local LVM",
        snippetsDatastore: "local-",
        bridge: "vmbr0-with-a-long-name",
        sshUser: "Admin",
        acmeEmail: "dsi",
        nodes: ["PVE 1"],
      }),
    ),
    [
      'socle:target.insecure: "true" is not true or false',
      'socle:target.nodes[0]: "PVE 1" is not a Proxmox node name (a-z, 0-9 and -)',
      'socle:target.datastore: "Local LVM" is not a Proxmox storage name (e.g. "local-lvm")',
      'socle:target.snippetsDatastore: "local-" is not a Proxmox storage name (e.g. "local-lvm")',
      'socle:target.bridge: "vmbr0-with-a-long-name" is not a bridge interface name (e.g. "vmbr0")',
      'socle:target.sshUser: "Admin" is not a Linux user name (e.g. "socle")',
      'socle:target.acmeEmail: "dsi" is not an email address',
    ],
  ],
  ["target not an object", target("local"), ['socle:target: "local" is not an object']],
  [
    "target kind missing",
    target({ memoryMb: 8192 }),
    ['socle:target.kind: missing, expected "local" or "proxmox"'],
  ],
  ["target kind unknown", target({ kind: "aws" }), ['socle:target.kind: "aws" is not "local" or "proxmox"']],
  [
    "local target too small, proxmox key",
    target({ kind: "local", memoryMb: 1024, nodes: ["pve1"] }),
    [
      "socle:target.nodes: unknown key (expected one of: kind, dockerHost, dockerCertPath, memoryMb, acmeEmail)",
      "socle:target.memoryMb: 1024 is not an integer between 2048 and 4194304",
    ],
  ],
  [
    "dockerHost a path",
    target({ kind: "local", dockerHost: "/var/run/docker.sock" }),
    [
      'socle:target.dockerHost: "/var/run/docker.sock" is not a Docker engine address (unix://, tcp:// or ssh://)',
    ],
  ],
  [
    "proxmox without its required keys",
    target({ kind: "proxmox" }),
    [
      'socle:target.endpoint: missing, expected an https URL (e.g. "https://pve1.mairie.example:8006/")',
      "socle:target.nodes: missing, expected a list of at least one Proxmox node name",
      "socle:target.templateVmId: missing, expected an integer between 100 and 999999999",
      "socle:target.network: missing, expected an object with cidr, gateway and firstAddress",
      "socle:target.sshPublicKeys: missing, expected a list of SSH public keys",
      "socle:target.hosts: missing, expected a list of at least one host",
    ],
  ],
  [
    "endpoint over http",
    target(px({ endpoint: "http://pve:8006" })),
    [
      'socle:target.endpoint: "http://pve:8006" is not an https URL (e.g. "https://pve1.mairie.example:8006/")',
    ],
  ],
  [
    "ssh keys: dss, truncated, mislabelled",
    target(
      px({
        sshPublicKeys: [
          "ssh-dss AAAAB3NzaC1kc3M= x",
          KEY.slice(0, 40),
          KEY.replace("ssh-ed25519", "ssh-rsa"),
        ],
      }),
    ),
    [
      'socle:target.sshPublicKeys[0]: "ssh-dss AAAAB3NzaC1kc3M= x" is not an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)',
      'socle:target.sshPublicKeys[1]: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKKs" is not an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)',
      'socle:target.sshPublicKeys[2]: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKKstRRiuz4zq6Ve6TFsrFy0/0… is not an SSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-* with its base64 key)',
    ],
  ],
  [
    "duplicate host names, duplicate nodes",
    target(px({ nodes: ["pve1", "pve1"], hosts: [hosts(1)[0], hosts(1)[0]] })),
    [
      'socle:target.nodes[1]: "pve1" is already used by socle:target.nodes[0]',
      'socle:target.hosts[1].name: "apps1" is already used by socle:target.hosts[0].name',
    ],
  ],
  [
    "host sizes out of range",
    target(px({ hosts: [{ name: "apps1", cores: 0, memoryMb: 1024, diskGb: 10.5 }] })),
    [
      "socle:target.hosts[0].cores: 0 is not an integer between 1 and 128",
      "socle:target.hosts[0].memoryMb: 1024 is not an integer between 2048 and 4194304",
      "socle:target.hosts[0].diskGb: 10.5 is not an integer between 20 and 65536",
    ],
  ],
  [
    "host pinned to an unknown node",
    target(px({ hosts: [{ ...hosts(1)[0], node: "pve3" }] })),
    ['socle:target.hosts[0].node: "pve3" is not one of the target\'s nodes (pve1, pve2)'],
  ],
  [
    "tenant pinned to an unknown host (proxmox)",
    target(px({ hosts: hosts(2) }), { tenants: [t({ host: "apps3" })] }),
    ['socle:tenants[0].host: "apps3" is not one of the target\'s hosts (apps1, apps2)'],
  ],
  [
    "malformed CIDRs",
    net({ cidr: "10.20.0.0/33" }),
    [
      'socle:target.network.cidr: "10.20.0.0/33" is not an IPv4 network in CIDR notation, prefix 8 to 30, no host bits set (e.g. "10.20.0.0/24")',
    ],
  ],
  [
    "CIDR with host bits",
    net({ cidr: "10.20.0.5/24" }),
    [
      'socle:target.network.cidr: "10.20.0.5/24" is not an IPv4 network in CIDR notation, prefix 8 to 30, no host bits set (e.g. "10.20.0.0/24")',
    ],
  ],
  [
    "gateway and first address outside the CIDR",
    net({ gateway: "10.30.0.1", firstAddress: "10.20.0.255" }),
    [
      'socle:target.network.gateway: "10.30.0.1" is not a host address in 10.20.0.0/24',
      'socle:target.network.firstAddress: "10.20.0.255" is not a host address in 10.20.0.0/24',
    ],
  ],
  [
    "not enough addresses for the hosts",
    target(
      px({
        network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.253" },
        hosts: hosts(3),
      }),
    ),
    ['socle:target.network.firstAddress: "10.20.0.253" leaves room for 2 hosts in 10.20.0.0/24, not 3'],
  ],
  [
    "gateway among the hosts' addresses",
    target(
      px({
        network: { cidr: "10.20.0.0/24", gateway: "10.20.0.11", firstAddress: "10.20.0.10" },
        hosts: hosts(2),
      }),
    ),
    ['socle:target.network.gateway: "10.20.0.11" is already used by socle:target.hosts[1]'],
  ],
  [
    "bad dns, vlan, template",
    target(
      px({
        vlanId: 5000,
        templateVmId: 50,
        network: {
          cidr: "10.20.0.0/24",
          gateway: "10.20.0.1",
          firstAddress: "10.20.0.10",
          dns: ["dns.example"],
        },
      }),
    ),
    [
      "socle:target.templateVmId: 50 is not an integer between 100 and 999999999",
      "socle:target.vlanId: 5000 is not an integer between 1 and 4094",
      'socle:target.network.dns[0]: "dns.example" is not an IPv4 address',
    ],
  ],
  [
    "ha on one node",
    target(px({ nodes: ["pve1"], ha: true })),
    ["socle:target.ha: true needs at least 2 nodes in socle:target.nodes"],
  ],
  [
    "reserve larger than a host",
    target(px({ reserveMb: 4096, hosts: [{ name: "small", cores: 1, memoryMb: 4096, diskGb: 20 }] })),
    ["socle:target.reserveMb: 4096 is not less than socle:target.hosts[0].memoryMb (4096)"],
  ],
];

describe("parseConfig rejects a bad target with exact messages", () => {
  rejects(CASES);
});
