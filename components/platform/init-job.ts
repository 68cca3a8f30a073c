import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { serviceContainer } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { generatedPassword } from "./password.js";
import { dbInitContainerName } from "../names.js";

/**
 * Helpers shared by `PostgresDatabase` and `MariadbDatabase` for their one-shot
 * initialiser container (`serviceContainer` with `oneShot: true`).
 *
 * The Docker provider waits for an attached container to exit but does not fail
 * on a non-zero exit code; it records `exitCode`. `gateOnExit` makes the
 * database password depend on that code: an app that uses the password (and
 * `registerOutputs`) then fails the deployment with the message below instead
 * of starting against a database that does not exist.
 */
export function checkInitExit(
  containerName: string,
  code: number | undefined | null,
  what = "database initialisation",
): void {
  if (code === undefined || code === null || code === 0) return;
  throw new Error(
    `${containerName}: ${what} failed with exit code ${code}; ` +
      `read \`docker logs ${containerName}\`, fix the cause, then \`docker rm ${containerName}\` ` +
      "and run `pulumi up --refresh`",
  );
}

/** The password, released only once the initialiser exited 0 (stays secret). */
export function gateOnExit(
  password: pulumi.Output<string>,
  job: docker.Container,
  containerName: string,
  what?: string,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([password, job.exitCode]).apply(([pw, code]) => {
      checkInitExit(containerName, code as number | undefined, what);
      return pw;
    }),
  );
}

/** Memory limit of an initialiser container, MiB (psql / mariadb client only). */
export const INIT_JOB_MEMORY_MB = 64;
/** Where the rendered script is uploaded in the initialiser container. */
export const INIT_SCRIPT_PATH = "/socle/db-init.sh";

const CONTAINER_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * The initialiser's container name: `<tenant>-<service>-dbinit`, or
 * `socle-<service>-dbinit` for the platform's own tenant `_platform` (Docker
 * names cannot start with `_`). An explicit name must be a valid Docker name.
 */
export function initContainerName(tenant: string, service: string, explicit?: string): string {
  const name = explicit ?? dbInitContainerName(tenant, service);
  if (!CONTAINER_NAME_RE.test(name))
    throw new Error(`db init: container name "${name}" is not a Docker name`);
  return name;
}

/** The tenant and service checks of both database components (`engine` names the component in the message). */
export function validateDatabaseOwner(
  engine: "postgres" | "mariadb",
  args: { database: string; tenant: string; service: string },
): void {
  if (!/^[a-z0-9_][a-z0-9_-]*$/.test(args.tenant)) {
    throw new Error(`${engine} database ${args.database}: tenant "${args.tenant}" is not a slug`);
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(args.service)) {
    throw new Error(`${engine} database ${args.database}: service "${args.service}" is not a slug`);
  }
}

/** What a database initialiser needs of its shared server (`PostgresServer`, `MariadbServer`). */
export interface DatabaseServerLike {
  readonly dockerHost: DockerHost;
  readonly image: docker.RemoteImage;
  readonly network: docker.Network;
  readonly container: docker.Container;
}

/**
 * Where a tenant's initialiser reaches the shared server: the tenant's back-end
 * network, once the server is attached to it (`tenantNetworks(slug).database(server)`).
 */
export interface DatabaseNetwork {
  network: docker.Network;
  /** The job attaching the server to `network` (the initialiser waits for it). */
  attached: pulumi.Resource;
}

export interface DatabaseInitArgs {
  server: DatabaseServerLike;
  /** Default: the server's own network (`socle-backend`: the platform's databases, Keycloak's). */
  network?: DatabaseNetwork;
  containerName: string;
  tenant: string;
  service: string;
  /** The rendered script of `templates/db-init.ts`. */
  script: string;
  /** The client's variable for the server's admin password (`PGPASSWORD`, `MYSQL_PWD`). */
  adminPasswordEnv: string;
  adminPassword: pulumi.Output<string>;
}

/**
 * The children both database components declare: `${name}-password` (generated,
 * secret) and `${name}-init`, a one-shot container (the server's image, attached so
 * `pulumi up` waits for its exit) running `script` with the admin password and
 * `DB_PASSWORD` in its environment only, on the tenant's back-end network (`network`)
 * or the server's own. The returned password is gated on the
 * initialiser's exit code (`gateOnExit`).
 */
export function declareDatabaseInit(
  name: string,
  args: DatabaseInitArgs,
  parent: pulumi.Resource,
): { ready: docker.Container; password: pulumi.Output<string> } {
  const password = generatedPassword(`${name}-password`, parent);
  const server = args.server;
  const ready = serviceContainer(
    `${name}-init`,
    {
      host: server.dockerHost,
      containerName: args.containerName,
      image: server.image,
      memoryMb: INIT_JOB_MEMORY_MB,
      labels: { tenant: args.tenant, service: args.service, role: "job" },
      envs: [
        pulumi.interpolate`${args.adminPasswordEnv}=${args.adminPassword}`,
        pulumi.interpolate`DB_PASSWORD=${password}`,
      ],
      networks: [{ network: args.network?.network ?? server.network }],
      uploads: [{ file: INIT_SCRIPT_PATH, content: args.script, executable: true }],
      entrypoints: ["/bin/sh", INIT_SCRIPT_PATH],
      oneShot: true,
    },
    {
      parent,
      dependsOn: [server.container, ...(args.network ? [args.network.attached] : [])],
      deleteBeforeReplace: true,
    },
  );
  return { ready, password: gateOnExit(password, ready, args.containerName) };
}
