/**
 * PeerTube's immutable hostname (the guard, the StackReference to the stack's
 * own previous outputs) and the pure validation of its args, exact messages.
 * Split from peertube.test.ts (which covers the instance's resources).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join, resolve as resolvePath } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, resolve, settle, type Recorder } from "./mocks.js";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Platform } from "../../components/platform/platform.js";
import {
  checkPeertubeHostname,
  PeerTube,
  previousPeertubeHostnames,
  validatePeerTubeArgs,
} from "../../components/apps/peertube.js";

let rec: Recorder;
let platform: Platform;
beforeAll(async () => {
  rec = await installMocks();
  platform = new Platform("local-platform", { host: new LocalDockerHost("local") });
  await settle();
});

describe("PeerTube hostname immutability", () => {
  const message =
    'PeerTube demo: the hostname cannot change ("video.demo.localhost" → "tv.demo.localhost"). ' +
    "PeerTube keeps it in every federated URL and in its database. " +
    'Set the domain back to "video.demo.localhost", or deploy a new instance and move the videos by hand.';

  it("accepts a first deployment and an unchanged hostname", () => {
    expect(() => checkPeertubeHostname("demo", "video.demo.localhost", undefined)).not.toThrow();
    expect(() => checkPeertubeHostname("demo", "video.demo.localhost", null)).not.toThrow();
    expect(() => checkPeertubeHostname("demo", "video.demo.localhost", "")).not.toThrow();
    expect(() => checkPeertubeHostname("demo", "video.demo.localhost", "video.demo.localhost")).not.toThrow();
  });

  it("refuses a changed hostname with an exact message, before any child exists", () => {
    expect(() => checkPeertubeHostname("demo", "tv.demo.localhost", "video.demo.localhost")).toThrow(message);
    rec.reset();
    expect(
      () =>
        new PeerTube("x-peertube", {
          tenant: "demo",
          domain: "tv.demo.localhost",
          platform,
          adminEmail: "dsi@demo.localhost",
          previousHostname: "video.demo.localhost",
        }),
    ).toThrow(message);
    expect(rec.resources.filter((r) => r.name.startsWith("x-peertube"))).toEqual([]);
  });

  it("refuses it when the previous hostname is an output: the container never reaches the engine", () => {
    // Run in a child process: the failed registration is an unhandled rejection
    // under the mock engine (in a real `pulumi up`, the update fails with it).
    const repo = resolvePath(fileURLToPath(new URL(".", import.meta.url)), "../..");
    const dir = mkdtempSync(join(tmpdir(), "pt-gate-"));
    const script = join(dir, "gate.mts");
    writeFileSync(
      script,
      [
        `import * as pulumi from ${JSON.stringify(`${repo}/node_modules/@pulumi/pulumi/index.js`)};`,
        `import { installMocks, settle } from ${JSON.stringify(`${repo}/tests/unit/mocks.ts`)};`,
        `import { LocalDockerHost } from ${JSON.stringify(`${repo}/components/hosts/local-docker-host.ts`)};`,
        `import { Platform } from ${JSON.stringify(`${repo}/components/platform/platform.ts`)};`,
        `import { PeerTube } from ${JSON.stringify(`${repo}/components/apps/peertube.ts`)};`,
        "const errors: string[] = [];",
        "process.on('unhandledRejection', (e) => { errors.push((e as Error).message); });",
        "const rec = await installMocks();",
        "const platform = new Platform('p', { host: new LocalDockerHost('local') });",
        "const previous = pulumi.output({ demo: 'video.demo.localhost' }).apply((m) => m.demo);",
        "new PeerTube('y-peertube', { tenant: 'demo', domain: 'tv.demo.localhost', platform,",
        "  adminEmail: 'dsi@demo.localhost', previousHostname: previous });",
        "await settle(); await new Promise((r) => setTimeout(r, 300));",
        "console.log(JSON.stringify({ errors: [...new Set(errors)],",
        "  containers: rec.names('docker:index/container:Container') }));",
      ].join("\n"),
    );
    const r = spawnSync(join(repo, "node_modules/.bin/tsx"), [script], { encoding: "utf8", cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { errors: string[]; containers: string[] };
    expect(out.errors.length).toBeGreaterThan(0);
    for (const e of out.errors) expect(e).toContain(message);
    // the database and cache may be declared; the PeerTube container is not
    expect(out.containers).not.toContain("y-peertube-app");
    expect(out.containers).toContain("y-peertube-redis-container");
  });

  it("reads the previous hostnames from a StackReference to the stack itself", async () => {
    rec.reset();
    const prev = previousPeertubeHostnames();
    await settle();
    const ref = rec.byType("pulumi:pulumi:StackReference");
    expect(ref.map((r) => [r.name, r.inputs.name])).toEqual([
      ["socle-self-peertubeHostnames", "organization/socle/test"],
    ]);
    expect(await resolve(prev)).toEqual({});
  });
});

describe("validatePeerTubeArgs", () => {
  const ok = { tenant: "demo", domain: "video.demo.localhost", adminEmail: "dsi@demo.localhost" };
  it.each([
    [{ tenant: "Demo" }, 'PeerTube: tenant "Demo" is not a slug'],
    [
      { domain: "https://video.x" },
      'PeerTube demo: domain "https://video.x" is not a lower-case domain name',
    ],
    [{ adminEmail: "x" }, 'PeerTube demo: adminEmail "x" is not an email'],
    [
      { smtp: { host: "m a", port: 25, from: "a@b.fr" } },
      'PeerTube demo: smtp.host "m a" is not a host name',
    ],
    [{ smtp: { host: "mail", port: 0, from: "a@b.fr" } }, "PeerTube demo: smtp.port 0 is not a port"],
    [{ smtp: { host: "mail", port: 25, from: "nope" } }, 'PeerTube demo: smtp.from "nope" is not an email'],
    [{ memoryMb: 10 }, "PeerTube demo: memoryMb must be an integer >= 64, got 10"],
    [
      { federation: { follow: ["video.demo.localhost"], autoFollowBack: false, redundancy: false } },
      "peertube federation: an instance cannot follow itself (video.demo.localhost)",
    ],
  ])("refuses %j", (partial, msg) => {
    expect(() => validatePeerTubeArgs({ ...ok, ...partial })).toThrow(msg);
  });
});
