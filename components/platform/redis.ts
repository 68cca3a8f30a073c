import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { generatedPassword } from "./password.js";
import { pullImage, serviceContainer } from "../container.js";
import { imageRef, pinned } from "../versions.js";
import { cacheBudgetMb, validateCacheArgs, type CacheArgs } from "./cache-args.js";

export const REDIS_DEFAULTS = {
  memoryMb: 128,
  port: 6379,
  /** Evict only keys that carry a TTL (cache entries), never queues or locks without one. */
  maxmemoryPolicy: "volatile-lru",
} as const;

export type RedisEvictionPolicy = "noeviction" | "volatile-lru" | "allkeys-lru" | "volatile-ttl";

export interface RedisArgs extends CacheArgs {
  /** Default `volatile-lru`. */
  maxmemoryPolicy?: RedisEvictionPolicy;
}

/** `maxmemory` in MiB: three quarters of the limit, leaving room for Redis' own overhead. */
export function redisMaxmemoryMb(memoryMb: number): number {
  return cacheBudgetMb(memoryMb);
}

export function validateRedisArgs(args: RedisArgs): void {
  validateCacheArgs("redis", args, 32);
}

/**
 * Redis — one cache for one app instance (`socle:platform:Redis`).
 *
 * Official `redis` image (catalogue pin) on the tenant's back-end network only, password
 * generated (secret) and passed in `REDIS_PASSWORD`, read by the start command
 * (`sh -c 'exec redis-server --requirepass "$REDIS_PASSWORD" …'`) so it is in no
 * argument list Docker records. No persistence (`--save "" --appendonly no`),
 * `maxmemory` three quarters of the memory limit. Role `cache`, no backup.
 *
 * Children: `${name}-password`, `${name}-image`, `${name}-container`.
 */
export class Redis extends pulumi.ComponentResource {
  readonly host: string;
  readonly port: number = REDIS_DEFAULTS.port;
  /** Secret. */
  readonly password: pulumi.Output<string>;
  readonly memoryMb: number;
  readonly container: docker.Container;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:Redis", name, {}, opts);
    validateRedisArgs(args);
    this.host = args.containerName;
    this.memoryMb = args.memoryMb ?? REDIS_DEFAULTS.memoryMb;
    const version = args.version ?? pinned("redis");
    const policy = args.maxmemoryPolicy ?? REDIS_DEFAULTS.maxmemoryPolicy;

    const password = generatedPassword(`${name}-password`, this);
    this.password = password;
    const image = pullImage(`${name}-image`, args.host, imageRef("redis", version), { parent: this });
    const ping = 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG';
    this.container = serviceContainer(
      `${name}-container`,
      {
        host: args.host,
        containerName: args.containerName,
        image,
        memoryMb: this.memoryMb,
        labels: { tenant: args.tenant, service: args.service, role: "cache", version, health: `cmd:${ping}` },
        envs: [pulumi.interpolate`REDIS_PASSWORD=${password}`],
        networks: [{ network: args.network }],
        command: [
          "sh",
          "-c",
          'exec redis-server --requirepass "$REDIS_PASSWORD"' +
            ` --maxmemory ${redisMaxmemoryMb(this.memoryMb)}mb --maxmemory-policy ${policy}` +
            ' --save "" --appendonly no',
        ],
        healthcheck: { tests: ["CMD-SHELL", ping], interval: "10s", startPeriod: "10s" },
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ host: this.host, port: this.port, password: this.password });
  }
}
