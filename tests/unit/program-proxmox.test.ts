/** The program with the two-host Proxmox example (stacks/Pulumi.proxmox.yaml) under the mock engine. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, secretPaths, settle, type Recorder } from "./mocks.js";
import { stackConfig } from "./stack-config.js";
import { parseConfig } from "../../stacks/config.js";
import { buildProgram, type ProgramResult } from "../../stacks/program.js";
import { backupHostExtras } from "../../stacks/backup-units.js";

let rec: Recorder;
let result: ProgramResult;

beforeAll(async () => {
  rec = await installMocks();
  const c = stackConfig("stacks/Pulumi.proxmox.yaml");
  const get = (k: string) => (c[`socle:${k}`] === undefined ? undefined : JSON.parse(c[`socle:${k}`]!));
  const cfg = parseConfig({ target: get("target"), tenants: get("tenants"), backup: get("backup") });
  cfg.secrets.proxmoxApiToken = pulumi.secret("socle@pve!deploy=00000000-0000-0000-0000-000000000000");
  cfg.versions = { keycloak: "26.3.1", postgres: "16.10" }; // socle:versions, as `socle update` writes them
  result = buildProgram(cfg, { readPreviousOutputs: false, hostExtras: backupHostExtras(cfg) });
  await settle();
});

describe("program: a town on a two-node Proxmox cluster", () => {
  it("declares the provider with the API token as a secret", () => {
    const p = rec.get("pulumi:providers:proxmoxve", "proxmox");
    expect(p.inputs.endpoint).toBe("https://pve1.saint-martin.example:8006/");
    expect(secretPaths(p.raw)).toContain("apiToken");
  });

  it("declares two VMs, one per node, with static addresses, and a docker provider over ssh for each", () => {
    const vms = rec.byType("proxmoxve:index/vmLegacy:VmLegacy");
    expect(vms.map((v) => [v.name, v.inputs.nodeName])).toEqual([
      ["apps1-vm", "pve1"],
      ["apps2-vm", "pve2"],
    ]);
    const addr = vms.map(
      (v) =>
        (v.inputs.initialization as { ipConfigs: { ipv4: { address: string } }[] }).ipConfigs[0]!.ipv4
          .address,
    );
    expect(addr).toEqual(["10.20.0.10/24", "10.20.0.11/24"]);
    expect(rec.get("pulumi:providers:docker", "apps1-docker").inputs.host).toBe("ssh://socle@10.20.0.10:22");
    expect(rec.get("pulumi:providers:docker", "apps2-docker").inputs.host).toBe("ssh://socle@10.20.0.11:22");
  });

  it("gives each host its own platform and proxy; the tenant's apps sit on its placed host", () => {
    expect(rec.names("socle:platform:Platform").sort()).toEqual(["apps1-platform", "apps2-platform"]);
    expect(rec.names("socle:platform:ReverseProxy").sort()).toEqual(["apps1-proxy", "apps2-proxy"]);
    const host = result.placement.byTenant["saint-martin"]!;
    const nc = rec
      .byType("docker:index/container:Container")
      .find((c) => c.inputs.name === "saint-martin-nextcloud")!;
    expect(nc.provider).toContain(`::${host}-docker::`);
  });

  it("honours the deployment-wide pins of socle:versions", () => {
    const images = rec.byType("docker:index/remoteImage:RemoteImage").map((i) => String(i.inputs.name));
    expect(images).toContain("quay.io/keycloak/keycloak:26.3.1");
    expect(images.filter((i) => i.startsWith("postgres:"))).toEqual([
      "postgres:16.10-bookworm",
      "postgres:16.10-bookworm",
    ]);
  });

  it("installs the backup and drill timers on every host through cloud-init, without any secret", () => {
    const files = rec.byType("proxmoxve:index/fileLegacy:FileLegacy");
    expect(files).toHaveLength(2);
    for (const f of files) {
      const data = (f.inputs.sourceRaw as { data: string }).data;
      for (const unit of [
        "socle-backup.service",
        "socle-backup.timer",
        "socle-drill.service",
        "socle-drill.timer",
      ]) {
        expect(data).toContain(`/etc/systemd/system/${unit}`);
      }
      expect(data).toContain("OnCalendar=*-*-* 02:30:00");
      expect(data).toContain("RESTIC_REPOSITORY=sftp:restic@backup.saint-martin.example:/srv/restic/socle");
      expect(data).toContain("RESTIC_PASSWORD_FILE=/etc/socle/restic.pass");
      expect(data).toContain("--keep-daily 7 --keep-weekly 4 --keep-monthly 12");
      expect(data).toMatch(/systemctl.*enable.*socle-backup\.timer.*socle-drill\.timer/s);
      expect(secretPaths(f.raw)).toEqual([]);
    }
  });

  it("uses the town's own mail servers: no mail server is deployed and no mail port opened", () => {
    expect(rec.names("socle:apps:Mail")).toEqual([]);
    const files = rec.byType("proxmoxve:index/fileLegacy:FileLegacy");
    for (const f of files) {
      const data = (f.inputs.sourceRaw as { data: string }).data;
      expect(data).toContain("tcp dport { 22, 80, 443 } accept");
      expect(data).not.toContain("993");
    }
  });
});
