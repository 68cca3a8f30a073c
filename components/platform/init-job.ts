import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

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
  const name =
    explicit ?? (tenant === "_platform" ? `socle-${service}-dbinit` : `${tenant}-${service}-dbinit`);
  if (!CONTAINER_NAME_RE.test(name))
    throw new Error(`db init: container name "${name}" is not a Docker name`);
  return name;
}
