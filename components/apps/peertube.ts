import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  FEDERATION_DEFAULTS,
  PEERTUBE_FILES,
  renderPeertubeConfigure,
  renderPeertubeEntrypoint,
  renderPeertubeLocalConfig,
  validatePeertubeFederation,
  type PeertubeFederation,
} from "../../templates/peertube-config.js";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import { serviceDatabase } from "../labels.js";
import type { Platform } from "../platform/platform.js";
import { PostgresDatabase } from "../platform/postgres-database.js";
import { Redis } from "../platform/redis.js";
import type { Route } from "../platform/route.js";
import { imageRef, pinned } from "../versions.js";
import { generatedPassword } from "../platform/password.js";
import type { KeycloakRealm } from "./keycloak-realm.js";
import { declarePeertubeFollowJob } from "./peertube-follow.js";
import { OidcClient } from "./oidc-client.js";
import { HOST_RE, SLUG_RE, isDisplayText, isEmail } from "../../templates/checks.js";
import { peertubeNames } from "../names.js";
import { checkPeertubeHostname } from "./peertube-hostname.js";

export { checkPeertubeHostname };

export const PEERTUBE_DEFAULTS = {
  memoryMb: 2048,
  redisMemoryMb: 128,
  port: 9000,
  /** Uploads of whole council meetings. */
  maxBodySize: "10GB",
  extensions: ["pg_trgm", "unaccent"],
  adminUser: "root",
  oidcDisplayName: "Connexion unique",
  callbackPath: "/plugins/auth-openid-connect/router/code-cb",
  /** Env var of the OIDC client secret (read by /socle/configure.sh). */
  oidcSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
  /** The stack output the composition exports (tenant → hostname) and reads back. */
  hostnamesOutput: "peertubeHostnames",
} as const;

export interface PeerTubeArgs {
  /** Tenant slug (labels, container names, database name). */
  tenant: string;
  /** FQDN served, `video.<tenant domain>`. Can never change after the first start. */
  domain: string;
  platform: Platform;
  /** Admin contact (`PEERTUBE_ADMIN_EMAIL`). */
  adminEmail: string;
  /**
   * The hostname this instance was deployed with before (the composition reads
   * it from the stack's own previous outputs, see `previousPeertubeHostnames`).
   * A different `domain` is refused before anything changes.
   */
  previousHostname?: pulumi.Input<string | undefined>;
  realm?: KeycloakRealm;
  /** SMTP relay, normally the tenant's mail server. Absent: PeerTube sends no mail. */
  smtp?: {
    host: string;
    port: number;
    from: string;
    tls?: boolean;
    username?: string;
    password?: pulumi.Input<string>;
  };
  /** `/config/local-production.yaml`; `follow` goes to the job `<tenant>-peertube-follow`. */
  federation?: PeertubeFederation;
  /** `PEERTUBE_TRUST_PROXY` entries; default: loopback + the proxy's address on the tenant's web network. */
  trustProxy?: string[];
  instanceName?: string;
  /** Pin of peertube-plugin-auth-openid-connect; default: newest compatible at first install. */
  oidcPluginVersion?: string;
  version?: string;
  memoryMb?: number;
  redisMemoryMb?: number;
  /** Its Redis's version; default the catalogue's pin (`socle:versions.redis`). */
  redisVersion?: string;
}

/** `video.<tenant domain>`: the default FQDN the composition gives PeerTube. */
export function peertubeDomain(tenantDomain: string): string {
  return `video.${tenantDomain}`;
}

/** Pure validation; exact messages, before any child exists. */
export function validatePeerTubeArgs(
  args: Omit<PeerTubeArgs, "platform" | "realm" | "previousHostname">,
): void {
  if (!SLUG_RE.test(args.tenant)) throw new Error(`PeerTube: tenant "${args.tenant}" is not a slug`);
  const who = `PeerTube ${args.tenant}`;
  if (!HOST_RE.test(args.domain))
    throw new Error(`${who}: domain "${args.domain}" is not a lower-case domain name`);
  if (!isEmail(args.adminEmail)) throw new Error(`${who}: adminEmail "${args.adminEmail}" is not an email`);
  if (args.smtp) {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(args.smtp.host)) {
      throw new Error(`${who}: smtp.host "${args.smtp.host}" is not a host name`);
    }
    if (!Number.isInteger(args.smtp.port) || args.smtp.port < 1 || args.smtp.port > 65535) {
      throw new Error(`${who}: smtp.port ${args.smtp.port} is not a port`);
    }
    if (!isEmail(args.smtp.from)) throw new Error(`${who}: smtp.from "${args.smtp.from}" is not an email`);
  }
  const name = args.instanceName;
  if (name !== undefined && !isDisplayText(name))
    throw new Error(`${who}: instanceName ${JSON.stringify(name)} is not text`);
  if (args.federation) validatePeertubeFederation(args.federation, args.domain);
  for (const [k, v] of [
    ["memoryMb", args.memoryMb],
    ["redisMemoryMb", args.redisMemoryMb],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 64)) {
      throw new Error(`${who}: ${k} must be an integer >= 64, got ${v}`);
    }
  }
}

/** Declared memory, MiB, before anything is declared (placement). */
export function memoryMbFor(args: Pick<PeerTubeArgs, "memoryMb" | "redisMemoryMb">): number {
  return (
    (args.memoryMb ?? PEERTUBE_DEFAULTS.memoryMb) + (args.redisMemoryMb ?? PEERTUBE_DEFAULTS.redisMemoryMb)
  );
}

/**
 * For the composition: the tenant → hostname map this stack exported at its
 * previous update (output `peertubeHostnames`), read back through a
 * StackReference to the stack itself. Empty on a first deployment.
 */
export function previousPeertubeHostnames(
  outputName: string = PEERTUBE_DEFAULTS.hostnamesOutput,
  opts?: pulumi.CustomResourceOptions,
): pulumi.Output<Record<string, string>> {
  const self = new pulumi.StackReference(
    `socle-self-${outputName}`,
    { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` },
    opts,
  );
  return self.getOutput(outputName).apply((v) => (v ?? {}) as Record<string, string>);
}

/**
 * PeerTube — one video instance (`socle:apps:PeerTube`).
 *
 * Official image (catalogue pin), its own database on the shared PostgreSQL
 * (extensions `pg_trgm`, `unaccent`), its own Redis on the tenant's back-end
 * network (`noeviction`: BullMQ job queues), volumes `/data` and `/config`, federation
 * overrides in `/config/local-production.yaml`, and a configurator started by
 * a wrapper entrypoint that installs and configures `auth-openid-connect`
 * against the tenant's realm (see templates/peertube-config.ts). The follows
 * of `federation.follow` are requested by a one-shot job on the tenant's web network
 * (components/apps/peertube-follow.ts), not by the instance container. Health
 * `GET /api/v1/ping`. Backups: `pg_dump -Fc` in `socle-postgres`, `/data`, `/config`.
 *
 * Reusable as an EPCI-wide instance: nothing in it assumes one tenant per
 * instance but its labels and names (`tenant` may be the EPCI's slug).
 *
 * Children: `${name}-db`, `${name}-redis`, `${name}-secret`, `${name}-root-password`,
 * `${name}-oidc` (with a realm), `${name}-image`, `${name}-data`, `${name}-config`,
 * `${name}-app`, `${name}-follow` (`<tenant>-peertube-follow`, one-shot, when
 * `federation.follow` is not empty).
 */
export class PeerTube extends pulumi.ComponentResource {
  readonly url: string;
  /** Its tenant (the EPCI-wide instance's is `shared`): its networks are `tenantNetworks(tenant)`. */
  readonly tenant: string;
  /** The hostname actually deployed (fails when it differs from `previousHostname`). */
  readonly hostname: pulumi.Output<string>;
  readonly routes: Route[];
  readonly memoryMb: number;
  readonly adminUser: string = PEERTUBE_DEFAULTS.adminUser;
  /** Secret: root's initial password (PT_INITIAL_ROOT_PASSWORD). */
  readonly adminPassword: pulumi.Output<string>;
  readonly containerName: string;
  readonly database: PostgresDatabase;
  readonly redis: Redis;
  readonly oidc?: OidcClient;
  /** The one-shot job following `federation.follow` (when not empty); `applied` fails on a non-zero exit. */
  readonly follow?: { job: docker.Container; applied: pulumi.Output<boolean> };

  constructor(name: string, args: PeerTubeArgs, opts?: pulumi.ComponentResourceOptions) {
    validatePeerTubeArgs(args);
    const { tenant, domain } = args;
    if (args.previousHostname === undefined || typeof args.previousHostname === "string") {
      checkPeertubeHostname(tenant, domain, args.previousHostname);
    }
    super("socle:apps:PeerTube", name, {}, opts);
    const platform = args.platform;
    const host = platform.host;
    const version = args.version ?? pinned("peertube");
    this.url = `https://${domain}`;
    const names = peertubeNames(tenant);
    this.tenant = tenant;
    this.containerName = names.app;
    this.memoryMb = memoryMbFor(args);
    const federation = args.federation ?? FEDERATION_DEFAULTS;

    this.hostname = pulumi.output(args.previousHostname).apply((prev) => {
      checkPeertubeHostname(tenant, domain, prev);
      return domain;
    });

    const nets = platform.tenantNetworks(tenant);
    this.database = new PostgresDatabase(
      `${name}-db`,
      {
        server: platform.postgres,
        database: serviceDatabase(tenant, "peertube"),
        extensions: [...PEERTUBE_DEFAULTS.extensions],
        tenant,
        service: "peertube",
        network: nets.database(platform.postgres),
      },
      { parent: this },
    );
    this.redis = new Redis(
      `${name}-redis`,
      {
        host,
        network: nets.back,
        tenant,
        service: "peertube",
        containerName: names.redis,
        memoryMb: args.redisMemoryMb ?? PEERTUBE_DEFAULTS.redisMemoryMb,
        ...(args.redisVersion ? { version: args.redisVersion } : {}),
        maxmemoryPolicy: "noeviction",
      },
      { parent: this },
    );
    const secret = new random.RandomBytes(`${name}-secret`, { length: 32 }, { parent: this });
    this.adminPassword = generatedPassword(`${name}-root-password`, this);

    if (args.realm) {
      this.oidc = new OidcClient(
        `${name}-oidc`,
        {
          realm: args.realm,
          clientId: "peertube",
          rootUrl: this.url,
          redirectUris: [`${this.url}${PEERTUBE_DEFAULTS.callbackPath}`],
          postLogoutRedirectUris: [`${this.url}/`],
        },
        { parent: this },
      );
    }

    // Only the proxy (its static address on the tenant's web network) says who the client is.
    const trustProxy: pulumi.Output<string[]> = args.trustProxy
      ? pulumi.output([...args.trustProxy])
      : nets.proxyAddress.apply((a) => ["loopback", a]);

    const env: Record<string, pulumi.Input<string>> = {
      PEERTUBE_ADMIN_EMAIL: args.adminEmail,
      PEERTUBE_DB_HOSTNAME: this.database.host,
      PEERTUBE_DB_NAME: this.database.database,
      PEERTUBE_DB_PASSWORD: pulumi.secret(this.database.password),
      PEERTUBE_DB_PORT: String(this.database.port),
      PEERTUBE_DB_SSL: "false",
      PEERTUBE_DB_USERNAME: this.database.user,
      PEERTUBE_REDIS_AUTH: pulumi.secret(this.redis.password),
      PEERTUBE_REDIS_HOSTNAME: this.redis.host,
      PEERTUBE_REDIS_PORT: String(this.redis.port),
      PEERTUBE_SECRET: pulumi.secret(secret.hex),
      PEERTUBE_SIGNUP_ENABLED: "false",
      PEERTUBE_TRUST_PROXY: trustProxy.apply((t) => JSON.stringify(t)),
      PEERTUBE_WEBSERVER_HOSTNAME: this.hostname,
      PEERTUBE_WEBSERVER_HTTPS: "true",
      PEERTUBE_WEBSERVER_PORT: "443",
      PT_INITIAL_ROOT_PASSWORD: this.adminPassword,
    };
    if (args.instanceName !== undefined) env.PEERTUBE_INSTANCE_NAME = args.instanceName;
    if (args.smtp) {
      env.PEERTUBE_SMTP_HOSTNAME = args.smtp.host;
      env.PEERTUBE_SMTP_PORT = String(args.smtp.port);
      env.PEERTUBE_SMTP_FROM = args.smtp.from;
      env.PEERTUBE_SMTP_TLS = String(args.smtp.tls ?? false);
      env.PEERTUBE_SMTP_DISABLE_STARTTLS = "false";
      if (args.smtp.username !== undefined) env.PEERTUBE_SMTP_USERNAME = args.smtp.username;
      if (args.smtp.password !== undefined) env.PEERTUBE_SMTP_PASSWORD = pulumi.secret(args.smtp.password);
    }
    if (this.oidc) env[PEERTUBE_DEFAULTS.oidcSecretEnv] = pulumi.secret(this.oidc.clientSecret);
    const envs = Object.keys(env)
      .sort()
      .map((k) => pulumi.interpolate`${k}=${env[k]!}`);

    const configure = renderPeertubeConfigure({
      hostname: domain,
      clientSecretEnv: PEERTUBE_DEFAULTS.oidcSecretEnv,
      ...(this.oidc && args.realm
        ? {
            oidc: {
              discoveryUrl: args.realm.discoveryUrl,
              clientId: this.oidc.clientId,
              displayName: PEERTUBE_DEFAULTS.oidcDisplayName,
              ...(args.oidcPluginVersion !== undefined ? { pluginVersion: args.oidcPluginVersion } : {}),
            },
          }
        : {}),
    });

    const image = pullImage(`${name}-image`, host, imageRef("peertube", version), { parent: this });
    const dataName = names.data;
    const configName = names.config;
    const data = stateVolume(`${name}-data`, host, dataName, tenant, { parent: this });
    const config = stateVolume(`${name}-config`, host, configName, tenant, { parent: this });

    const app = serviceContainer(
      `${name}-app`,
      {
        host,
        containerName: this.containerName,
        image,
        memoryMb: args.memoryMb ?? PEERTUBE_DEFAULTS.memoryMb,
        labels: {
          tenant,
          service: "peertube",
          role: "app",
          version,
          volumes: [dataName, configName],
          dump: { engine: "postgres", database: this.database.database },
          dumpContainer: platform.postgres.containerName,
          health: `http:${PEERTUBE_DEFAULTS.port}/api/v1/ping`,
        },
        envs,
        networks: [{ network: nets.web }, { network: nets.back }],
        volumes: [
          { volume: data, containerPath: "/data" },
          { volume: config, containerPath: "/config" },
        ],
        uploads: [
          { file: PEERTUBE_FILES.localConfig, content: renderPeertubeLocalConfig(federation, domain) },
          { file: PEERTUBE_FILES.entrypoint, content: renderPeertubeEntrypoint(), executable: true },
          { file: PEERTUBE_FILES.configure, content: configure, executable: true },
        ],
        entrypoints: [PEERTUBE_FILES.entrypoint],
        command: ["node", "dist/server"],
        healthcheck: {
          tests: [
            "CMD",
            "curl",
            "-fsS",
            "-o",
            "/dev/null",
            `http://127.0.0.1:${PEERTUBE_DEFAULTS.port}/api/v1/ping`,
          ],
          startPeriod: "300s",
        },
      },
      { parent: this, dependsOn: [this.database.ready, this.redis.container] },
    );
    if (federation.follow.length > 0) {
      const instance = { containerName: this.containerName, hostname: domain, port: PEERTUBE_DEFAULTS.port };
      this.follow = declarePeertubeFollowJob(
        `${name}-follow`,
        {
          platform,
          tenant,
          instance,
          follow: federation.follow,
          image,
          rootPassword: this.adminPassword,
          app,
        },
        { parent: this },
      );
    }

    this.routes = [
      {
        host: domain,
        upstream: `${this.containerName}:${PEERTUBE_DEFAULTS.port}`,
        tenant,
        service: "peertube",
        maxBodySize: PEERTUBE_DEFAULTS.maxBodySize,
      },
    ];
    this.registerOutputs({
      url: this.url,
      hostname: this.hostname,
      adminPassword: this.adminPassword,
      ...(this.follow ? { followApplied: this.follow.applied } : {}),
    });
  }
}
