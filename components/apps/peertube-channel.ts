import * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer } from "../container.js";
import type { Platform } from "../platform/platform.js";
import { imageRef } from "../versions.js";
import { gateOnExit } from "../platform/init-job.js";
import { generatedPassword } from "../platform/password.js";
import {
  PEERTUBE_ACCOUNT_ENV,
  renderPeertubeAccount,
  validatePeertubeAccountArgs,
} from "../../templates/peertube-account.js";
import { PEERTUBE_DEFAULTS, type PeerTube } from "./peertube.js";
import { peertubeChannelNames } from "../names.js";

export interface PeerTubeChannelArgs {
  /** The member town's slug. */
  tenant: string;
  /** The town's name (the channel's display name). */
  name: string;
  /** Contact address of the town's account (its admins' mailbox). */
  email: string;
  /** The EPCI's shared instance. */
  instance: PeerTube;
  /**
   * The platform of the instance's host: the job runs there, on the instance's web
   * network (it calls the instance's container; no other tenant's network).
   */
  platform: Platform;
}

export const PEERTUBE_CHANNEL_DEFAULTS = {
  jobMemoryMb: 128,
  script: "/socle/account.sh",
} as const;

/** The account's user name and channel handle on the shared instance, from the town's slug. */
export function channelNames(tenant: string): { username: string; channel: string } {
  const base = tenant.replace(/-/g, "_");
  return { username: base, channel: `${base}_videos` };
}

/**
 * PeerTubeChannel — a member town's own account (role User, no quota) and
 * channel on the EPCI's shared PeerTube (`socle:apps:PeerTubeChannel`),
 * instead of an instance of its own. A one-shot job on the instance's host
 * creates them through the REST API as root (or resets the password to the
 * stack's secret); the shared instance itself is not touched, so adding a
 * town restarts nothing. The town's admins sign in with this account.
 *
 * Children: `${name}-password`, `${name}-image`, `${name}-job`.
 */
export class PeerTubeChannel extends pulumi.ComponentResource {
  readonly username: string;
  readonly channel: string;
  readonly url: string;
  readonly password: pulumi.Output<string>;

  constructor(name: string, args: PeerTubeChannelArgs, opts?: pulumi.ComponentResourceOptions) {
    const { username, channel } = channelNames(args.tenant);
    const hostname = new URL(args.instance.url).hostname;
    const script = {
      hostname,
      api: `http://${args.instance.containerName}:${PEERTUBE_DEFAULTS.port}/api/v1`,
      username,
      email: args.email,
      channel,
      channelDisplayName: args.name,
    };
    validatePeertubeAccountArgs(script);
    super("socle:apps:PeerTubeChannel", name, {}, opts);
    this.username = username;
    this.channel = channel;
    this.url = `${args.instance.url}/c/${channel}`;
    const password = generatedPassword(`${name}-password`, this, 24);
    const image = pullImage(`${name}-image`, args.platform.host, imageRef("peertube"), { parent: this });
    const containerName = peertubeChannelNames(args.tenant).job;
    const job = serviceContainer(
      `${name}-job`,
      {
        host: args.platform.host,
        containerName,
        image,
        memoryMb: PEERTUBE_CHANNEL_DEFAULTS.jobMemoryMb,
        oneShot: true,
        labels: { tenant: args.tenant, service: "peertube-channel", role: "job" },
        envs: [
          pulumi.interpolate`${PEERTUBE_ACCOUNT_ENV.rootPassword}=${args.instance.adminPassword}`,
          pulumi.interpolate`${PEERTUBE_ACCOUNT_ENV.password}=${password}`,
        ],
        networks: [{ network: args.platform.tenantNetworks(args.instance.tenant).web }],
        uploads: [
          {
            file: PEERTUBE_CHANNEL_DEFAULTS.script,
            content: renderPeertubeAccount(script),
            executable: true,
          },
        ],
        entrypoints: ["/bin/bash", PEERTUBE_CHANNEL_DEFAULTS.script],
      },
      // a fixed container name: the old job must go before its replacement is created
      { parent: this, dependsOn: [args.instance], deleteBeforeReplace: true },
    );
    // Released (and exported) only once the job exited 0: a failed job fails the deployment.
    this.password = gateOnExit(password, job, containerName, "PeerTube account creation");
    this.registerOutputs({ username, channel, url: this.url, password: this.password });
  }
}
