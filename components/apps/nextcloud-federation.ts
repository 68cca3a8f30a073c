import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { serviceContainer, type ServiceContainerArgs } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { checkInitExit } from "../platform/init-job.js";
import {
  NEXTCLOUD_FEDERATION_SCRIPT,
  renderNextcloudFederation,
} from "../../templates/nextcloud-federation.js";

export const NEXTCLOUD_FEDERATION_JOB = {
  /** php occ + one PHP process; the limit holds only while it runs (an exited job uses none). */
  memoryMb: 256,
  /** Owner of /var/www/html in the official image (uid 33): occ refuses any other user. */
  user: "www-data",
} as const;

export interface NextcloudFederationJobArgs {
  host: DockerHost;
  tenant: string;
  /** `<tenant>-nextcloud-federation`. */
  containerName: string;
  /** The Nextcloud's own URL. */
  url: string;
  /** At least one `https://` server. */
  trustedServers: string[];
  /** The app's image, volumes, networks and runtime env (database, Redis, proxy settings). */
  image: docker.RemoteImage;
  volumes: NonNullable<ServiceContainerArgs["volumes"]>;
  networks: ServiceContainerArgs["networks"];
  envs: pulumi.Input<string>[];
  /** The app container: the job starts once it is created (healthy, hence installed). */
  app: docker.Container;
}

/**
 * A Nextcloud's trusted federation servers, applied by a one-shot job
 * (`serviceContainer` with `oneShot: true`) instead of the app's entrypoint
 * hook: the list grows with the EPCI, and only this job's inputs change
 * when a town joins, so only the job is replaced (and run again); the app
 * container, its cron container and every other town's containers keep
 * their inputs. See templates/nextcloud-federation.ts for the script.
 *
 * Same image, SAME volumes and the same runtime env as the app (like the
 * cron container): `occ` from a sibling container works on the shared
 * /var/www/html. Runs as `www-data`. Replaced with delete-before-replace
 * (its container name is fixed). A non-zero exit fails the deployment
 * through `applied` (registered as an output of the Nextcloud component).
 *
 * Declares one child: `${name}` (container `containerName`).
 */
export function declareNextcloudFederationJob(
  name: string,
  args: NextcloudFederationJobArgs,
  opts: { parent: pulumi.Resource },
): { job: docker.Container; applied: pulumi.Output<boolean> } {
  const script = renderNextcloudFederation({ url: args.url, trustedServers: args.trustedServers });
  const job = serviceContainer(
    name,
    {
      host: args.host,
      containerName: args.containerName,
      image: args.image,
      memoryMb: NEXTCLOUD_FEDERATION_JOB.memoryMb,
      labels: { tenant: args.tenant, service: "nextcloud", role: "job" },
      envs: args.envs,
      networks: args.networks,
      volumes: args.volumes,
      uploads: [{ file: NEXTCLOUD_FEDERATION_SCRIPT, content: script, executable: true }],
      entrypoints: ["/bin/bash", NEXTCLOUD_FEDERATION_SCRIPT],
      user: NEXTCLOUD_FEDERATION_JOB.user,
      oneShot: true,
    },
    { parent: opts.parent, dependsOn: [args.app], deleteBeforeReplace: true },
  );
  const applied = job.exitCode.apply((code) => {
    checkInitExit(args.containerName, code as number | undefined, "trusting the federation servers");
    return true;
  });
  return { job, applied };
}
