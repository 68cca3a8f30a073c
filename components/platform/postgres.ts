import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../hosts/docker-host.js";
import { isNumericVersion, pinned, VERSION_RULES } from "../versions.js";
import { PLATFORM_NAMES, postgresMajor, postgresVolumeName } from "../names.js";

export { postgresMajor, postgresVolumeName };
import { declareDatabaseServer, validateServerMemoryMb } from "./db-server.js";

export { PostgresDatabase, type PostgresDatabaseArgs } from "./postgres-database.js";

export const POSTGRES_DEFAULTS = {
  memoryMb: 1024,
  containerName: PLATFORM_NAMES.postgres,
  alias: "postgres",
  port: 5432,
  /** Data volume prefix: one volume per major (`socle-postgres-17-data`), see `postgresVolumeName`. */
  volumePrefix: PLATFORM_NAMES.postgres,
  superuser: "postgres",
  /** The initialisers use psql's `\getenv`, new in PostgreSQL 15 (the catalogue's rule). */
  minMajor: Number(VERSION_RULES.postgres!.minimum),
} as const;

export interface PostgresServerArgs {
  host: DockerHost;
  /** `socle-backend` (the platform's internal network). */
  network: docker.Network;
  /** Default: the catalogue's pin. */
  version?: string;
  /** Default 1024. */
  memoryMb?: number;
}

/**
 * Where the data volume is mounted in the official image: up to 17,
 * `/var/lib/postgresql/data` (PGDATA); from 18 the image keeps PGDATA in
 * `/var/lib/postgresql/<major>/docker` and the volume is `/var/lib/postgresql`.
 * Mounting the wrong one silently starts an empty cluster.
 */
export function postgresDataPath(version: string): string {
  return postgresMajor(version) >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

export function validatePostgresServerArgs(args: PostgresServerArgs): void {
  if (args.version !== undefined) {
    if (!isNumericVersion(args.version)) {
      throw new Error(`postgres: version "${args.version}" is not a version number like 17.6`);
    }
    if (postgresMajor(args.version) < POSTGRES_DEFAULTS.minMajor) {
      throw new Error(`postgres: version "${args.version}" is older than ${POSTGRES_DEFAULTS.minMajor}`);
    }
  }
  validateServerMemoryMb("postgres", args.memoryMb);
}

/**
 * PostgresServer — the shared PostgreSQL of one Docker host (`socle:platform:PostgresServer`).
 *
 * Official `postgres` image (catalogue pin), container `socle-postgres` with alias
 * `postgres` on `socle-backend` only (no published port), volume
 * `socle-postgres-<major>-data`, generated superuser password (`POSTGRES_PASSWORD`),
 * healthcheck `pg_isready -U postgres`. Databases are created by `PostgresDatabase`.
 * Backups are logical dumps run here, driven by the labels of each app container.
 *
 * Children: `${name}-password`, `${name}-image`, `${name}-data`, `${name}-container`.
 */
export class PostgresServer extends pulumi.ComponentResource {
  readonly dockerHost: DockerHost;
  readonly network: docker.Network;
  readonly hostname: string = POSTGRES_DEFAULTS.alias;
  readonly port: number = POSTGRES_DEFAULTS.port;
  readonly containerName: string = POSTGRES_DEFAULTS.containerName;
  readonly superuser: string = POSTGRES_DEFAULTS.superuser;
  readonly version: string;
  readonly memoryMb: number;
  readonly dataPath: string;
  readonly image: docker.RemoteImage;
  readonly volume: docker.Volume;
  readonly container: docker.Container;
  /** Secret. */
  readonly superuserPassword: pulumi.Output<string>;

  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:PostgresServer", name, {}, opts);
    validatePostgresServerArgs(args);
    this.dockerHost = args.host;
    this.network = args.network;
    this.version = args.version ?? pinned("postgres");
    this.memoryMb = args.memoryMb ?? POSTGRES_DEFAULTS.memoryMb;
    this.dataPath = postgresDataPath(this.version);

    const pgIsReady = `pg_isready -U ${POSTGRES_DEFAULTS.superuser}`;
    const server = declareDatabaseServer(
      name,
      {
        engine: "postgres",
        host: args.host,
        network: args.network,
        version: this.version,
        memoryMb: this.memoryMb,
        containerName: this.containerName,
        alias: POSTGRES_DEFAULTS.alias,
        major: postgresMajor(this.version),
        volumeName: postgresVolumeName(this.version),
        dataPath: this.dataPath,
        envs: (password) => [
          `POSTGRES_USER=${POSTGRES_DEFAULTS.superuser}`,
          pulumi.interpolate`POSTGRES_PASSWORD=${password}`,
        ],
        health: pgIsReady,
        healthTests: ["CMD-SHELL", pgIsReady],
      },
      this,
    );
    this.superuserPassword = server.password;
    this.image = server.image;
    this.volume = server.volume;
    this.container = server.container;
    this.registerOutputs({ containerName: this.containerName, version: this.version });
  }
}
