import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { serviceContainer } from "../container.js";
import { followJobName } from "../names.js";
import { checkInitExit } from "../platform/init-job.js";
import type { Platform } from "../platform/platform.js";
import {
  PEERTUBE_FOLLOW_ENV,
  PEERTUBE_FOLLOW_SCRIPT,
  renderPeertubeFollow,
} from "../../templates/peertube-follow.js";

export const PEERTUBE_FOLLOW_JOB = {
  /** bash, curl and two short `node -p`; the limit holds only while it runs. */
  memoryMb: 128,
} as const;

export interface PeertubeFollowJobArgs {
  platform: Platform;
  tenant: string;
  /**
   * The instance: its container (reached over the tenant's web network at
   * `http://<containerName>:<port>/api/v1`; the job is `<containerName>-follow`)
   * and its `PEERTUBE_WEBSERVER_HOSTNAME`.
   */
  instance: { containerName: string; hostname: string; port: number };
  /** Sibling instances (host names). At least one. */
  follow: string[];
  /** The instance's image (already pulled on this host). */
  image: docker.RemoteImage;
  /** root's password (secret): the job logs in with it. */
  rootPassword: pulumi.Input<string>;
  /** The instance container: the job starts once it is created (healthy). */
  app: docker.Container;
}

/**
 * A PeerTube's follows of its sibling instances, requested by a one-shot job
 * (`serviceContainer` with `oneShot: true`) through the instance's REST API,
 * like the shared instance's account job (components/apps/peertube-channel.ts),
 * instead of the instance's configurator: the list grows with the EPCI, and
 * only this job's inputs change when a town joins, so only the job is replaced
 * (and run again), never the instance. Runs on the tenant's web network, replaced with
 * delete-before-replace (fixed name); a non-zero exit (instance unreachable,
 * root's password changed) fails the deployment through `applied`.
 *
 * Declares one child: `${name}` (container `<instance container>-follow`).
 */
export function declarePeertubeFollowJob(
  name: string,
  args: PeertubeFollowJobArgs,
  opts: { parent: pulumi.Resource },
): { job: docker.Container; applied: pulumi.Output<boolean> } {
  const { instance } = args;
  const containerName = followJobName(instance.containerName);
  const script = renderPeertubeFollow({
    hostname: instance.hostname,
    api: `http://${instance.containerName}:${instance.port}/api/v1`,
    follow: args.follow,
  });
  const job = serviceContainer(
    name,
    {
      host: args.platform.host,
      containerName,
      image: args.image,
      memoryMb: PEERTUBE_FOLLOW_JOB.memoryMb,
      labels: { tenant: args.tenant, service: "peertube", role: "job" },
      envs: [pulumi.interpolate`${PEERTUBE_FOLLOW_ENV.rootPassword}=${pulumi.secret(args.rootPassword)}`],
      networks: [{ network: args.platform.tenantNetworks(args.tenant).web }],
      uploads: [{ file: PEERTUBE_FOLLOW_SCRIPT, content: script, executable: true }],
      entrypoints: ["/bin/bash", PEERTUBE_FOLLOW_SCRIPT],
      oneShot: true,
    },
    { parent: opts.parent, dependsOn: [args.app], deleteBeforeReplace: true },
  );
  const applied = job.exitCode.apply((code) => {
    checkInitExit(containerName, code as number | undefined, "following the sibling instances");
    return true;
  });
  return { job, applied };
}
