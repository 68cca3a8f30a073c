import { describe, expect, it } from "vitest";
import type { ConfigValue, UpOptions } from "@pulumi/pulumi/automation/index.js";
import { PulumiDeployer, versionConfigPath, type StackLike } from "../../scripts/update/deployer.js";

// The Pulumi CLI cannot run on these machines: PulumiDeployer is tested against a fake
// Automation API stack, asserting the exact config keys it writes and the `up` it asks for.
function fakeStack(tenants: unknown, result = "succeeded") {
  const calls: unknown[] = [];
  const stack: StackLike = {
    getConfig: async (key: string, path?: boolean) => {
      calls.push(["getConfig", key, path]);
      return { value: JSON.stringify(tenants), secret: false };
    },
    setConfig: async (key: string, value: ConfigValue, path?: boolean) => {
      calls.push(["setConfig", key, value, path]);
    },
    up: async (opts?: UpOptions) => {
      calls.push(["up", opts?.message, typeof opts?.onOutput]);
      return { summary: { result } };
    },
  };
  return { stack, calls };
}

const TENANTS = [
  { slug: "demo", name: "Demo", domain: "demo.localhost", services: {} },
  { slug: "ville-b", name: "B", domain: "b.localhost", services: {}, versions: { nextcloud: "31.0.11" } },
];

describe("PulumiDeployer (fake stack)", () => {
  it("writes tenant app versions under socle:tenants[i].versions, deployment-wide ones under socle:versions, reading the tenant list once", async () => {
    const { stack, calls } = fakeStack(TENANTS);
    const d = new PulumiDeployer(stack);
    await d.setVersion("ville-b", "nextcloud", "32.0.3");
    await d.setVersion("demo", "wordpress-club-echecs", "6.8.3");
    await d.setVersion("demo", "mail", "15.1.0");
    await d.setVersion("_platform", "postgres", "17.6");
    await d.setVersion("demo", "keycloak", "26.4.5");
    expect(calls).toEqual([
      ["getConfig", "socle:tenants", undefined],
      ["setConfig", "socle:tenants[1].versions.nextcloud", { value: "32.0.3", secret: false }, true],
      ["setConfig", "socle:tenants[0].versions.wordpress", { value: "6.8.3", secret: false }, true],
      ["setConfig", "socle:tenants[0].versions.mailserver", { value: "15.1.0", secret: false }, true],
      ["setConfig", "socle:versions.postgres", { value: "17.6", secret: false }, true],
      ["setConfig", "socle:versions.keycloak", { value: "26.4.5", secret: false }, true],
    ]);
  });

  it("deploys with one `pulumi up` carrying a message and the output stream", async () => {
    const { stack, calls } = fakeStack(TENANTS);
    await new PulumiDeployer(stack, () => {}).deploy(["demo", "ville-b"]);
    expect(calls).toEqual([["up", "socle update: demo, ville-b", "function"]]);
  });

  it("rejects an up that did not succeed, an unknown tenant, and a non-list tenants config", async () => {
    await expect(new PulumiDeployer(fakeStack(TENANTS, "failed").stack).deploy(["demo"])).rejects.toThrow(
      'pulumi up for demo ended with "failed"',
    );
    await expect(
      new PulumiDeployer(fakeStack(TENANTS).stack).setVersion("nope", "nextcloud", "32.0.3"),
    ).rejects.toThrow('socle:tenants: no tenant with slug "nope"');
    await expect(
      new PulumiDeployer(fakeStack({ a: 1 }).stack).setVersion("demo", "nextcloud", "1.0"),
    ).rejects.toThrow("socle:tenants: not a list");
  });

  it("versionConfigPath refuses unknown services", () => {
    expect(() => versionConfigPath("socle", TENANTS, "demo", "jitsi")).toThrow(
      'unknown service "jitsi": not in the versions catalogue',
    );
  });
});
