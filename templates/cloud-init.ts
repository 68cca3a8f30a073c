/**
 * The cloud-init user data of a Socle Docker host (a Proxmox VM cloned from a
 * Debian 12 cloud-init template). Pure and deterministic: the same arguments
 * always give the same bytes (sorted keys), so a re-run shows no diff.
 *
 * What the VM gets (see docs/components/proxmox-docker-host.md):
 * - its hostname; ONE admin user, SSH keys only (`lock_passwd`, no password
 *   anywhere), passwordless sudo, member of `docker`; root login and password
 *   logins disabled (cloud-init settings + an sshd drop-in that wins over
 *   later drop-ins because sshd keeps the first value it reads);
 * - packages docker.io, nftables, qemu-guest-agent, unattended-upgrades,
 *   installed with service starts denied (policy-rc.d) so that runcmd starts
 *   them in order: firewall, Docker, guest agent, upgrades;
 * - /etc/nftables.conf: input policy drop (established, lo, ICMP, tcp 22 80
 *   443 [+ 25 465 587 993 4190 on a mail host]) and a forward guard that lets
 *   only those published ports reach containers; it replaces only its own
 *   table (`inet socle`), never Docker's;
 * - /etc/apt/apt.conf.d/20auto-upgrades: daily lists + unattended upgrades;
 * - the caller's extra files (e.g. backup systemd units) and commands, run
 *   after the services are enabled.
 */
import { stringify } from "yaml";
import { SYSTEM_ACCOUNTS, isAdminUserName, sshKeyProblem } from "./checks.js";

export interface CloudInitFile {
  /** Absolute path on the VM. */
  path: string;
  content: string;
  /** Octal mode, default "0644". */
  permissions?: string;
}

export interface CloudInitArgs {
  hostname: string;
  adminUser: string;
  sshPublicKeys: string[];
  /** Open the mail ports (25, 465, 587, 993, 4190) on this host's firewall. */
  mailPorts: boolean;
  /** Written after the packages are installed, before the commands run. */
  extraFiles?: CloudInitFile[];
  /** Argument lists run (in order) after the services are enabled. */
  extraCommands?: string[][];
}

export const BASE_TCP_PORTS: readonly number[] = [22, 80, 443];
export const MAIL_TCP_PORTS: readonly number[] = [25, 465, 587, 993, 4190];
/** Ports Docker may publish (DNAT) on a host: web, plus mail on a mail host. */
export const WEB_PUBLISHED_PORTS: readonly number[] = [80, 443];

export const PACKAGES: readonly string[] = [
  "docker.io",
  "nftables",
  "qemu-guest-agent",
  "unattended-upgrades",
];
export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/10-socle-hardening.conf";
export const NFTABLES_CONF = "/etc/nftables.conf";
export const AUTO_UPGRADES = "/etc/apt/apt.conf.d/20auto-upgrades";
export const NFTABLES_DROP_IN = "/etc/systemd/system/nftables.service.d/10-socle.conf";
/** Present only while cloud-init installs packages (runcmd removes it first). */
export const POLICY_RC_D = "/usr/sbin/policy-rc.d";
const RESERVED_PATHS = [SSHD_DROP_IN, NFTABLES_CONF, AUTO_UPGRADES, NFTABLES_DROP_IN, POLICY_RC_D];

/**
 * Services started by runcmd, in this order: the firewall first, the guest
 * agent (Proxmox's readiness signal) after Docker.
 */
export const SERVICES: readonly string[] = ["nftables", "docker", "qemu-guest-agent", "unattended-upgrades"];

const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MODE_RE = /^0?[0-7]{3}$/;

/** Throws an exact message on the first invalid argument. */
export function validateCloudInitArgs(args: CloudInitArgs): void {
  if (!HOSTNAME_RE.test(args.hostname)) {
    throw new Error(
      `cloud-init: hostname "${args.hostname}" is not a valid host name (lowercase letters, digits and inner hyphens, 1 to 63 characters)`,
    );
  }
  if (!isAdminUserName(args.adminUser)) {
    if (!SYSTEM_ACCOUNTS.includes(args.adminUser) || args.adminUser === "root")
      throw new Error(
        `cloud-init: adminUser "${args.adminUser}" is not a valid user name (lowercase, [a-z_][a-z0-9_-]*, at most 32 characters, not root)`,
      );
    throw new Error(
      `cloud-init: adminUser "${args.adminUser}" is a system account of Debian (the admin user needs an account of its own)`,
    );
  }
  if (args.sshPublicKeys.length === 0) {
    throw new Error("cloud-init: sshPublicKeys is empty: the admin user logs in with SSH keys only");
  }
  args.sshPublicKeys.forEach((key, i) => {
    const problem = sshKeyProblem(key);
    if (problem === "malformed") {
      throw new Error(
        `cloud-init: sshPublicKeys[${i}] is not an OpenSSH public key line ("${key.slice(0, 24)}")`,
      );
    }
    if (problem !== undefined) {
      throw new Error(`cloud-init: sshPublicKeys[${i}] is an RSA key of ${problem.rsaBits} bits, under 3072`);
    }
  });
  (args.extraFiles ?? []).forEach((f, i) => {
    if (!f.path.startsWith("/") || f.path.split("/").includes("..")) {
      throw new Error(`cloud-init: extraFiles[${i}].path "${f.path}" is not an absolute path`);
    }
    if (RESERVED_PATHS.includes(f.path)) {
      throw new Error(`cloud-init: extraFiles[${i}].path "${f.path}" is written by Socle itself`);
    }
    if (f.permissions !== undefined && !MODE_RE.test(f.permissions)) {
      throw new Error(
        `cloud-init: extraFiles[${i}].permissions "${f.permissions}" is not an octal mode like "0644"`,
      );
    }
  });
  const paths = (args.extraFiles ?? []).map((f) => f.path);
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup !== undefined) throw new Error(`cloud-init: extraFiles: "${dup}" is given twice`);
  (args.extraCommands ?? []).forEach((c, i) => {
    if (c.length === 0 || c.some((a) => typeof a !== "string" || a.length === 0)) {
      throw new Error(`cloud-init: extraCommands[${i}] must be a non-empty list of non-empty arguments`);
    }
  });
}

/** TCP ports the host itself accepts (input chain). */
export function inputTcpPorts(mailPorts: boolean): number[] {
  return mailPorts ? [...BASE_TCP_PORTS, ...MAIL_TCP_PORTS] : [...BASE_TCP_PORTS];
}

/** Ports a Docker-published (DNATed) connection may target (forward guard). */
export function publishedPorts(mailPorts: boolean): number[] {
  return mailPorts ? [...WEB_PUBLISHED_PORTS, ...MAIL_TCP_PORTS] : [...WEB_PUBLISHED_PORTS];
}

/** The host firewall (nftables syntax), checked by `nft -c -f` in the tests. */
export function renderNftables(mailPorts: boolean): string {
  const input = inputTcpPorts(mailPorts).join(", ");
  const published = publishedPorts(mailPorts).join(", ");
  return [
    "#!/usr/sbin/nft -f",
    "# Socle host firewall (cloud-init). Replaces only table inet socle: Docker's own",
    "# iptables-nft tables (ip filter, ip nat) survive a reload of this file.",
    "table inet socle",
    "delete table inet socle",
    "",
    "table inet socle {",
    "\t# The host itself (sshd; docker-proxy for IPv6 clients of published ports).",
    "\tchain input {",
    "\t\ttype filter hook input priority filter; policy drop;",
    "\t\tct state established,related accept",
    "\t\tct state invalid drop",
    '\t\tiif "lo" accept',
    "\t\tmeta l4proto { icmp, ipv6-icmp } accept",
    `\t\ttcp dport { ${input} } accept`,
    "\t}",
    "",
    "\t# Ports published by Docker are DNATed in prerouting and reach containers",
    "\t# through forward, never input: only Socle's published ports may pass.",
    "\tchain forward {",
    "\t\ttype filter hook forward priority filter - 10; policy accept;",
    `\t\tct state new ct status dnat meta l4proto { tcp, udp } ct original proto-dst != { ${published} } drop`,
    "\t}",
    "}",
    "",
  ].join("\n");
}

export const SSHD_HARDENING = [
  "# Socle: SSH keys only, no root login (first value read wins in sshd).",
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  "PermitRootLogin no",
  "",
].join("\n");

/**
 * Debian's nftables.service stops with `nft flush ruleset`, which would also wipe
 * Docker's NAT rules (published ports) on `systemctl stop|restart nftables`:
 * stopping removes only Socle's table instead.
 */
export const NFTABLES_UNIT_DROP_IN = [
  "[Service]",
  "ExecStop=",
  "ExecStop=-/usr/sbin/nft delete table inet socle",
  "",
].join("\n");

/**
 * Denies service starts from package scripts (deb-systemd-invoke and
 * invoke-rc.d honour it), so Docker never runs before the firewall is loaded
 * and the guest agent (the VM's "ready" signal to Proxmox) starts only after
 * Docker: runcmd removes this file, then starts the services in order.
 */
export const POLICY_RC_D_SCRIPT = [
  "#!/bin/sh",
  "# Socle (cloud-init): no service starts while the first packages install.",
  "exit 101",
  "",
].join("\n");

export const AUTO_UPGRADES_CONF = [
  'APT::Periodic::Update-Package-Lists "1";',
  'APT::Periodic::Unattended-Upgrade "1";',
  "",
].join("\n");

interface WriteFile {
  path: string;
  content: string;
  owner: string;
  permissions: string;
  defer?: boolean;
}

/** The `#cloud-config` document for one host. */
export function renderCloudInit(args: CloudInitArgs): string {
  validateCloudInitArgs(args);
  const files: WriteFile[] = [
    // Not deferred: in place before sshd first reads its configuration.
    { path: SSHD_DROP_IN, content: SSHD_HARDENING, owner: "root:root", permissions: "0644" },
    { path: NFTABLES_DROP_IN, content: NFTABLES_UNIT_DROP_IN, owner: "root:root", permissions: "0644" },
    // Not deferred: in place before the packages install.
    { path: POLICY_RC_D, content: POLICY_RC_D_SCRIPT, owner: "root:root", permissions: "0755" },
    // Deferred: written after the packages are installed, so no postinst overwrites them.
    {
      path: NFTABLES_CONF,
      content: renderNftables(args.mailPorts),
      owner: "root:root",
      permissions: "0755",
      defer: true,
    },
    {
      path: AUTO_UPGRADES,
      content: AUTO_UPGRADES_CONF,
      owner: "root:root",
      permissions: "0644",
      defer: true,
    },
    ...(args.extraFiles ?? []).map((f) => ({
      path: f.path,
      content: f.content,
      owner: "root:root",
      permissions: normalizeMode(f.permissions ?? "0644"),
      defer: true,
    })),
  ];
  const doc = {
    disable_root: true,
    hostname: args.hostname,
    package_update: true,
    package_upgrade: true,
    packages: [...PACKAGES],
    manage_etc_hosts: true,
    runcmd: [
      ["rm", "-f", POLICY_RC_D],
      // Units and drop-ins written by write_files are only seen after a reload.
      ["systemctl", "daemon-reload"],
      ...SERVICES.flatMap((s) =>
        s === "qemu-guest-agent"
          ? // A static unit (udev starts it when the virtio port appears): start only.
            [["systemctl", "start", s]]
          : [
              ["systemctl", "enable", "--now", s],
              // An nftables already running (from the template) loads Socle's file now.
              ...(s === "nftables" ? [["systemctl", "reload", "nftables"]] : []),
            ],
      ),
      ["systemctl", "try-reload-or-restart", "ssh"],
      ...(args.extraCommands ?? []).map((c) => [...c]),
    ],
    ssh_pwauth: false,
    users: [
      {
        groups: ["docker"],
        lock_passwd: true,
        name: args.adminUser,
        shell: "/bin/bash",
        ssh_authorized_keys: [...args.sshPublicKeys],
        sudo: "ALL=(ALL) NOPASSWD:ALL",
      },
    ],
    write_files: files,
  };
  return `#cloud-config\n${stringify(doc, { sortMapEntries: true, lineWidth: 0 })}`;
}

function normalizeMode(mode: string): string {
  return mode.length === 3 ? `0${mode}` : mode;
}
