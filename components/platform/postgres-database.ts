import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderPostgresInit, validateDbInitArgs } from "../../templates/db-init.js";
import {
  declareDatabaseInit,
  initContainerName,
  validateDatabaseOwner,
  type DatabaseNetwork,
} from "./init-job.js";
import type { PostgresServer } from "./postgres.js";

export interface PostgresDatabaseArgs {
  server: PostgresServer;
  /** Database name: `[a-z_][a-z0-9_]*` (e.g. `demo_nextcloud`). */
  database: string;
  /** Role name; default: the database name. */
  user?: string;
  /** `CREATE EXTENSION IF NOT EXISTS` for each (e.g. `pg_trgm`, `unaccent`). */
  extensions?: string[];
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

export function validatePostgresDatabaseArgs(args: PostgresDatabaseArgs): void {
  validateDbInitArgs({
    host: args.server.hostname,
    database: args.database,
    user: args.user ?? args.database,
    extensions: args.extensions ?? [],
  });
  validateDatabaseOwner("postgres", args);
}

/**
 * PostgresDatabase — one database and its own role on the shared server
 * (`socle:platform:PostgresDatabase`).
 *
 * A generated password (secret) and a one-shot container (same image as the
 * server, `restart: "no"`, attached so `pulumi up` waits for its exit) that runs
 * the idempotent script of `templates/db-init.ts`: role created or its password
 * reset, database created owned by the role, CONNECT revoked from PUBLIC,
 * extensions created. Passwords reach it through its environment only.
 *
 * `password` is released only when the initialiser exited 0, and carries a
 * dependency on it: an app that uses it waits for the database. `ready` is the
 * initialiser itself, for an explicit `dependsOn`.
 *
 * Children: `${name}-password`, `${name}-init`.
 */
export class PostgresDatabase extends pulumi.ComponentResource {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Secret. */
  readonly password: pulumi.Output<string>;
  readonly ready: docker.Container;
  readonly initContainerName: string;

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:PostgresDatabase", name, {}, opts);
    validatePostgresDatabaseArgs(args);
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
        script: renderPostgresInit({
          host: server.hostname,
          database: this.database,
          user: this.user,
          extensions: args.extensions ?? [],
        }),
        adminPasswordEnv: "PGPASSWORD",
        adminPassword: server.superuserPassword,
      },
      this,
    );
    this.ready = init.ready;
    this.password = init.password;
    this.registerOutputs({ database: this.database, user: this.user, password: this.password });
  }
}
