import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "./hosts/docker-host.js";
import { LABELS, socleLabels, type LabelSpec } from "./labels.js";

/** One `/etc/hosts` entry of a container (the provider's `hosts: [{host, ip}]`). */
export interface HostEntry {
  host: string;
  ip: pulumi.Input<string>;
}

/**
 * What a network gives every container that joins it: extra `/etc/hosts` entries,
 * given the container's tenant (label `socle.tenant`). The Platform registers one
 * for `socle-web` and one for each tenant's web network (that network's tenant's
 * names, whoever joins it), for the split horizon: the public names resolve to the
 * proxy's address on that network; `undefined` means no entry.
 */
export type NetworkHosts = (tenant: string) => pulumi.Input<HostEntry[]> | undefined;

const networkHosts = new WeakMap<docker.Network, NetworkHosts>();

/** Registers the hosts entries a network gives the containers joining it (see `NetworkHosts`). */
export function setNetworkHosts(network: docker.Network, hosts: NetworkHosts): void {
  networkHosts.set(network, hosts);
}

/** The entries the container's networks give it (the first registered network wins). */
function hostsFromNetworks(args: ServiceContainerArgs): pulumi.Input<HostEntry[]> | undefined {
  for (const n of args.networks) {
    const hosts = networkHosts.get(n.network);
    if (hosts) return hosts(args.labels.tenant);
  }
  return undefined;
}

/**
 * The one way Socle declares a long-running container, so that every
 * container gets the same defaults: a pinned image pulled on its host, a
 * memory limit, `unless-stopped` restart, bounded json logs, the label
 * contract, no published port (only the proxy passes `ports`).
 */
export interface ServiceContainerArgs {
  host: DockerHost;
  /** Container name on the engine (also its DNS name on its networks). */
  containerName: string;
  /** The image, already pulled on this host (see `pullImage`). */
  image: docker.RemoteImage;
  /** Memory limit, MiB. Required: no container runs without one. */
  memoryMb: number;
  labels: LabelSpec;
  envs?: pulumi.Input<pulumi.Input<string>[]>;
  /** `ipv4Address`: a static address (the network needs a configured subnet). */
  networks: { network: docker.Network; aliases?: string[]; ipv4Address?: string }[];
  /** `none`: no network at all (jobs that only talk to the engine or to volumes); needs `networks: []`. */
  networkMode?: "none";
  volumes?: { volume: docker.Volume; containerPath: string; readOnly?: boolean }[];
  /** Host paths (the engine's socket for the network jobs): as few as possible. */
  binds?: { hostPath: string; containerPath: string; readOnly?: boolean }[];
  uploads?: { file: string; content: pulumi.Input<string>; executable?: boolean }[];
  command?: string[];
  entrypoints?: string[];
  healthcheck?: {
    tests: string[];
    interval?: string;
    retries?: number;
    startPeriod?: string;
    timeout?: string;
  };
  /** Only the reverse proxy (and the mail server) publish ports. */
  ports?: { internal: number; external: number; protocol?: string }[];
  user?: string;
  /** Wait for a healthy state on create (default true when a healthcheck is given). */
  wait?: boolean;
  /**
   * A one-shot job (e.g. a database initialiser) instead of a service:
   * `restart: "no"`, `mustRun: false`, `attach: true` (so `pulumi up` waits for it
   * to exit; the provider then records its `exitCode`), `logs: true`, no health wait.
   * The provider does NOT fail on a non-zero exit: the caller checks `exitCode`.
   */
  oneShot?: boolean;
  /** Linux capabilities to add / drop (e.g. Collabora's jails need `MKNOD`). Default: Docker's set. */
  capabilities?: { adds?: string[]; drops?: string[] };
  /**
   * Extra `/etc/hosts` entries. Default: what the container's networks give it
   * (`setNetworkHosts`; on a web network, the public names → the proxy's address there);
   * `null`: none.
   */
  hosts?: pulumi.Input<HostEntry[]> | null;
}

export function serviceContainer(
  name: string,
  args: ServiceContainerArgs,
  opts: pulumi.CustomResourceOptions,
): docker.Container {
  if (!Number.isInteger(args.memoryMb) || args.memoryMb <= 0) {
    throw new Error(`${name}: memoryMb must be a positive integer, got ${args.memoryMb}`);
  }
  if (args.networkMode === "none" && args.networks.length > 0) {
    throw new Error(`${name}: networkMode "none" with networks`);
  }
  const hosts = args.hosts === null ? undefined : (args.hosts ?? hostsFromNetworks(args));
  return new docker.Container(
    name,
    {
      name: args.containerName,
      image: args.image.imageId,
      restart: args.oneShot ? "no" : "unless-stopped",
      ...(args.oneShot ? { mustRun: false, attach: true, logs: true } : {}),
      memory: args.memoryMb,
      // Memory plus swap equal to the memory: no swap. Docker would otherwise store twice the
      // memory, which the provider reads back as a change on every preview (seen on the real engine).
      memorySwap: args.memoryMb,
      envs: args.envs,
      labels: socleLabels(args.labels),
      networksAdvanced: args.networks.map((n) => ({
        name: n.network.name,
        ...(n.aliases ? { aliases: n.aliases } : {}),
        ...(n.ipv4Address ? { ipv4Address: n.ipv4Address } : {}),
      })),
      ...(args.networkMode ? { networkMode: args.networkMode } : {}),
      volumes: volumeInputs(args),
      uploads: args.uploads?.map((u) => ({
        file: u.file,
        content: u.content,
        ...(u.executable ? { executable: true } : {}),
      })),
      command: args.command,
      entrypoints: args.entrypoints,
      healthcheck: args.healthcheck
        ? {
            tests: args.healthcheck.tests,
            interval: dockerDuration(args.healthcheck.interval ?? "30s"),
            timeout: dockerDuration(args.healthcheck.timeout ?? "10s"),
            retries: args.healthcheck.retries ?? 5,
            startPeriod: dockerDuration(args.healthcheck.startPeriod ?? "60s"),
          }
        : undefined,
      ports: args.ports,
      ...(args.capabilities ? { capabilities: args.capabilities } : {}),
      ...(hosts !== undefined ? { hosts } : {}),
      user: args.user,
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      wait: args.oneShot ? false : (args.wait ?? args.healthcheck !== undefined),
      waitTimeout: 600,
    },
    { ...opts, provider: args.host.provider },
  );
}

/**
 * A duration of whole seconds (`"300s"`) as the engine reports it back (Go's
 * `time.Duration` form, `"5m0s"`): the provider compares what it reads with
 * what was declared, so `"60s"` would show as a change on every preview
 * (seen on the real engine: `startPeriod: "1m0s" => "60s"`).
 */
export function dockerDuration(d: string): string {
  const m = /^(\d+)s$/.exec(d);
  if (!m) throw new Error(`healthcheck duration "${d}" must be whole seconds, like "30s"`);
  const total = Number(m[1]);
  const [h, min, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h > 0) return `${h}h${min}m${sec}s`;
  return min > 0 ? `${min}m${sec}s` : `${sec}s`;
}

/** The provider's `volumes`: named volumes, then host paths (none: undefined). */
function volumeInputs(args: ServiceContainerArgs) {
  if (!args.volumes && !args.binds) return undefined;
  const ro = (readOnly?: boolean) => (readOnly ? { readOnly: true } : {});
  return [
    ...(args.volumes ?? []).map((v) => ({
      volumeName: v.volume.name,
      containerPath: v.containerPath,
      ...ro(v.readOnly),
    })),
    ...(args.binds ?? []).map((b) => ({
      hostPath: b.hostPath,
      containerPath: b.containerPath,
      ...ro(b.readOnly),
    })),
  ];
}

/** An image reference as `host` pulls it: through its registry mirror when it has one. */
export function mirroredRef(host: DockerHost, ref: string): string {
  return host.imageRegistry ? `${host.imageRegistry}/${ref}` : ref;
}

/**
 * Pulls a pinned image on a host (kept locally so a destroy never removes a
 * shared image), through the host's registry mirror when it has one.
 */
export function pullImage(
  name: string,
  host: DockerHost,
  ref: string,
  opts: pulumi.CustomResourceOptions,
): docker.RemoteImage {
  if (ref.endsWith(":latest") || !ref.includes(":")) {
    throw new Error(`${name}: image "${ref}" must be pinned to a version, never latest`);
  }
  return new docker.RemoteImage(
    name,
    { name: mirroredRef(host, ref), keepLocally: true },
    { ...opts, provider: host.provider },
  );
}

/** A named volume on the host, labelled with its tenant, never deleted by Pulumi. */
export function stateVolume(
  name: string,
  host: DockerHost,
  volumeName: string,
  tenant: string,
  opts: pulumi.CustomResourceOptions,
): docker.Volume {
  return new docker.Volume(
    name,
    { name: volumeName, labels: [{ label: LABELS.tenant, value: tenant }] },
    // Retained on delete: removing a tenant, a service or a database major from the
    // program never destroys its data; the volume stays on the engine until an
    // operator removes it by hand (after a backup).
    { ...opts, provider: host.provider, retainOnDelete: true },
  );
}
