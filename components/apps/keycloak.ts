import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer } from "../container.js";
import { PLATFORM_TENANT, serviceDatabase } from "../labels.js";
import type { Platform } from "../platform/platform.js";
import { PostgresDatabase } from "../platform/postgres-database.js";
import { isLocalHost, type Route } from "../platform/route.js";
import { imageRef, pinned, versionProblem } from "../versions.js";
import { PLATFORM_NAMES } from "../names.js";
import { generatedPassword } from "../platform/password.js";
import { HOST_RE } from "../../templates/checks.js";

export const KEYCLOAK_DEFAULTS = {
  version: pinned("keycloak"),
  memoryMb: 1536,
  containerName: PLATFORM_NAMES.keycloak,
  alias: "keycloak",
  tenant: PLATFORM_TENANT,
  service: "keycloak",
  database: serviceDatabase(PLATFORM_TENANT, "keycloak"),
  adminUser: "socle-admin",
  httpPort: 8080,
  managementPort: 9000,
  /** Heap as a share of the container limit (the rest: metaspace, threads, off-heap caches). */
  heap: "-XX:MaxRAMPercentage=70 -XX:InitialRAMPercentage=50",
} as const;

export interface KeycloakArgs {
  platform: Platform;
  /** The FQDN Keycloak serves (`sso.<first tenant's domain>` or `socle:sso.domain`). */
  domain: string;
  version?: string;
  /** Container memory limit, MiB (default 1536). */
  memoryMb?: number;
}

export function validateKeycloakArgs(args: Pick<KeycloakArgs, "domain" | "version" | "memoryMb">): void {
  if (!HOST_RE.test(args.domain))
    throw new Error(`Keycloak: domain "${args.domain}" is not a lower-case domain name`);
  if (args.version !== undefined && versionProblem("keycloak", args.version) !== undefined) {
    throw new Error(`Keycloak: version "${args.version}" is not x.y.z`);
  }
  if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 768)) {
    throw new Error(`Keycloak: memoryMb ${args.memoryMb} is below the 768 MiB Keycloak needs to start`);
  }
}

/** Declared memory, for placement before anything is declared. */
export function memoryMbFor(args: { memoryMb?: number }): number {
  return args.memoryMb ?? KEYCLOAK_DEFAULTS.memoryMb;
}

/**
 * An HTTP probe without curl (neither the Keycloak nor the Collabora image
 * ships one): bash's `/dev/tcp`, an HTTP/1.0 GET on localhost, success only
 * when the status line says 200 (Keycloak answers 503 while starting).
 */
export function bashHttpProbe(port: number, path: string): string {
  return (
    `exec 3<>/dev/tcp/127.0.0.1/${port} && ` +
    `printf 'GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && ` +
    `IFS= read -r -t 5 status <&3 && [[ "$status" == HTTP/1.?" 200"* ]]`
  );
}

/** Keycloak's readiness on its management port. */
export function keycloakReadyProbe(port: number = KEYCLOAK_DEFAULTS.managementPort): string {
  return bashHttpProbe(port, "/health/ready");
}

/**
 * Keycloak — the deployment's single sign-on server (`socle:apps:Keycloak`),
 * one per deployment, on the platform's shared PostgreSQL.
 *
 * Children: `${name}-db` (PostgresDatabase `keycloak`), `${name}-admin`
 * (RandomPassword, the bootstrap admin), `${name}-image`, `${name}-app`
 * (container `socle-keycloak` on socle-web + socle-backend, which no tenant's
 * container joins; trusts X-Forwarded-* from the proxy's address only; `start`,
 * waits for `/health/ready`), `${name}-provider` (@pulumi/keycloak provider on the
 * public URL, logged in as the bootstrap admin through `admin-cli`; it depends
 * on the container so realms are created once Keycloak is ready).
 *
 * Realms and clients are NOT imported from JSON: they are `KeycloakRealm` and
 * `OidcClient` resources over `provider` (see docs/components/keycloak.md).
 */
export class Keycloak extends pulumi.ComponentResource {
  readonly url: string;
  readonly routes: Route[];
  readonly provider: keycloak.Provider;
  readonly adminUser: string;
  readonly adminPassword: pulumi.Output<string>;
  readonly memoryMb: number;
  readonly version: string;
  readonly containerName: string;

  constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
    validateKeycloakArgs(args);
    super("socle:apps:Keycloak", name, {}, opts);
    const d = KEYCLOAK_DEFAULTS;
    const platform = args.platform;
    this.version = args.version ?? d.version;
    this.memoryMb = memoryMbFor(args);
    this.url = `https://${args.domain}`;
    this.adminUser = d.adminUser;
    this.containerName = d.containerName;

    const db = new PostgresDatabase(
      `${name}-db`,
      { server: platform.postgres, database: d.database, tenant: d.tenant, service: d.service },
      { parent: this },
    );
    this.adminPassword = generatedPassword(`${name}-admin`, this);

    const image = pullImage(`${name}-image`, platform.host, imageRef("keycloak", this.version), {
      parent: this,
    });
    const container = serviceContainer(
      `${name}-app`,
      {
        host: platform.host,
        containerName: d.containerName,
        image,
        memoryMb: this.memoryMb,
        labels: {
          tenant: d.tenant,
          service: d.service,
          role: "app",
          version: this.version,
          dump: { engine: "postgres", database: db.database },
          dumpContainer: platform.postgres.containerName,
          health: `http:${d.managementPort}/health/ready`,
        },
        envs: [
          "KC_DB=postgres",
          `KC_DB_URL=jdbc:postgresql://${db.host}:${db.port}/${db.database}`,
          `KC_DB_USERNAME=${db.user}`,
          pulumi.interpolate`KC_DB_PASSWORD=${db.password}`,
          `KC_HOSTNAME=${this.url}`,
          "KC_PROXY_HEADERS=xforwarded",
          // X-Forwarded-* only from the proxy (its static address on socle-web), from nobody else.
          `KC_PROXY_TRUSTED_ADDRESSES=${platform.proxyAddress}`,
          "KC_HTTP_ENABLED=true",
          "KC_HEALTH_ENABLED=true",
          `KC_BOOTSTRAP_ADMIN_USERNAME=${this.adminUser}`,
          pulumi.interpolate`KC_BOOTSTRAP_ADMIN_PASSWORD=${this.adminPassword}`,
          `JAVA_OPTS_KC_HEAP=${d.heap}`,
        ],
        networks: [{ network: platform.web, aliases: [d.alias] }, { network: platform.backend }],
        command: ["start"],
        healthcheck: {
          tests: ["CMD", "bash", "-c", keycloakReadyProbe()],
          interval: "15s",
          retries: 10,
          startPeriod: "120s",
        },
      },
      { parent: this, dependsOn: [db.ready] },
    );

    this.provider = new keycloak.Provider(
      `${name}-provider`,
      {
        url: this.url,
        realm: "master",
        clientId: "admin-cli",
        username: this.adminUser,
        password: this.adminPassword,
        initialLogin: false,
        clientTimeout: 60,
        // *.localhost is served with Caddy's internal CA, unknown to the provider.
        ...(isLocalHost(args.domain) ? { tlsInsecureSkipVerify: true } : {}),
      },
      { parent: this, dependsOn: [container] },
    );

    this.routes = [
      {
        host: args.domain,
        upstream: `${d.containerName}:${d.httpPort}`,
        tenant: d.tenant,
        service: d.service,
      },
    ];
    this.registerOutputs({ url: this.url, adminUser: this.adminUser, adminPassword: this.adminPassword });
  }
}
