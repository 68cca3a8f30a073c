import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import { serviceDatabase } from "../labels.js";
import type { Platform } from "../platform/platform.js";
import { PostgresDatabase } from "../platform/postgres-database.js";
import { Redis } from "../platform/redis.js";
import { isLocalHost, type Route } from "../platform/route.js";
import { imageRef, pinned, versionProblem } from "../versions.js";
import { nextcloudNames } from "../names.js";
import { generatedPassword } from "../platform/password.js";
import {
  NEXTCLOUD_HOOK_PATHS,
  OIDC_SECRET_ENV,
  renderNextcloudHook,
} from "../../templates/nextcloud-hooks.js";
import { Collabora, memoryMbFor as collaboraMemoryMbFor } from "./collabora.js";
import { declareNextcloudFederationJob } from "./nextcloud-federation.js";
import type { KeycloakRealm } from "./keycloak-realm.js";
import { OidcClient } from "./oidc-client.js";
import { HOST_RE, SLUG_RE } from "../../templates/checks.js";

export const NEXTCLOUD_DEFAULTS = {
  version: pinned("nextcloud"),
  memoryMb: { app: 1024, cron: 512, redis: 128 },
  service: "nextcloud",
  adminUser: "admin",
  clientId: "nextcloud",
  oidcProvider: "keycloak",
  phoneRegion: "FR",
  maxBodySize: "10GB",
  phpUploadLimit: "10G",
  www: "/var/www/html",
} as const;

const OCC = `runuser -u www-data -- php ${NEXTCLOUD_DEFAULTS.www}/occ`;

/** Backup hooks (label contract), run as root in the app container by the scripts. */
export const NEXTCLOUD_BACKUP = {
  pre: `${OCC} maintenance:mode --on`,
  post: `${OCC} maintenance:mode --off`,
  /** The restored config.php was saved in maintenance mode: fingerprint, then back on line. */
  restorePost: `${OCC} maintenance:data-fingerprint && ${OCC} maintenance:mode --off`,
} as const;

/** status.php answers 200 even in maintenance: read its fields (php is in the image). No single quote. */
export function nextcloudHealthPhp(statusUrl = "http://localhost/status.php"): string {
  return (
    `$s=json_decode((string)@file_get_contents("${statusUrl}"),true);` +
    'exit(is_array($s)&&($s["installed"]??null)===true&&($s["maintenance"]??null)===false?0:1);'
  );
}
export const NEXTCLOUD_HEALTH_PHP = nextcloudHealthPhp();

export interface NextcloudArgs {
  tenant: string;
  /** The FQDN Nextcloud serves (`cloud.…`). */
  domain: string;
  platform: Platform;
  version?: string;
  memoryMb?: { app?: number; cron?: number; redis?: number };
  /** Its Redis's version; default the catalogue's pin (`socle:versions.redis`). */
  redisVersion?: string;
  /** SSO: an OIDC client in this realm, `user_oidc` pointed at it. */
  realm?: KeycloakRealm;
  /**
   * Collabora Online: `false` turns it off; default one Collabora on
   * `office.<domain without its first label>`.
   */
  office?: false | { domain?: string; version?: string; memoryMb?: number };
  /**
   * Nextcloud servers trusted for federation (EPCI members), set by the one-shot
   * job `<tenant>-nextcloud-federation`, never by the app container (a town
   * joining the EPCI then replaces only that job). Empty or absent: no job.
   */
  federation?: { trustedServers: string[] };
  /**
   * Override `TRUSTED_PROXIES` (who may set X-Forwarded-For). Default: the proxy's
   * static address on the tenant's web network, and nothing else.
   */
  trustedProxies?: string[];
}

/** `cloud.demo.localhost` → `office.demo.localhost`. */
export function defaultOfficeDomain(domain: string): string {
  return `office.${domain.slice(domain.indexOf(".") + 1)}`;
}

export function validateNextcloudArgs(args: Omit<NextcloudArgs, "platform" | "realm">): void {
  if (!SLUG_RE.test(args.tenant)) {
    throw new Error(`Nextcloud: tenant "${args.tenant}" is not a slug ([a-z0-9-])`);
  }
  const who = `Nextcloud ${args.tenant}`;
  if (!HOST_RE.test(args.domain) || args.domain.split(".").length < 3) {
    throw new Error(`${who}: domain "${args.domain}" must be a sub-domain like cloud.<town domain>`);
  }
  if (args.version !== undefined && versionProblem("nextcloud", args.version) !== undefined) {
    throw new Error(`${who}: version "${args.version}" is not x.y.z`);
  }
  for (const [part, mb] of Object.entries(args.memoryMb ?? {})) {
    if (mb !== undefined && (!Number.isInteger(mb) || mb <= 0)) {
      throw new Error(`${who}: memoryMb.${part} must be a positive integer, got ${mb}`);
    }
  }
  for (const s of args.federation?.trustedServers ?? []) {
    if (!/^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/\S*)?$/.test(s)) {
      throw new Error(`${who}: federation.trustedServers: "${s}" is not an https URL`);
    }
  }
  for (const p of args.trustedProxies ?? []) {
    if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(p))
      throw new Error(`${who}: trustedProxies: "${p}" is not an IP or CIDR`);
  }
}

/** Declared memory (app + cron + redis + Collabora unless `office: false`), before declaring anything. */
export function memoryMbFor(args: Pick<NextcloudArgs, "memoryMb" | "office">): number {
  const m = { ...NEXTCLOUD_DEFAULTS.memoryMb, ...definedOnly(args.memoryMb ?? {}) };
  const office = args.office === false ? 0 : collaboraMemoryMbFor(args.office ?? {});
  return m.app + m.cron + m.redis + office;
}

/**
 * Nextcloud — one tenant's Nextcloud (`socle:apps:Nextcloud`): the official
 * apache image, its database on the shared PostgreSQL, its own Redis on the
 * tenant network, a cron container on the same volumes, Collabora (unless
 * `office: false`) and, with a realm, single sign-on through `user_oidc`.
 *
 * Configuration is applied by the image's entrypoint hooks (templates/
 * nextcloud-hooks.ts), after installation and before every start. The
 * trusted federation servers are not: a one-shot job on the same image and
 * volumes sets them (components/apps/nextcloud-federation.ts), so the app
 * container's inputs do not depend on the other towns of an EPCI.
 *
 * Children: `${name}-db`, `${name}-redis`, `${name}-admin`, `${name}-image`,
 * `${name}-html`, `${name}-data` (volumes `<tenant>-nextcloud-html|data`),
 * `${name}-app` (`<tenant>-nextcloud`), `${name}-cron` (`<tenant>-nextcloud-cron`),
 * `${name}-federation` (`<tenant>-nextcloud-federation`, one-shot, with trusted servers),
 * `${name}-oidc` (OidcClient, with a realm), `${name}-office` (Collabora).
 */
export class Nextcloud extends pulumi.ComponentResource {
  readonly url: string;
  readonly routes: Route[];
  readonly memoryMb: number;
  readonly adminUser: string;
  readonly adminPassword: pulumi.Output<string>;
  readonly containerName: string;
  readonly collabora?: Collabora;
  readonly oidc?: OidcClient;
  /** The one-shot job setting the trusted servers (with `federation`); `applied` fails on a non-zero exit. */
  readonly federation?: { job: docker.Container; applied: pulumi.Output<boolean> };

  constructor(name: string, args: NextcloudArgs, opts?: pulumi.ComponentResourceOptions) {
    validateNextcloudArgs(args);
    super("socle:apps:Nextcloud", name, {}, opts);
    const d = NEXTCLOUD_DEFAULTS;
    const { platform, tenant } = args;
    const version = args.version ?? d.version;
    const mem = { ...d.memoryMb, ...definedOnly(args.memoryMb ?? {}) };
    this.url = `https://${args.domain}`;
    this.memoryMb = memoryMbFor(args);
    this.adminUser = d.adminUser;
    const names = nextcloudNames(tenant);
    this.containerName = names.app;
    const c = this.containerName;

    if (args.office !== false) {
      const office = args.office ?? {};
      this.collabora = new Collabora(
        `${name}-office`,
        {
          tenant,
          domain: office.domain ?? defaultOfficeDomain(args.domain),
          platform,
          nextcloudUrl: this.url,
          ...(office.version !== undefined ? { version: office.version } : {}),
          ...(office.memoryMb !== undefined ? { memoryMb: office.memoryMb } : {}),
        },
        { parent: this },
      );
    }
    if (args.realm) {
      this.oidc = new OidcClient(
        `${name}-oidc`,
        {
          realm: args.realm,
          clientId: d.clientId,
          rootUrl: this.url,
          redirectUris: [`${this.url}/apps/user_oidc/code`],
          // The `groups` claim carries this client's roles; the realm's `admins`
          // hold `admin`, which is Nextcloud's admin group (user_oidc, --unique-uid=0).
          roles: [{ name: "admin", admins: true }],
          groupsClaim: "clientRoles",
        },
        { parent: this },
      );
    }

    const nets = platform.tenantNetworks(tenant);
    const db = new PostgresDatabase(
      `${name}-db`,
      {
        server: platform.postgres,
        database: serviceDatabase(tenant, d.service),
        tenant,
        service: d.service,
        network: nets.database(platform.postgres),
      },
      { parent: this },
    );
    const redis = new Redis(
      `${name}-redis`,
      {
        host: platform.host,
        network: nets.back,
        tenant,
        service: d.service,
        containerName: names.redis,
        memoryMb: mem.redis,
        ...(args.redisVersion ? { version: args.redisVersion } : {}),
      },
      { parent: this },
    );
    this.adminPassword = generatedPassword(`${name}-admin`, this);

    // Only the proxy may say who the client is (X-Forwarded-For); WOPI calls come from
    // Collabora through the proxy, so the allowlist is the tenant's web subnet.
    const proxies: pulumi.Output<string[]> = args.trustedProxies
      ? pulumi.output([...args.trustedProxies])
      : nets.proxyAddress.apply((a) => [a]);

    const hook = nets.webSubnet.apply((allow) =>
      renderNextcloudHook({
        url: this.url,
        phoneRegion: d.phoneRegion,
        ...(isLocalHost(args.domain) ? { insecureTls: true } : {}),
        ...(this.collabora ? { office: { wopiUrl: this.collabora.url, wopiAllowlist: [allow] } } : {}),
        ...(this.oidc
          ? {
              oidc: {
                provider: d.oidcProvider,
                clientId: this.oidc.clientId,
                discoveryUri: this.oidc.discoveryUrl,
              },
            }
          : {}),
      }),
    );

    const image = pullImage(`${name}-image`, platform.host, imageRef("nextcloud", version), { parent: this });
    const html = stateVolume(`${name}-html`, platform.host, names.html, tenant, { parent: this });
    const data = stateVolume(`${name}-data`, platform.host, names.data, tenant, { parent: this });
    const volumes = [
      { volume: html, containerPath: d.www },
      { volume: data, containerPath: `${d.www}/data` },
    ];
    const networks = [{ network: nets.web }, { network: nets.back }];
    // What both containers need at run time (the image's config/*.config.php read these on every request).
    const runtimeEnvs: pulumi.Input<string>[] = [
      `POSTGRES_HOST=${db.host}:${db.port}`,
      `POSTGRES_DB=${db.database}`,
      `POSTGRES_USER=${db.user}`,
      pulumi.interpolate`POSTGRES_PASSWORD=${db.password}`,
      `REDIS_HOST=${redis.host}`,
      `REDIS_HOST_PORT=${redis.port}`,
      pulumi.interpolate`REDIS_HOST_PASSWORD=${redis.password}`,
      `NEXTCLOUD_TRUSTED_DOMAINS=${args.domain}`,
      pulumi.interpolate`TRUSTED_PROXIES=${proxies.apply((p) => p.join(" "))}`,
      "OVERWRITEPROTOCOL=https",
      `OVERWRITEHOST=${args.domain}`,
      `OVERWRITECLIURL=${this.url}`,
      "APACHE_DISABLE_REWRITE_IP=1",
      `PHP_UPLOAD_LIMIT=${d.phpUploadLimit}`,
    ];
    const appEnvs: pulumi.Input<string>[] = [
      ...runtimeEnvs,
      `NEXTCLOUD_ADMIN_USER=${this.adminUser}`,
      pulumi.interpolate`NEXTCLOUD_ADMIN_PASSWORD=${this.adminPassword}`,
      ...(this.oidc ? [pulumi.interpolate`${OIDC_SECRET_ENV}=${this.oidc.clientSecret}`] : []),
    ];

    const app = serviceContainer(
      `${name}-app`,
      {
        host: platform.host,
        containerName: c,
        image,
        memoryMb: mem.app,
        labels: {
          tenant,
          service: d.service,
          role: "app",
          version,
          volumes: [names.html, names.data],
          dump: { engine: "postgres", database: db.database },
          dumpContainer: platform.postgres.containerName,
          pre: NEXTCLOUD_BACKUP.pre,
          post: NEXTCLOUD_BACKUP.post,
          restorePost: NEXTCLOUD_BACKUP.restorePost,
          health: `cmd:php -r '${NEXTCLOUD_HEALTH_PHP}'`,
        },
        envs: appEnvs,
        networks,
        volumes,
        uploads: NEXTCLOUD_HOOK_PATHS.map((file) => ({ file, content: hook, executable: true })),
        healthcheck: { tests: ["CMD", "php", "-r", NEXTCLOUD_HEALTH_PHP], startPeriod: "300s", retries: 10 },
      },
      { parent: this, dependsOn: [db.ready, redis.container] },
    );
    serviceContainer(
      `${name}-cron`,
      {
        host: platform.host,
        containerName: names.cron,
        image,
        memoryMb: mem.cron,
        labels: { tenant, service: d.service, role: "app", version },
        envs: runtimeEnvs,
        networks,
        volumes,
        entrypoints: ["/cron.sh"],
      },
      { parent: this, dependsOn: [db.ready, redis.container] },
    );
    const trusted = args.federation?.trustedServers ?? [];
    if (trusted.length > 0) {
      this.federation = declareNextcloudFederationJob(
        `${name}-federation`,
        {
          host: platform.host,
          tenant,
          containerName: names.federation,
          url: this.url,
          trustedServers: trusted,
          image,
          volumes,
          networks,
          envs: runtimeEnvs,
          app,
        },
        { parent: this },
      );
    }

    this.routes = [
      {
        host: args.domain,
        upstream: `${c}:80`,
        tenant,
        service: d.service,
        redirects: [
          { from: "/.well-known/carddav", to: "/remote.php/dav" },
          { from: "/.well-known/caldav", to: "/remote.php/dav" },
        ],
        maxBodySize: d.maxBodySize,
      },
      ...(this.collabora?.routes ?? []),
    ];
    this.registerOutputs({
      url: this.url,
      adminUser: this.adminUser,
      adminPassword: this.adminPassword,
      ...(this.federation ? { federationApplied: this.federation.applied } : {}),
    });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
