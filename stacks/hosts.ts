/**
 * Declares the Docker hosts of a deployment from the validated target:
 * the local engine (the embedded default) or one Proxmox VM per
 * `target.hosts` entry, spread across the nodes, optionally under HA.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../components/hosts/docker-host.js";
import { LocalDockerHost } from "../components/hosts/local-docker-host.js";
import { ProxmoxDockerHost } from "../components/hosts/proxmox-docker-host.js";
import { haGroup, proxmoxProvider, spreadHosts, vmIdFor } from "../components/hosts/proxmox-provider.js";
import type { PlacementHost } from "./placement.js";
import { hostAddresses, type SocleConfig } from "./config.js";

/** The local host's name (the one tenants may pin to with `host: local`). */
export const LOCAL_HOST = "local";

/** Placement capacity of every host, computed from the config alone (before any resource). */
export function placementHosts(cfg: SocleConfig): PlacementHost[] {
  const t = cfg.target;
  if (t.kind === "local") return [{ name: LOCAL_HOST, capacityMb: t.memoryMb }];
  return t.hosts.map((h) => ({ name: h.name, capacityMb: h.memoryMb - t.reserveMb }));
}

export interface HostExtras {
  /** Files each host gets (the backup units), and commands run once at first boot. */
  files: { path: string; content: string; permissions?: string }[];
  commands: string[][];
  /** Hosts that run a mail server (their firewall opens the mail ports). */
  mailHosts: Set<string>;
}

/** Declares the hosts; returns them by name. */
export function declareHosts(cfg: SocleConfig, extras: HostExtras): Map<string, DockerHost> {
  const t = cfg.target;
  const hosts = new Map<string, DockerHost>();
  if (t.kind === "local") {
    hosts.set(
      LOCAL_HOST,
      new LocalDockerHost(LOCAL_HOST, {
        dockerHost: t.dockerHost,
        memoryMb: t.memoryMb,
        ...(t.dockerCertPath !== undefined ? { certPath: t.dockerCertPath } : {}),
        ...(cfg.images.registry !== undefined ? { imageRegistry: cfg.images.registry } : {}),
      }),
    );
    return hosts;
  }
  if (!cfg.secrets.proxmoxApiToken)
    throw new Error("socle:proxmoxApiToken: missing (pulumi config set --secret)");
  const proxmox = proxmoxProvider("proxmox", {
    endpoint: t.endpoint,
    apiToken: cfg.secrets.proxmoxApiToken,
    insecure: t.insecure,
    sshUser: t.sshUser,
  });
  const group = t.ha ? haGroup("socle-ha", { nodes: t.nodes, proxmox }) : undefined;
  const placed = spreadHosts(t.hosts, t.nodes);
  const addresses = hostAddresses(t);
  const prefix = t.network.cidr.split("/")[1]!;
  t.hosts.forEach((h, i) => {
    const host = new ProxmoxDockerHost(
      h.name,
      {
        proxmox,
        node: placed[i]!.node,
        vmId: vmIdFor(i),
        templateVmId: t.templateVmId,
        cores: h.cores,
        memoryMb: h.memoryMb,
        diskGb: h.diskGb,
        datastore: t.datastore,
        snippetsDatastore: t.snippetsDatastore,
        bridge: t.bridge,
        ...(t.vlanId !== undefined ? { vlanId: t.vlanId } : {}),
        address: `${addresses[h.name]}/${prefix}`,
        gateway: t.network.gateway,
        dns: t.network.dns,
        adminUser: t.sshUser,
        sshPublicKeys: t.sshPublicKeys,
        mail: extras.mailHosts.has(h.name),
        ...(cfg.images.registry !== undefined ? { imageRegistry: cfg.images.registry } : {}),
        reserveMb: t.reserveMb,
        extraFiles: extras.files,
        extraCommands: extras.commands,
        ...(group ? { ha: { group: "socle-ha" } } : {}),
      },
      group ? { dependsOn: [group] } : undefined,
    );
    hosts.set(h.name, host);
  });
  return hosts;
}

/** The host outputs exported by the stack. */
export function hostOutputs(hosts: Map<string, DockerHost>): Record<string, pulumi.Output<string>> {
  return Object.fromEntries([...hosts].map(([name, h]) => [name, h.address]));
}
