import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../hosts/docker-host.js";
import { isNumericVersion, pinned } from "../versions.js";
import { PLATFORM_NAMES, mariadbMajor, mariadbVolumeName } from "../names.js";

export { mariadbMajor, mariadbVolumeName };
import { declareDatabaseServer, validateServerMemoryMb } from "./db-server.js";

export { MariadbDatabase, type MariadbDatabaseArgs } from "./mariadb-database.js";

export const MARIADB_DEFAULTS = {
  memoryMb: 1024,
  containerName: PLATFORM_NAMES.mariadb,
  alias: "mariadb",
  port: 3306,
  /** Data volume prefix: one volume per major (`socle-mariadb-11.4-data`), see `mariadbVolumeName`. */
  volumePrefix: PLATFORM_NAMES.mariadb,
  dataPath: "/var/lib/mysql",
} as const;

export interface MariadbServerArgs {
  host: DockerHost;
  /** `socle-backend` (the platform's internal network). */
  network: docker.Network;
  /** Default: the catalogue's pin. */
  version?: string;
  /** Default 1024. */
  memoryMb?: number;
}

export function validateMariadbServerArgs(args: MariadbServerArgs): void {
  if (args.version !== undefined && !isNumericVersion(args.version)) {
    throw new Error(`mariadb: version "${args.version}" is not a version number like 11.4.8`);
  }
  validateServerMemoryMb("mariadb", args.memoryMb);
}

/**
 * MariadbServer — the shared MariaDB of one Docker host (`socle:platform:MariadbServer`).
 *
 * Official `mariadb` image (catalogue pin), container `socle-mariadb` with alias
 * `mariadb` on `socle-backend` only (no published port), volume
 * `socle-mariadb-<major>-data` on `/var/lib/mysql`, generated root password
 * (`MARIADB_ROOT_PASSWORD`), `MARIADB_AUTO_UPGRADE=1` (the image runs
 * `mariadb-upgrade` after a version change), healthcheck
 * `healthcheck.sh --connect --innodb_initialized` (the image's own script).
 *
 * Children: `${name}-password`, `${name}-image`, `${name}-data`, `${name}-container`.
 */
export class MariadbServer extends pulumi.ComponentResource {
  readonly dockerHost: DockerHost;
  readonly network: docker.Network;
  readonly hostname: string = MARIADB_DEFAULTS.alias;
  readonly port: number = MARIADB_DEFAULTS.port;
  readonly containerName: string = MARIADB_DEFAULTS.containerName;
  readonly version: string;
  readonly memoryMb: number;
  readonly image: docker.RemoteImage;
  readonly volume: docker.Volume;
  readonly container: docker.Container;
  /** Secret. */
  readonly rootPassword: pulumi.Output<string>;

  constructor(name: string, args: MariadbServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:MariadbServer", name, {}, opts);
    validateMariadbServerArgs(args);
    this.dockerHost = args.host;
    this.network = args.network;
    this.version = args.version ?? pinned("mariadb");
    this.memoryMb = args.memoryMb ?? MARIADB_DEFAULTS.memoryMb;

    const health = "healthcheck.sh --connect --innodb_initialized";
    const server = declareDatabaseServer(
      name,
      {
        engine: "mariadb",
        host: args.host,
        network: args.network,
        version: this.version,
        memoryMb: this.memoryMb,
        containerName: this.containerName,
        alias: MARIADB_DEFAULTS.alias,
        major: mariadbMajor(this.version),
        volumeName: mariadbVolumeName(this.version),
        dataPath: MARIADB_DEFAULTS.dataPath,
        envs: (password) => [pulumi.interpolate`MARIADB_ROOT_PASSWORD=${password}`, "MARIADB_AUTO_UPGRADE=1"],
        health,
        healthTests: ["CMD", ...health.split(" ")],
      },
      this,
    );
    this.rootPassword = server.password;
    this.image = server.image;
    this.volume = server.volume;
    this.container = server.container;
    this.registerOutputs({ containerName: this.containerName, version: this.version });
  }
}
