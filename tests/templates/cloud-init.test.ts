/**
 * The cloud-init user data through the real validators: `cloud-init schema`
 * (Debian's cloud-init), `nft -c -f` for the firewall file, `apt-config` for
 * the unattended-upgrades file. Under CI=true a missing tool fails the test.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  AUTO_UPGRADES,
  NFTABLES_CONF,
  NFTABLES_DROP_IN,
  POLICY_RC_D,
  SSHD_DROP_IN,
  renderCloudInit,
  renderNftables,
  validateCloudInitArgs,
  type CloudInitArgs,
} from "../../templates/cloud-init.js";
import { CI } from "./tools.js";

function available(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.error === undefined;
}
const HAVE = {
  cloudInit: available("cloud-init", ["--version"]),
  nft: available("nft", ["--version"]),
  aptConfig: available("apt-config", ["--version"]),
};
for (const [tool, ok] of Object.entries(HAVE)) {
  if (!ok && !CI) console.warn(`skipping ${tool} checks: not installed (CI=true makes this a failure)`);
}
/** Runs a real tool; with CI=true and no tool, `it.runIf` still runs and this fails. */
const needs = (ok: boolean) => ok || CI;

const dir = mkdtempSync(join(tmpdir(), "socle-cloud-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string, ext = "yaml"): string {
  const p = join(dir, `f${n++}.${ext}`);
  writeFileSync(p, content);
  return p;
}
function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
const schema = (content: string) => run("cloud-init", ["schema", "-c", file(content)]);

const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0bb8ew0yAIBI5G0yuDQ5AmqN2NmIk7NAb8Pw3oJZA dsi@mairie";
/** A real 3072-bit RSA key (ssh-keygen): the validator decodes every key and wants 3072 bits for RSA. */
const KEY_B =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCqrJNlEii+M2hkrGLXJ0yYBsZYuV+psH7zg+hXG5iGDwaO7a8kpZXrlis+Unr7YCM5oYFnHG3DeQ7HIicEzSaKZnCKEFWiK6WC6O84v4dMXi5xZdsDJNdzIEMolKkQu2Iq6ohifoWEJPtcolrmBH2xVY7GeTCFFStPHi19z3YqLvLI0ievvq4NXNO/c9yZV4Me/u9dGTLrmtLh5HCq8oFqg7xCd2jvwDs4tlNuZ2em/9E4Xpf9FdqjFKSeYC/ZJkHQcgEZYMc6Bs8+/1CbMhO9YgUxJG4bKaOBAKWqn619UX1ybnvkplRjaFatbyr2Cz+6udJ1AX3LVEhJIGoY1wLureEF3yLjg6PzNI0RdmtdHJq2gADO/SmUIulheyA9NFhTaj6vS9zqIzkAqnEJGgAzmSQ1/k5PbjgnNWdkSULlZswuFayUREHstxiAT7nsYZb9J+eWypZWp8uHovdE0JCiqZ1b2f8+Bp3ZtCS0WgTw9ghjmVK0/cUaqgUFrAuXLdE= astreinte@epci";
const KEY_C =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";

const MAIL_PORTS = [25, 465, 587, 993, 4190];
const SHAPES: Record<string, CloudInitArgs> = {
  plain: { hostname: "apps1", adminUser: "socle", sshPublicKeys: [KEY_A], mailPorts: false },
  mail: { hostname: "mail1", adminUser: "socle", sshPublicKeys: [KEY_A], mailPorts: true },
  extras: {
    hostname: "apps2",
    adminUser: "socle",
    sshPublicKeys: [KEY_A],
    mailPorts: false,
    extraFiles: [
      {
        path: "/etc/systemd/system/socle-backup.service",
        content: "[Service]\nType=oneshot\nExecStart=/usr/local/bin/socle backup\n",
      },
      { path: "/etc/systemd/system/socle-backup.timer", content: "[Timer]\nOnCalendar=*-*-* 02:30:00\n" },
      { path: "/usr/local/bin/socle-hook", content: "#!/bin/sh\nexit 0\n", permissions: "755" },
    ],
    extraCommands: [["systemctl", "enable", "--now", "socle-backup.timer"]],
  },
  keys: {
    hostname: "epci-apps-3",
    adminUser: "dsi_admin",
    sshPublicKeys: [KEY_A, KEY_B, KEY_C],
    mailPorts: true,
  },
};

interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  owner: string;
  defer?: boolean;
}
interface Doc {
  users: Record<string, unknown>[];
  write_files: WriteFile[];
  runcmd: string[][];
  [k: string]: unknown;
}
const docOf = (args: CloudInitArgs) => parse(renderCloudInit(args)) as Doc;
const fileOf = (d: Doc, path: string) => d.write_files.find((f) => f.path === path)!;

describe("cloud-init schema (the real validator)", () => {
  it.runIf(needs(HAVE.cloudInit)).each(Object.keys(SHAPES))("accepts the %s host", (shape) => {
    const r = schema(renderCloudInit(SHAPES[shape]!));
    expect(r.out).toContain("Valid cloud-config");
    expect(r.status).toBe(0);
  });

  it.runIf(needs(HAVE.cloudInit))("rejects a broken document (so the check above means something)", () => {
    const good = renderCloudInit(SHAPES.plain!);
    expect(good).toContain("\nssh_pwauth: false\n");
    const wrongType = schema(good.replace("\nssh_pwauth: false\n", "\nssh_pwauth: 42\n"));
    expect(wrongType.status).toBe(1);
    expect(wrongType.out).toContain("ssh_pwauth: 42 is not valid");
    const badUser = schema(good.replace("lock_passwd: true", 'lock_passwd: "yes"'));
    expect(badUser.status).toBe(1);
    expect(badUser.out).toContain("users.0:");
    const noHeader = schema(good.replace("#cloud-config\n", ""));
    expect(noHeader.status).toBe(1);
    expect(noHeader.out).toContain('needs to begin with "#cloud-config"');
  });
});

describe("security content", () => {
  it.each(Object.keys(SHAPES))(
    "%s: one admin user, SSH keys only, no password, root and password logins off",
    (shape) => {
      const args = SHAPES[shape]!;
      const d = docOf(args);
      expect(d.ssh_pwauth).toBe(false);
      expect(d.disable_root).toBe(true);
      expect(d.hostname).toBe(args.hostname);
      expect(Object.keys(d).filter((k) => /pass|chpasswd/.test(k))).toEqual([]);
      expect(d.users).toEqual([
        {
          name: args.adminUser,
          lock_passwd: true,
          groups: ["docker"],
          shell: "/bin/bash",
          sudo: "ALL=(ALL) NOPASSWD:ALL",
          ssh_authorized_keys: args.sshPublicKeys,
        },
      ]);
      expect(fileOf(d, SSHD_DROP_IN)).toEqual({
        path: SSHD_DROP_IN,
        owner: "root:root",
        permissions: "0644",
        content: [
          "# Socle: SSH keys only, no root login (first value read wins in sshd).",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin no",
          "",
        ].join("\n"),
      });
      expect(d.package_update).toBe(true);
      expect(d.packages).toEqual(["docker.io", "nftables", "qemu-guest-agent", "unattended-upgrades"]);
    },
  );

  it("enables the firewall first, then Docker, the agent and upgrades; extra commands last", () => {
    const base = [
      ["rm", "-f", "/usr/sbin/policy-rc.d"],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "nftables"],
      ["systemctl", "reload", "nftables"],
      ["systemctl", "enable", "--now", "docker"],
      ["systemctl", "start", "qemu-guest-agent"],
      ["systemctl", "enable", "--now", "unattended-upgrades"],
      ["systemctl", "try-reload-or-restart", "ssh"],
    ];
    expect(docOf(SHAPES.plain!).runcmd).toEqual(base);
    expect(docOf(SHAPES.extras!).runcmd).toEqual([
      ...base,
      ["systemctl", "enable", "--now", "socle-backup.timer"],
    ]);
  });

  it("writes extra files after the packages, with their modes, and never lets them replace Socle's", () => {
    const files = docOf(SHAPES.extras!).write_files;
    expect(files.map((f) => [f.path, f.permissions, f.defer ?? false])).toEqual([
      [SSHD_DROP_IN, "0644", false],
      [NFTABLES_DROP_IN, "0644", false],
      [POLICY_RC_D, "0755", false],
      [NFTABLES_CONF, "0755", true],
      [AUTO_UPGRADES, "0644", true],
      ["/etc/systemd/system/socle-backup.service", "0644", true],
      ["/etc/systemd/system/socle-backup.timer", "0644", true],
      ["/usr/local/bin/socle-hook", "0755", true],
    ]);
    expect(files[6]!.content).toBe("[Timer]\nOnCalendar=*-*-* 02:30:00\n");
  });

  it("denies service starts only until runcmd begins", () => {
    const d = docOf(SHAPES.plain!);
    expect(fileOf(d, POLICY_RC_D).content).toBe(
      "#!/bin/sh\n# Socle (cloud-init): no service starts while the first packages install.\nexit 101\n",
    );
    expect(d.runcmd[0]).toEqual(["rm", "-f", POLICY_RC_D]);
    expect(d.manage_etc_hosts).toBe(true);
  });

  it("stops nftables without flushing Docker's rules", () => {
    expect(fileOf(docOf(SHAPES.plain!), NFTABLES_DROP_IN).content).toBe(
      "[Service]\nExecStop=\nExecStop=-/usr/sbin/nft delete table inet socle\n",
    );
  });

  it("is deterministic with sorted keys", () => {
    for (const args of Object.values(SHAPES)) expect(renderCloudInit(args)).toBe(renderCloudInit(args));
    const top = Object.keys(docOf(SHAPES.extras!));
    expect(top).toEqual([...top].sort());
    expect(renderCloudInit(SHAPES.plain!).startsWith("#cloud-config\n")).toBe(true);
  });
});

describe("firewall: exact ports per shape, checked by nft", () => {
  const portsOf = (conf: string, re: RegExp) =>
    re
      .exec(conf)![1]!
      .split(",")
      .map((p) => Number(p.trim()));

  it.each(Object.keys(SHAPES))("%s", (shape) => {
    const args = SHAPES[shape]!;
    const conf = fileOf(docOf(args), NFTABLES_CONF).content;
    expect(conf).toBe(renderNftables(args.mailPorts));
    expect(conf).toContain("type filter hook input priority filter; policy drop;");
    expect(conf).not.toContain("flush ruleset");
    const input = portsOf(conf, /tcp dport \{ ([^}]*) \} accept/);
    const published = portsOf(conf, /ct original proto-dst != \{ ([^}]*) \} drop/);
    expect(input).toEqual(args.mailPorts ? [22, 80, 443, ...MAIL_PORTS] : [22, 80, 443]);
    expect(published).toEqual(args.mailPorts ? [80, 443, ...MAIL_PORTS] : [80, 443]);
  });

  it.runIf(needs(HAVE.nft)).each([false, true])("nft -c accepts the firewall (mail ports: %s)", (mail) => {
    const r = run("nft", ["-c", "-f", file(renderNftables(mail), "nft")]);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  it.runIf(needs(HAVE.nft))("nft -c rejects a broken firewall", () => {
    const r = run("nft", [
      "-c",
      "-f",
      file(renderNftables(false).replace("policy drop;", "policy dorp;"), "nft"),
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toContain("Error");
  });
});

describe("unattended upgrades", () => {
  it.runIf(needs(HAVE.aptConfig))("apt-config reads daily lists and unattended upgrades", () => {
    const conf = fileOf(docOf(SHAPES.plain!), AUTO_UPGRADES).content;
    const r = run("apt-config", [
      "-c",
      file(conf, "conf"),
      "shell",
      "U",
      "APT::Periodic::Unattended-Upgrade",
      "L",
      "APT::Periodic::Update-Package-Lists",
    ]);
    expect(r.status).toBe(0);
    expect(r.out).toBe("U='1'\nL='1'\n");
  });
});

describe("validateCloudInitArgs", () => {
  const ok = SHAPES.plain!;
  it.each<[string, Partial<CloudInitArgs>, string]>([
    [
      "no keys",
      { sshPublicKeys: [] },
      "cloud-init: sshPublicKeys is empty: the admin user logs in with SSH keys only",
    ],
    [
      "not a key",
      { sshPublicKeys: [KEY_A, "hunter2"] },
      'cloud-init: sshPublicKeys[1] is not an OpenSSH public key line ("hunter2")',
    ],
    [
      "key with a newline",
      { sshPublicKeys: [`${KEY_A}\nssh-ed25519 AAAA x`] },
      "cloud-init: sshPublicKeys[0] is not an OpenSSH public key line",
    ],
    [
      "hostname",
      { hostname: "Apps_1" },
      'cloud-init: hostname "Apps_1" is not a valid host name (lowercase letters, digits and inner hyphens, 1 to 63 characters)',
    ],
    ["hostname hyphen", { hostname: "apps-" }, 'cloud-init: hostname "apps-" is not a valid host name'],
    [
      "user",
      { adminUser: "Admin" },
      'cloud-init: adminUser "Admin" is not a valid user name (lowercase, [a-z_][a-z0-9_-]*, at most 32 characters, not root)',
    ],
    ["root", { adminUser: "root" }, 'cloud-init: adminUser "root" is not a valid user name'],
    [
      "relative path",
      { extraFiles: [{ path: "etc/x.conf", content: "" }] },
      'cloud-init: extraFiles[0].path "etc/x.conf" is not an absolute path',
    ],
    [
      "dot-dot path",
      { extraFiles: [{ path: "/etc/../root/x", content: "" }] },
      'cloud-init: extraFiles[0].path "/etc/../root/x" is not an absolute path',
    ],
    [
      "reserved path",
      { extraFiles: [{ path: "/etc/nftables.conf", content: "" }] },
      'cloud-init: extraFiles[0].path "/etc/nftables.conf" is written by Socle itself',
    ],
    [
      "mode",
      { extraFiles: [{ path: "/x", content: "", permissions: "rw" }] },
      'cloud-init: extraFiles[0].permissions "rw" is not an octal mode like "0644"',
    ],
    [
      "twice",
      {
        extraFiles: [
          { path: "/x", content: "" },
          { path: "/x", content: "" },
        ],
      },
      'cloud-init: extraFiles: "/x" is given twice',
    ],
    [
      "empty command",
      { extraCommands: [["true"], []] },
      "cloud-init: extraCommands[1] must be a non-empty list of non-empty arguments",
    ],
  ])("%s", (_label, over, message) => {
    expect(() => validateCloudInitArgs({ ...ok, ...over })).toThrow(message);
    expect(() => renderCloudInit({ ...ok, ...over })).toThrow(message);
  });

  it("accepts every shape", () => {
    for (const args of Object.values(SHAPES)) expect(() => validateCloudInitArgs(args)).not.toThrow();
  });
});
