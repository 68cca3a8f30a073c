/**
 * Args, checks and sizing shared by the per-app caches (`Redis`, `Memcached`):
 * the container name, a memory floor, and the cache's own budget (three quarters
 * of the container's limit, the rest for the server's overhead).
 */
import type * as docker from "@pulumi/docker";
import type { DockerHost } from "../hosts/docker-host.js";

/** What every per-app cache takes. */
export interface CacheArgs {
  host: DockerHost;
  /** The tenant's back-end network (`platform.tenantNetworks(slug).back`): only that tenant's apps reach it. */
  network: docker.Network;
  tenant: string;
  service: string;
  /** Container name, also its DNS name (e.g. `demo-nextcloud-redis`, `demo-sogo-memcached`). */
  containerName: string;
  /** Default: the component's `memoryMb` default (Redis 128, Memcached 64). */
  memoryMb?: number;
  /** Default: the catalogue's pin. */
  version?: string;
}

/** `kind` names the component in the messages; `minMemoryMb` is its floor. */
export function validateCacheArgs(
  kind: "redis" | "memcached",
  args: { containerName: string; memoryMb?: number },
  minMemoryMb: number,
): void {
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(args.containerName)) {
    throw new Error(`${kind}: containerName "${args.containerName}" is not a container name`);
  }
  if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < minMemoryMb)) {
    throw new Error(
      `${kind} ${args.containerName}: memoryMb must be an integer >= ${minMemoryMb}, got ${args.memoryMb}`,
    );
  }
}

/** Three quarters of a container's limit, MiB (rounded down). */
export function cacheBudgetMb(memoryMb: number): number {
  return Math.floor((memoryMb * 3) / 4);
}
