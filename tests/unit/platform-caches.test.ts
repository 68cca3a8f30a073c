/**
 * Per-app-instance caches on a tenant's back-end network: exact inputs of Redis and
 * memcached (mock engine). Real runs of the same commands are reported in
 * docs/components/platform.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalDockerHost } from "../../components/hosts/local-docker-host.js";
import { Memcached, Platform, Redis } from "../../components/platform/index.js";
import { installMocks, labelsOf, secretPaths, settle, type Recorder } from "./mocks.js";
import { demoCaches } from "./fixtures/caches.js";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const LOGS = { logDriver: "json-file", logOpts: { "max-file": "3", "max-size": "10m" } };

let rec: Recorder;
let host: LocalDockerHost;
let platform: Platform;
let redis: Redis;

beforeAll(async () => {
  rec = await installMocks();
  host = new LocalDockerHost("local");
  platform = new Platform("plat", { host });
  ({ redis } = demoCaches(platform));
  await settle();
});

describe("Redis and Memcached", () => {
  it("Redis: per instance on the tenant back-end network, password from env, no persistence, maxmemory under the limit", async () => {
    const c = rec.get(CONTAINER, "demo-nc-redis-container");
    expect(rec.get(IMAGE, "demo-nc-redis-image").inputs.name).toBe("redis:7.4.6-bookworm");
    const ping = 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG';
    expect(c.inputs).toEqual({
      name: "demo-nextcloud-redis",
      image: "sha256:demo-nc-redis-image",
      restart: "unless-stopped",
      memory: 128,
      memorySwap: 128,
      envs: ["REDIS_PASSWORD=pw-demo-nc-redis-password"],
      command: [
        "sh",
        "-c",
        'exec redis-server --requirepass "$REDIS_PASSWORD" --maxmemory 96mb --maxmemory-policy volatile-lru --save "" --appendonly no',
      ],
      labels: [
        { label: "socle.health", value: `cmd:${ping}` },
        { label: "socle.role", value: "cache" },
        { label: "socle.service", value: "nextcloud" },
        { label: "socle.tenant", value: "demo" },
        { label: "socle.version", value: "7.4.6" },
      ],
      networksAdvanced: [{ name: "socle-t-demo-back" }],
      healthcheck: {
        tests: ["CMD-SHELL", ping],
        interval: "10s",
        timeout: "10s",
        retries: 5,
        startPeriod: "10s",
      },
      ...LOGS,
      wait: true,
      waitTimeout: 600,
    });
    expect(secretPaths(c.raw)).toEqual(["envs"]);
    expect([redis.host, redis.port]).toEqual(["demo-nextcloud-redis", 6379]);
    expect(await pulumi.isSecret(redis.password)).toBe(true);
  });

  it("Memcached: per instance on the tenant back-end network, -m under the limit", () => {
    const c = rec.get(CONTAINER, "demo-sogo-mc-container");
    expect(rec.get(IMAGE, "demo-sogo-mc-image").inputs.name).toBe("memcached:1.6.39-bookworm");
    expect(c.inputs).toMatchObject({
      name: "demo-sogo-memcached",
      memory: 64,
      memorySwap: 64,
      command: ["memcached", "-m", "48", "-c", "1024"],
      networksAdvanced: [{ name: "socle-t-demo-back" }],
      restart: "unless-stopped",
    });
    expect(c.inputs.envs).toBeUndefined();
    expect(labelsOf(c)).toMatchObject({
      "socle.role": "cache",
      "socle.service": "sogo",
      "socle.tenant": "demo",
    });
    expect((c.inputs.healthcheck as { tests: string[] }).tests.slice(0, 3)).toEqual(["CMD", "bash", "-c"]);
  });

  it("refuse bad names and limits", () => {
    const network = platform.tenantNetworks("demo").back;
    const base = { host, network, tenant: "demo", service: "x" };
    expect(() => new Redis("bad-r", { ...base, containerName: "Bad Name" })).toThrow(
      'redis: containerName "Bad Name" is not a container name',
    );
    expect(() => new Memcached("bad-m", { ...base, containerName: "m", memoryMb: 8 })).toThrow(
      "memcached m: memoryMb must be an integer >= 16, got 8",
    );
  });
});
