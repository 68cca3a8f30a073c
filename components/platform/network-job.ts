import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderNetworkScript, type NetworkScriptArgs } from "../../templates/network-attach.js";
import { serviceContainer } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { NETWORK_JOB_SERVICE } from "../names.js";
import { checkInitExit } from "./init-job.js";

export const NETWORK_JOB = {
  memoryMb: 32,
  /** Where the engine's socket is mounted in the job. */
  socket: "/var/run/docker.sock",
  defaultHostSocket: "/var/run/docker.sock",
  script: "/socle/networks.sh",
  service: NETWORK_JOB_SERVICE,
} as const;

export interface NetworkJobArgs {
  host: DockerHost;
  /** The Docker CLI image, pulled once per host (`platform.networkJobImage`). */
  image: docker.RemoteImage;
  containerName: string;
  /** Labels' tenant (`_platform` for the host's own job). */
  tenant: string;
  /** What to connect / prune (rendered by templates/network-attach.ts). */
  script: pulumi.Input<NetworkScriptArgs>;
  /**
   * Values that must run the job again when they change although the script does
   * not: the ids of the containers it attaches and of the networks (a replaced
   * container or network comes back without the attachment).
   */
  triggers: Record<string, pulumi.Input<string>>;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * A network job: a one-shot container of the Docker CLI image, on no network
 * (`networkMode: none`), with the engine's socket, that attaches shared
 * containers to tenant networks (`docker network connect`) and, for the host's
 * own job, disconnects them from networks no tenant uses any more. The shared
 * containers' declarations never change: the Docker provider does not read
 * attachments made afterwards (it reads `network_data`, not `networks_advanced`),
 * so a refresh shows no drift either. Its script is fixed by the deployment;
 * nothing reaches it (no network) and it runs only during `pulumi up`.
 *
 * `applied` fails the deployment on a non-zero exit.
 */
export function declareNetworkJob(
  name: string,
  args: NetworkJobArgs,
  parent: pulumi.Resource,
): { job: docker.Container; applied: pulumi.Output<boolean> } {
  const envs = Object.keys(args.triggers)
    .sort()
    .map((k) => pulumi.interpolate`${k}=${args.triggers[k]!}`);
  const job = serviceContainer(
    name,
    {
      host: args.host,
      containerName: args.containerName,
      image: args.image,
      memoryMb: NETWORK_JOB.memoryMb,
      labels: { tenant: args.tenant, service: NETWORK_JOB.service, role: "job" },
      envs,
      networks: [],
      networkMode: "none",
      hosts: null,
      binds: [
        {
          hostPath: args.host.dockerSocket ?? NETWORK_JOB.defaultHostSocket,
          containerPath: NETWORK_JOB.socket,
        },
      ],
      uploads: [
        {
          file: NETWORK_JOB.script,
          content: pulumi.output(args.script).apply((a) => renderNetworkScript(a as NetworkScriptArgs)),
          executable: true,
        },
      ],
      entrypoints: ["/bin/sh", NETWORK_JOB.script],
      oneShot: true,
    },
    // a fixed container name: the old job must go before its replacement is created
    { parent, dependsOn: args.dependsOn, deleteBeforeReplace: true },
  );
  const applied = job.exitCode.apply((code) => {
    checkInitExit(args.containerName, code as number | undefined, "attaching the shared containers");
    return true;
  });
  return { job, applied };
}
