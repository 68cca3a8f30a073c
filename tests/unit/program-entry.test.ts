/**
 * The Pulumi entry point itself (stacks/index.ts), as `pulumi up` runs it:
 * config from PULUMI_CONFIG (what the CLI passes), resources declared on
 * import, outputs exported. (The refusal of a bad config: program-entry-bad.test.ts.)
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, settle, type Recorder } from "./mocks.js";
import { stackConfigEnv } from "./stack-config.js";

let rec: Recorder;
beforeAll(async () => {
  process.env.PULUMI_CONFIG = stackConfigEnv("stacks/Pulumi.local.yaml", {
    "socle:backupPassword": "not-a-real-passphrase",
  });
  rec = await installMocks();
});

describe("stacks/index.ts", () => {
  it("declares the embedded default and exports the stack outputs", async () => {
    const mod = await import("../../stacks/index.js");
    await settle();
    expect(rec.names("socle:apps:Nextcloud")).toEqual(["demo-nextcloud"]);
    expect(Object.keys(mod).sort()).toEqual([
      "capacity",
      "capacityTable",
      "hosts",
      "keycloak",
      "networkSlots",
      "peertubeHostnames",
      "tenants",
    ]);
    expect(mod.tenants.demo!.urls.nextcloud).toBe("https://cloud.demo.localhost");
    expect(await pulumi.isSecret(mod.keycloak.adminPassword)).toBe(true);
    expect(await pulumi.isSecret(mod.tenants.demo!.secrets)).toBe(true);
    expect(mod.capacity[0]!.host).toBe("local");
    // the one town's network slot on the one host, kept by the next update
    expect(await new Promise((r) => mod.networkSlots.apply(r))).toEqual({ local: { demo: 1 } });
  });
});
