import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderMariadbInit, validateDbInitArgs } from "../../templates/db-init.js";
import {
  declareDatabaseInit,
  initContainerName,
  validateDatabaseOwner,
  type DatabaseNetwork,
} from "./init-job.js";
import type { MariadbServer } from "./mariadb.js";

export interface MariadbDatabaseArgs {
  server: MariadbServer;
  /** Database name: `[a-z_][a-z0-9_]*` (e.g. `demo_assos_club_echecs`). */
  database: string;
  /** User name; default: the database name. */
  user?: string;
  tenant: string;
  service: string;
  /** Initialiser container name; default `<tenant>-<service>-dbinit` (`socle-<service>-dbinit` for `_platform`). */
  containerName?: string;
  /**
   * The tenant's back-end network with the server attached
   * (`platform.tenantNetworks(tenant).database(server)`), where the initialiser runs.
   * Default: the server's own `socle-backend` (the platform's own databases).
   */
  network?: DatabaseNetwork;
}

export function validateMariadbDatabaseArgs(args: MariadbDatabaseArgs): void {
  const user = args.user ?? args.database;
  validateDbInitArgs({ host: args.server.hostname, database: args.database, user });
  if (user.length > 80)
    throw new Error(`mariadb database ${args.database}: user "${user}" is longer than 80`);
  validateDatabaseOwner("mariadb", args);
}

/**
 * MariadbDatabase — one database and its own user on the shared server
 * (`socle:platform:MariadbDatabase`).
 *
 * A generated password (secret) and a one-shot container (same image as the
 * server, attached so `pulumi up` waits for its exit) running the idempotent
 * script of `templates/db-init.ts`: `CREATE DATABASE IF NOT EXISTS`,
 * `CREATE USER IF NOT EXISTS` + `ALTER USER … IDENTIFIED BY`, `GRANT ALL ON db.*`.
 * Passwords reach it through its environment only.
 *
 * `password` is released only when the initialiser exited 0; `ready` is the
 * initialiser, for an explicit `dependsOn`.
 *
 * Children: `${name}-password`, `${name}-init`.
 */
export class MariadbDatabase extends pulumi.ComponentResource {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Secret. */
  readonly password: pulumi.Output<string>;
  readonly ready: docker.Container;
  readonly initContainerName: string;

  constructor(name: string, args: MariadbDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:MariadbDatabase", name, {}, opts);
    validateMariadbDatabaseArgs(args);
    const server = args.server;
    this.host = server.hostname;
    this.port = server.port;
    this.database = args.database;
    this.user = args.user ?? args.database;
    this.initContainerName = initContainerName(args.tenant, args.service, args.containerName);

    const init = declareDatabaseInit(
      name,
      {
        server,
        containerName: this.initContainerName,
        tenant: args.tenant,
        service: args.service,
        ...(args.network ? { network: args.network } : {}),
        script: renderMariadbInit({ host: server.hostname, database: this.database, user: this.user }),
        adminPasswordEnv: "MYSQL_PWD",
        adminPassword: server.rootPassword,
      },
      this,
    );
    this.ready = init.ready;
    this.password = init.password;
    this.registerOutputs({ database: this.database, user: this.user, password: this.password });
  }
}
