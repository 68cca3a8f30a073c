import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import { PLATFORM_TENANT } from "../labels.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { imageRef } from "../versions.js";
import { generatedPassword } from "./password.js";

/**
 * Helpers shared by `PostgresServer` and `MariadbServer`: the same memory check
 * and the same four children (generated admin password, pinned image, one data
 * volume per major, the server container on `socle-backend` under its alias).
 */

/** Both servers refuse less than 256 MiB (`engine` names the component in the message). */
export function validateServerMemoryMb(engine: "postgres" | "mariadb", memoryMb: number | undefined): void {
  if (memoryMb !== undefined && (!Number.isInteger(memoryMb) || memoryMb < 256)) {
    throw new Error(`${engine}: memoryMb must be an integer >= 256, got ${memoryMb}`);
  }
}

export interface DatabaseServerSpec {
  engine: "postgres" | "mariadb";
  host: DockerHost;
  network: docker.Network;
  version: string;
  memoryMb: number;
  containerName: string;
  /** The server's DNS alias on `network`. */
  alias: string;
  /** The major, in the data volume's child name (`${name}-data-${major}`). */
  major: string | number;
  volumeName: string;
  dataPath: string;
  /** The container's environment, given the generated admin password. */
  envs: (password: pulumi.Output<string>) => pulumi.Input<string>[];
  /** The health command (label `socle.health` = `cmd:<health>`). */
  health: string;
  /** The healthcheck's `tests` for `health`. */
  healthTests: string[];
}

/**
 * Children `${name}-password`, `${name}-image`, `${name}-data-<major>`,
 * `${name}-container` (tenant `_platform`, role `db`, service = the engine: the labels
 * discovery's `isPlatformDatabaseServer` recognises; no published port), in that order.
 */
export function declareDatabaseServer(
  name: string,
  spec: DatabaseServerSpec,
  parent: pulumi.Resource,
): {
  password: pulumi.Output<string>;
  image: docker.RemoteImage;
  volume: docker.Volume;
  container: docker.Container;
} {
  const password = generatedPassword(`${name}-password`, parent);
  const image = pullImage(`${name}-image`, spec.host, imageRef(spec.engine, spec.version), { parent });
  const volume = stateVolume(`${name}-data-${spec.major}`, spec.host, spec.volumeName, PLATFORM_TENANT, {
    parent,
  });
  const container = serviceContainer(
    `${name}-container`,
    {
      host: spec.host,
      containerName: spec.containerName,
      image,
      memoryMb: spec.memoryMb,
      labels: {
        tenant: PLATFORM_TENANT,
        service: spec.engine,
        role: "db",
        version: spec.version,
        health: `cmd:${spec.health}`,
      },
      envs: spec.envs(password),
      networks: [{ network: spec.network, aliases: [spec.alias] }],
      volumes: [{ volume, containerPath: spec.dataPath }],
      healthcheck: { tests: spec.healthTests, interval: "10s", startPeriod: "60s" },
    },
    { parent, deleteBeforeReplace: true },
  );
  return { password, image, volume, container };
}
