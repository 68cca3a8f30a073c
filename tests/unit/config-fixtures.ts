/** Fixtures shared by the config rejection tables (config-errors, config-target-errors). */
import { expect, it } from "vitest";
import { ConfigError, parseConfig, type RawConfig } from "../../stacks/config.js";

export type O = Record<string, unknown>;
export const KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKKstRRiuz4zq6Ve6TFsrFy0/0yx97RevyNYD9WVP3BR dsi@mairie.example";
export const BACKUP = { repository: "/var/backups/socle", keep: { daily: 7, weekly: 4, monthly: 12 } };
export const t = (extra: O = {}): O => ({
  slug: "demo",
  name: "Démo",
  domain: "demo.localhost",
  services: {},
  ...extra,
});
export const cfg = (extra: RawConfig = {}): RawConfig => ({ tenants: [t()], backup: BACKUP, ...extra });
export const tenants = (...ts: O[]): RawConfig => cfg({ tenants: ts });
export const services = (s: O, extra: O = {}): RawConfig => tenants(t({ services: s, ...extra }));
export const px = (extra: O = {}): O => ({
  kind: "proxmox",
  endpoint: "https://pve.mairie.example:8006/",
  nodes: ["pve1", "pve2"],
  templateVmId: 9000,
  network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.10" },
  sshPublicKeys: [KEY],
  hosts: [{ name: "apps1", cores: 4, memoryMb: 16384, diskGb: 200 }],
  ...extra,
});
export const target = (tg: unknown, extra: RawConfig = {}): RawConfig => cfg({ target: tg, ...extra });
export const net = (n: O): RawConfig =>
  target(px({ network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", firstAddress: "10.20.0.10", ...n } }));
export const hosts = (n: number): O[] =>
  Array.from({ length: n }, (_, i) => ({ name: `apps${i + 1}`, cores: 2, memoryMb: 4096, diskGb: 40 }));

export function errorsOf(raw: RawConfig): string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.errors;
    throw e;
  }
  throw new Error("parseConfig accepted the input");
}

export const TNS = "socle:tenants[0].services";
export const SLUG_IS = "is not a slug (1 to 32 characters a-z, 0-9 and -, not starting or ending with -)";

/** A bad input: a label, the raw config, the exact messages expected (in order). */
export type Case = [string, RawConfig, string[]];

/** One test per case: the exact `.errors`, and the thrown message (the lines joined with newlines). */
export function rejects(cases: Case[]): void {
  it.each(cases)("%s", (_label, raw, expected) => {
    expect(errorsOf(raw)).toEqual(expected);
    expect(() => parseConfig(raw)).toThrow(expected.join("\n"));
  });
}
