import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "./docker-host.js";

export interface LocalDockerHostArgs {
  /** Engine address; default `unix:///var/run/docker.sock`. A `tcp://` engine needs `certPath`. */
  dockerHost?: string;
  /** TLS client certificates of a `tcp://` engine: a directory with ca.pem, cert.pem and key.pem. */
  certPath?: string;
  /** Memory offered to containers, MiB (placement capacity); default 16384. */
  memoryMb?: number;
  /** Registry mirror every image is pulled through (see DockerHost). */
  imageRegistry?: string;
}

/**
 * LocalDockerHost — the Docker engine of the machine running `pulumi up`
 * (the embedded default target). Creates one `docker.Provider` child.
 *
 * Type token `socle:hosts:LocalDockerHost`; child `${name}-docker`.
 */
export class LocalDockerHost extends pulumi.ComponentResource implements DockerHost {
  readonly hostName: string;
  readonly provider: docker.Provider;
  readonly address: pulumi.Output<string>;
  readonly memoryMb: number;
  readonly mail = true;
  readonly imageRegistry?: string;
  /** The socket of a `unix://` engine address; `/var/run/docker.sock` otherwise. */
  readonly dockerSocket: string;

  constructor(name: string, args: LocalDockerHostArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("socle:hosts:LocalDockerHost", name, {}, opts);
    this.hostName = name;
    this.memoryMb = args.memoryMb ?? 16384;
    if (args.imageRegistry !== undefined) this.imageRegistry = args.imageRegistry;
    const engine = args.dockerHost ?? "unix:///var/run/docker.sock";
    this.dockerSocket = engine.startsWith("unix://")
      ? engine.slice("unix://".length)
      : "/var/run/docker.sock";
    this.provider = new docker.Provider(
      `${name}-docker`,
      { host: engine, ...(args.certPath ? { certPath: args.certPath } : {}) },
      { parent: this },
    );
    this.address = pulumi.output("127.0.0.1");
    this.registerOutputs({ address: this.address });
  }
}
