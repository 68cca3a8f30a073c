/** stacks/index.ts with an invalid stack config: refused before any resource, every problem named. */
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, settle, type Recorder } from "./mocks.js";
import { stackConfigEnv } from "./stack-config.js";

let rec: Recorder;
beforeAll(async () => {
  process.env.PULUMI_CONFIG = stackConfigEnv("stacks/Pulumi.local.yaml", {
    "socle:tenants": JSON.stringify([
      { slug: "Bad Slug", name: "x", domain: "x y", services: { nextcloud: {} } },
    ]),
  });
  rec = await installMocks();
});

describe("stacks/index.ts with a bad config", () => {
  it("throws a ConfigError naming each path, and declares nothing", async () => {
    let err: Error | undefined;
    try {
      await import("../../stacks/index.js");
    } catch (e) {
      err = e as Error;
    }
    await settle();
    expect(err?.name).toBe("ConfigError");
    const lines = (err as Error & { errors: string[] }).errors;
    expect(lines.some((l) => l.startsWith('socle:tenants[0].slug: "Bad Slug" is not'))).toBe(true);
    expect(lines.some((l) => l.startsWith('socle:tenants[0].domain: "x y" is not'))).toBe(true);
    expect(rec.resources).toEqual([]);
  });
});
