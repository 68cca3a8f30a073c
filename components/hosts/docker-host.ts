import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Where containers run. Apps and the platform only ever see this interface:
 * every container they declare uses `provider` and is parented under their
 * own component.
 */
export interface DockerHost {
  /** The host's name in the stack config (`local` for the embedded default). */
  readonly hostName: string;
  /** The Docker provider that reaches this host's engine. */
  readonly provider: docker.Provider;
  /** The address the host is reached at (IP, or 127.0.0.1 for local). */
  readonly address: pulumi.Output<string>;
  /** Memory the host offers to containers, in MiB (placement capacity). */
  readonly memoryMb: number;
  /** Whether mail ports (25, 465, 587, 993, 4190) are open on this host's firewall. */
  readonly mail: boolean;
  /** Registry mirror every image is pulled through (`host[:port][/path]`); unset: each image's own registry. */
  readonly imageRegistry?: string;
  /**
   * The engine's unix socket on the host, bind-mounted into the platform's network
   * jobs (they attach the shared containers to tenant networks). Default
   * `/var/run/docker.sock`.
   */
  readonly dockerSocket?: string;
}
