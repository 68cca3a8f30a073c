import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer } from "../container.js";
import { imageRef, pinned } from "../versions.js";
import { cacheBudgetMb, validateCacheArgs, type CacheArgs } from "./cache-args.js";

export const MEMCACHED_DEFAULTS = {
  memoryMb: 64,
  port: 11211,
} as const;

export type MemcachedArgs = CacheArgs;

/** Item memory (`-m`) in MiB: three quarters of the limit (connections and slabs need the rest). */
export function memcachedItemMemoryMb(memoryMb: number): number {
  return cacheBudgetMb(memoryMb);
}

export function validateMemcachedArgs(args: MemcachedArgs): void {
  validateCacheArgs("memcached", args, 16);
}

/**
 * Memcached — one cache for one app instance (`socle:platform:Memcached`).
 *
 * Official `memcached` image (catalogue pin) on the tenant's back-end network only,
 * `memcached -m <¾ of the limit>`, no authentication (that network is
 * internal and holds only that tenant's containers, and the shared database servers). Role `cache`, no backup.
 * Health: a `stats` round trip over bash's `/dev/tcp` (the image has no nc).
 *
 * Children: `${name}-image`, `${name}-container`.
 */
export class Memcached extends pulumi.ComponentResource {
  readonly host: string;
  readonly port: number = MEMCACHED_DEFAULTS.port;
  readonly memoryMb: number;
  readonly container: docker.Container;

  constructor(name: string, args: MemcachedArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:Memcached", name, {}, opts);
    validateMemcachedArgs(args);
    this.host = args.containerName;
    this.memoryMb = args.memoryMb ?? MEMCACHED_DEFAULTS.memoryMb;
    const version = args.version ?? pinned("memcached");
    const image = pullImage(`${name}-image`, args.host, imageRef("memcached", version), { parent: this });
    const stats =
      "exec 3<>/dev/tcp/127.0.0.1/11211 && printf 'stats\\r\\nquit\\r\\n' >&3 && grep -q '^STAT pid' <&3";
    this.container = serviceContainer(
      `${name}-container`,
      {
        host: args.host,
        containerName: args.containerName,
        image,
        memoryMb: this.memoryMb,
        labels: {
          tenant: args.tenant,
          service: args.service,
          role: "cache",
          version,
          health: `cmd:bash -c "${stats}"`,
        },
        networks: [{ network: args.network }],
        command: ["memcached", "-m", String(memcachedItemMemoryMb(this.memoryMb)), "-c", "1024"],
        healthcheck: { tests: ["CMD", "bash", "-c", stats], interval: "10s", startPeriod: "10s" },
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ host: this.host, port: this.port });
  }
}
