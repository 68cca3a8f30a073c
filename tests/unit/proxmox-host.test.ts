import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ProxmoxDockerHost,
  validateProxmoxDockerHostArgs,
  type ProxmoxDockerHostArgs,
} from "../../components/hosts/proxmox-docker-host.js";
import {
  haGroup,
  hostAddress,
  proxmoxProvider,
  spreadHosts,
  vmIdFor,
} from "../../components/hosts/proxmox-provider.js";
import { renderCloudInit } from "../../templates/cloud-init.js";
import { installMocks, resolve, secretPaths, settle, type Recorder } from "./mocks.js";

const T = {
  provider: "pulumi:providers:proxmoxve",
  docker: "pulumi:providers:docker",
  vm: "proxmoxve:index/vmLegacy:VmLegacy",
  file: "proxmoxve:index/fileLegacy:FileLegacy",
  ha: "proxmoxve:index/haresource:Haresource",
  group: "proxmoxve:index/hagroup:Hagroup",
  host: "socle:hosts:ProxmoxDockerHost",
};
const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0bb8ew0yAIBI5G0yuDQ5AmqN2NmIk7NAb8Pw3oJZA dsi@mairie";
const KEY_B =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPq6Vw9oOCt1n3Bqx0cT2cHl0b1Wm7kqPNwZ4D8yJd1M astreinte@epci";

let rec: Recorder;
let pve: proxmoxve.Provider;
let apps1: ProxmoxDockerHost;
let mail1: ProxmoxDockerHost;
let group: proxmoxve.Hagroup;

const nodes = ["pve1", "pve2"];
const placed = spreadHosts([{ name: "apps1" }, { name: "mail1" }], nodes);

function hostArgs(i: number, over: Partial<ProxmoxDockerHostArgs> = {}): ProxmoxDockerHostArgs {
  return {
    proxmox: pve,
    node: placed[i]!.node,
    vmId: vmIdFor(i),
    templateVmId: 9000,
    cores: 4,
    memoryMb: 16384,
    diskGb: 200,
    datastore: "local-lvm",
    snippetsDatastore: "local",
    bridge: "vmbr0",
    address: hostAddress("10.20.0.0/24", "10.20.0.10", i),
    gateway: "10.20.0.1",
    dns: ["10.20.0.1", "9.9.9.9"],
    adminUser: "socle",
    sshPublicKeys: [KEY_A, KEY_B],
    mail: false,
    ...over,
  };
}

beforeAll(async () => {
  rec = await installMocks();
  pve = proxmoxProvider("pve", {
    endpoint: "https://pve.example.org:8006/",
    apiToken: pulumi.output("socle@pve!pulumi=00000000-0000-0000-0000-000000000000"),
    insecure: false,
    sshUser: "socle",
  });
  group = haGroup("socle", { nodes, proxmox: pve });
  apps1 = new ProxmoxDockerHost("apps1", hostArgs(0));
  mail1 = new ProxmoxDockerHost(
    "mail1",
    hostArgs(1, {
      mail: true,
      vlanId: 20,
      reserveMb: 2048,
      ha: { group: "socle" },
      extraFiles: [
        { path: "/etc/systemd/system/socle-backup.timer", content: "[Timer]\nOnCalendar=daily\n" },
      ],
      extraCommands: [["systemctl", "enable", "--now", "socle-backup.timer"]],
    }),
  );
  await settle();
});

describe("proxmoxProvider", () => {
  it("passes the API token as a secret and uploads snippets over SSH with the agent", () => {
    const p = rec.get(T.provider, "pve");
    expect(p.inputs).toEqual({
      endpoint: "https://pve.example.org:8006/",
      apiToken: "socle@pve!pulumi=00000000-0000-0000-0000-000000000000",
      insecure: "false",
      ssh: '{"agent":true,"username":"socle"}',
    });
    expect(secretPaths(p.raw)).toEqual(["apiToken"]);
  });

  it("refuses a plain-http endpoint", () => {
    expect(() =>
      proxmoxProvider("x", { endpoint: "http://pve:8006/", apiToken: "t", insecure: true, sshUser: "root" }),
    ).toThrow('proxmox: endpoint "http://pve:8006/" is not an https:// URL');
  });
});

describe("ProxmoxDockerHost on two nodes", () => {
  it("declares exactly its children, parented under the component", async () => {
    const hostUrn = await resolve(apps1.urn);
    const children = rec.resources.filter((r) => r.parent === hostUrn).map((r) => `${r.type} ${r.name}`);
    expect(children).toEqual([`${T.file} apps1-cloud-init`, `${T.vm} apps1-vm`, `${T.docker} apps1-docker`]);
    const mailUrn = await resolve(mail1.urn);
    expect(rec.resources.filter((r) => r.parent === mailUrn).map((r) => `${r.type} ${r.name}`)).toEqual([
      `${T.file} mail1-cloud-init`,
      `${T.vm} mail1-vm`,
      `${T.ha} mail1-ha`,
      `${T.docker} mail1-docker`,
    ]);
    expect(rec.byType(T.host).map((r) => r.name)).toEqual(["apps1", "mail1"]);
  });

  it("clones the template into a VM with exact inputs (apps1 on pve1)", () => {
    expect(rec.get(T.vm, "apps1-vm").inputs).toEqual({
      nodeName: "pve1",
      vmId: 2000,
      name: "apps1",
      clone: { vmId: 9000, full: true },
      cpu: { cores: 4, type: "host" },
      memory: { dedicated: 16384 },
      disks: [{ interface: "scsi0", datastoreId: "local-lvm", size: 200 }],
      networkDevices: [{ bridge: "vmbr0", firewall: true }],
      agent: { enabled: true },
      initialization: {
        datastoreId: "local-lvm",
        ipConfigs: [{ ipv4: { address: "10.20.0.10/24", gateway: "10.20.0.1" } }],
        dns: { servers: ["10.20.0.1", "9.9.9.9"] },
        userDataFileId: "apps1-cloud-init-id",
      },
      onBoot: true,
      tags: ["socle"],
    });
  });

  it("puts the second host on the other node, next address and VM id, on its VLAN", () => {
    expect(rec.get(T.vm, "mail1-vm").inputs).toEqual({
      nodeName: "pve2",
      vmId: 2001,
      name: "mail1",
      clone: { vmId: 9000, full: true },
      cpu: { cores: 4, type: "host" },
      memory: { dedicated: 16384 },
      disks: [{ interface: "scsi0", datastoreId: "local-lvm", size: 200 }],
      networkDevices: [{ bridge: "vmbr0", vlanId: 20, firewall: true }],
      agent: { enabled: true },
      initialization: {
        datastoreId: "local-lvm",
        ipConfigs: [{ ipv4: { address: "10.20.0.11/24", gateway: "10.20.0.1" } }],
        dns: { servers: ["10.20.0.1", "9.9.9.9"] },
        userDataFileId: "mail1-cloud-init-id",
      },
      onBoot: true,
      tags: ["socle"],
    });
  });

  it("uploads exactly renderCloudInit's output as a snippet on the VM's node", () => {
    expect(rec.get(T.file, "apps1-cloud-init").inputs).toEqual({
      contentType: "snippets",
      datastoreId: "local",
      nodeName: "pve1",
      sourceRaw: {
        data: renderCloudInit({
          hostname: "apps1",
          adminUser: "socle",
          sshPublicKeys: [KEY_A, KEY_B],
          mailPorts: false,
        }),
        fileName: "apps1-cloud-init.yaml",
      },
    });
    const mail = rec.get(T.file, "mail1-cloud-init").inputs as {
      nodeName: string;
      sourceRaw: { data: string };
    };
    expect(mail.nodeName).toBe("pve2");
    expect(mail.sourceRaw.data).toBe(
      renderCloudInit({
        hostname: "mail1",
        adminUser: "socle",
        sshPublicKeys: [KEY_A, KEY_B],
        mailPorts: true,
        extraFiles: [
          { path: "/etc/systemd/system/socle-backup.timer", content: "[Timer]\nOnCalendar=daily\n" },
        ],
        extraCommands: [["systemctl", "enable", "--now", "socle-backup.timer"]],
      }),
    );
    expect(mail.sourceRaw.data).toContain("tcp dport { 22, 80, 443, 25, 465, 587, 993, 4190 } accept");
  });

  it("declares the Proxmox resources with the given provider", async () => {
    const providerRef = `${await resolve(pve.urn)}::${await resolve(pve.id)}`;
    for (const [type, name] of [
      [T.file, "apps1-cloud-init"],
      [T.vm, "apps1-vm"],
      [T.file, "mail1-cloud-init"],
      [T.vm, "mail1-vm"],
      [T.ha, "mail1-ha"],
      [T.group, "socle"],
    ] as const) {
      expect(rec.get(type, name).provider, `${type} ${name}`).toBe(providerRef);
    }
  });

  it("reaches each engine over SSH as the admin user, once the VM exists", async () => {
    const d = rec.get(T.docker, "apps1-docker");
    expect(d.inputs).toEqual({
      host: "ssh://socle@10.20.0.10:22",
      sshOpts: '["-o","StrictHostKeyChecking=accept-new","-o","BatchMode=yes","-o","ConnectTimeout=30"]',
    });
    expect(d.dependencies).toEqual([await resolve(apps1.vm.urn)]);
    const m = rec.get(T.docker, "mail1-docker");
    expect(m.inputs.host).toBe("ssh://socle@10.20.0.11:22");
    expect(m.dependencies).toEqual([await resolve(mail1.vm.urn), await resolve(mail1.haResource!.urn)]);
  });

  it("exposes the DockerHost contract", async () => {
    expect(apps1.hostName).toBe("apps1");
    expect(await resolve(apps1.address)).toBe("10.20.0.10");
    expect(await resolve(mail1.address)).toBe("10.20.0.11");
    expect(apps1.memoryMb).toBe(16384 - 1024);
    expect(mail1.memoryMb).toBe(16384 - 2048);
    expect([apps1.mail, mail1.mail]).toEqual([false, true]);
    expect(apps1.haResource).toBeUndefined();
  });

  it("puts the HA host in its group, started, after its VM", async () => {
    expect(rec.byType(T.ha).map((r) => r.name)).toEqual(["mail1-ha"]);
    const ha = rec.get(T.ha, "mail1-ha");
    expect(ha.inputs).toEqual({ resourceId: "vm:2001", group: "socle", state: "started" });
    expect(ha.dependencies).toEqual([await resolve(mail1.vm.urn)]);
    expect(rec.get(T.group, "socle").inputs).toEqual({
      group: "socle",
      comment: "Socle Docker hosts",
      nodes: { pve1: 1, pve2: 1 },
      restricted: false,
      noFailback: false,
    });
    expect(await resolve(group.group)).toBe("socle");
  });

  it("carries no password anywhere: the only secret is the API token", () => {
    const secrets = rec.resources.flatMap((r) => secretPaths(r.raw).map((p) => `${r.name}.${p}`));
    expect(secrets).toEqual(["pve.apiToken"]);
    for (const f of rec.byType(T.file)) {
      const doc = parse((f.inputs as { sourceRaw: { data: string } }).sourceRaw.data) as Record<
        string,
        unknown
      >;
      expect(Object.keys(doc).filter((k) => /pass/.test(k))).toEqual([]);
      const users = doc.users as Record<string, unknown>[];
      expect(Object.keys(users[0]!).sort()).toEqual([
        "groups",
        "lock_passwd",
        "name",
        "shell",
        "ssh_authorized_keys",
        "sudo",
      ]);
      expect(users[0]!.lock_passwd).toBe(true);
    }
  });
});

describe("validateProxmoxDockerHostArgs", () => {
  const base = (): ProxmoxDockerHostArgs => hostArgs(0);
  it.each<[string, Partial<ProxmoxDockerHostArgs>, string]>([
    ["vmId", { vmId: 99 }, "h: vmId must be an integer from 100 to 999999999, got 99"],
    ["template", { vmId: 9000 }, "h: vmId 9000 is the template's id"],
    ["cores", { cores: 0 }, "h: cores must be a positive integer, got 0"],
    [
      "reserve",
      { memoryMb: 1024 },
      "h: memoryMb (1024) leaves nothing for containers after reserveMb (1024)",
    ],
    ["vlan", { vlanId: 4095 }, "h: vlanId must be an integer from 1 to 4094, got 4095"],
    [
      "no prefix",
      { address: "10.20.0.10" },
      'h: address "10.20.0.10" is not an IPv4 address with its prefix, like 10.20.0.10/24',
    ],
    ["network address", { address: "10.20.0.0/24" }, "h: address 10.20.0.0/24 is not a usable host address"],
    ["gateway", { gateway: "10.30.0.1" }, "h: gateway 10.30.0.1 is not in the network of 10.20.0.10/24"],
    ["gateway is me", { address: "10.20.0.1/24" }, "h: address 10.20.0.1/24 is the gateway's"],
    ["dns", { dns: [] }, "h: dns is empty"],
    ["dns ip", { dns: ["dns.example"] }, 'h: dns[0] "dns.example" is not an IP address'],
    ["node", { node: " " }, "h: node is empty"],
    [
      "keys",
      { sshPublicKeys: [] },
      "h: cloud-init: sshPublicKeys is empty: the admin user logs in with SSH keys only",
    ],
    ["ha", { ha: { group: "1bad" } }, 'h: ha.group "1bad" is not a valid HA group id'],
  ])("%s", (_label, over, message) => {
    expect(() => validateProxmoxDockerHostArgs("h", { ...base(), ...over })).toThrow(message);
  });

  it("fails before declaring anything", () => {
    const before = rec.resources.length;
    expect(() => new ProxmoxDockerHost("Bad_Name", hostArgs(0))).toThrow(
      'Bad_Name: cloud-init: hostname "Bad_Name" is not a valid host name',
    );
    expect(rec.resources.length).toBe(before);
  });
});

describe("spreadHosts", () => {
  it.each<[string, { name: string; node?: string }[], string[], string[]]>([
    ["round-robin", [{ name: "a" }, { name: "b" }, { name: "c" }], ["n1", "n2"], ["n1", "n2", "n1"]],
    ["one node", [{ name: "a" }, { name: "b" }], ["n1"], ["n1", "n1"]],
    [
      "pinned keep their node, others deal on",
      [{ name: "a", node: "n2" }, { name: "b" }, { name: "c" }, { name: "d", node: "n2" }, { name: "e" }],
      ["n1", "n2", "n3"],
      ["n2", "n1", "n2", "n2", "n3"],
    ],
    ["none", [], ["n1"], []],
  ])("%s", (_label, hosts, nodeList, expected) => {
    expect(spreadHosts(hosts, nodeList).map((h) => h.node)).toEqual(expected);
    expect(spreadHosts(hosts, nodeList).map((h) => h.name)).toEqual(hosts.map((h) => h.name));
  });

  it.each<[string, { name: string; node?: string }[], string[], string]>([
    ["no nodes", [{ name: "a" }], [], "spreadHosts: nodes is empty"],
    ["dup node", [{ name: "a" }], ["n1", "n1"], 'spreadHosts: node "n1" is listed twice'],
    ["dup host", [{ name: "a" }, { name: "a" }], ["n1"], 'spreadHosts: host "a" is declared twice'],
    [
      "unknown pin",
      [{ name: "a", node: "n9" }],
      ["n1", "n2"],
      'spreadHosts: host "a" is pinned to node "n9", which is not one of n1, n2',
    ],
  ])("refuses %s", (_label, hosts, nodeList, message) => {
    expect(() => spreadHosts(hosts, nodeList)).toThrow(message);
  });
});

describe("vmIdFor and hostAddress", () => {
  it("numbers VMs from 2000", () => {
    expect([0, 1, 7].map((i) => vmIdFor(i))).toEqual([2000, 2001, 2007]);
    expect(vmIdFor(3, 5000)).toBe(5003);
    expect(() => vmIdFor(-1)).toThrow("vmIdFor: index must be a non-negative integer, got -1");
    expect(() => vmIdFor(0, 50)).toThrow("vmIdFor: base must be an integer >= 100, got 50");
  });

  it.each<[string, string, number, string]>([
    ["10.20.0.0/24", "10.20.0.10", 0, "10.20.0.10/24"],
    ["10.20.0.0/24", "10.20.0.10", 5, "10.20.0.15/24"],
    ["10.20.0.0/24", "10.20.0.10", 244, "10.20.0.254/24"],
    ["10.20.0.0/23", "10.20.0.250", 10, "10.20.1.4/23"],
    ["192.168.1.7/24", "192.168.1.100", 0, "192.168.1.100/24"],
  ])("%s from %s, #%i → %s", (cidr, first, i, expected) => {
    expect(hostAddress(cidr, first, i)).toBe(expected);
  });

  it.each<[string, string, number, string]>([
    [
      "10.20.0.0/24",
      "10.20.0.10",
      245,
      "hostAddress: 10.20.0.0/24 is exhausted: host #245 would get 10.20.0.255, past the last usable address 10.20.0.254",
    ],
    [
      "10.20.0.0/24",
      "10.30.0.10",
      0,
      "hostAddress: firstAddress 10.30.0.10 is not a usable address of 10.20.0.0/24",
    ],
    [
      "10.20.0.0/24",
      "10.20.0.0",
      0,
      "hostAddress: firstAddress 10.20.0.0 is not a usable address of 10.20.0.0/24",
    ],
    ["10.20.0.0/24", "10.20.0.300", 0, 'hostAddress: firstAddress "10.20.0.300" is not an IPv4 address'],
    ["10.20.0.0/33", "10.20.0.10", 0, 'hostAddress: "10.20.0.0/33" is not an IPv4 CIDR (a.b.c.d/len)'],
    ["10.20.0.0", "10.20.0.10", 0, 'hostAddress: "10.20.0.0" is not an IPv4 CIDR (a.b.c.d/len)'],
    ["10.20.0.0/24", "10.20.0.10", 1.5, "hostAddress: index must be a non-negative integer, got 1.5"],
  ])("refuses %s from %s, #%s", (cidr, first, i, message) => {
    expect(() => hostAddress(cidr, first, i)).toThrow(message);
  });
});

describe("haGroup", () => {
  it("refuses an empty node list and a bad id", () => {
    expect(() => haGroup("g", { nodes: [], proxmox: pve })).toThrow('haGroup: group "g" has no nodes');
    expect(() => haGroup("g", { nodes: ["n1"], proxmox: pve, group: "9x" })).toThrow(
      'haGroup: "9x" is not a valid HA group id ([A-Za-z][A-Za-z0-9_-]*)',
    );
  });
});
