import * as pulumi from "@pulumi/pulumi";
import {
  renderWordpressConfigExtra,
  renderWordpressMuPlugin,
  validateWordpressMuPluginArgs,
  WORDPRESS_MU_PLUGIN_PATH,
} from "../../templates/wordpress-config.js";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import { MariadbDatabase } from "../platform/mariadb-database.js";
import type { Platform } from "../platform/platform.js";
import type { Route } from "../platform/route.js";
import { imageRef, pinned } from "../versions.js";
import { generatedPassword } from "../platform/password.js";
import type { KeycloakRealm } from "./keycloak-realm.js";
import { OidcClient } from "./oidc-client.js";
import { HOST_RE, MAX_SQL_IDENTIFIER, SLUG_RE } from "../../templates/checks.js";
import { wordpressNames, wordpressService } from "../names.js";

/** The eight keys and salts of wp-config.php, as the image's env var names. */
export const WORDPRESS_SALT_ENVS = [
  "WORDPRESS_AUTH_KEY",
  "WORDPRESS_SECURE_AUTH_KEY",
  "WORDPRESS_LOGGED_IN_KEY",
  "WORDPRESS_NONCE_KEY",
  "WORDPRESS_AUTH_SALT",
  "WORDPRESS_SECURE_AUTH_SALT",
  "WORDPRESS_LOGGED_IN_SALT",
  "WORDPRESS_NONCE_SALT",
] as const;

export const WORDPRESS_DEFAULTS = {
  memoryMb: 256,
  tablePrefix: "wp_",
  loginType: "button" as "button" | "auto",
  maxBodySize: "64MB",
  callbackPath: "/wp-admin/admin-ajax.php?action=openid-connect-authorize",
  oidcSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
  /** openid-connect-generic on wordpress.org (pinned zip) and its main file. */
  oidcPluginZip: "https://downloads.wordpress.org/plugin/daggerhart-openid-connect-generic.3.10.0.zip",
  oidcPluginFile: "daggerhart-openid-connect-generic/openid-connect-generic.php",
  /** PHP + database, served over plain HTTP without the https redirect of wp-login.php. */
  healthPath: "/wp-admin/install.php",
} as const;

export interface WordPressSiteArgs {
  tenant: string;
  /** The association's slug (`club-echecs`). */
  site: string;
  /** Site title (used by the automatic install). */
  title: string;
  /** The association's admin email: gets the administrator role on SSO login. */
  admin: string;
  /** FQDN served, `<site>.assos.<tenant domain>` (see `wordpressSiteDomain`). */
  domain: string;
  platform: Platform;
  realm?: KeycloakRealm;
  /** `button` (default) or `auto` (straight to the realm). */
  loginType?: "button" | "auto";
  tablePrefix?: string;
  version?: string;
  /** Default 256. */
  memoryMb?: number;
}

/** `<site>.assos.<tenant domain>`: the default FQDN of an association's site. */
export function wordpressSiteDomain(site: string, tenantDomain: string): string {
  return `${site}.assos.${tenantDomain}`;
}

/** MariaDB database (and user) name: `<tenant>_assos_<site>`, dashes as underscores (components/names.ts). */
export function wordpressDatabaseName(tenant: string, site: string): string {
  return wordpressNames(tenant, site).database;
}

/** Pure validation; exact messages, before any child exists. */
export function validateWordPressSiteArgs(args: Omit<WordPressSiteArgs, "platform" | "realm">): void {
  if (!SLUG_RE.test(args.tenant)) throw new Error(`WordPressSite: tenant "${args.tenant}" is not a slug`);
  if (!SLUG_RE.test(args.site))
    throw new Error(`WordPressSite ${args.tenant}: site "${args.site}" is not a slug`);
  const who = `WordPressSite ${args.tenant}/${args.site}`;
  if (!HOST_RE.test(args.domain))
    throw new Error(`${who}: domain "${args.domain}" is not a lower-case domain name`);
  const db = wordpressDatabaseName(args.tenant, args.site);
  if (db.length > MAX_SQL_IDENTIFIER)
    throw new Error(`${who}: database name "${db}" is longer than ${MAX_SQL_IDENTIFIER} characters`);
  if (args.tablePrefix !== undefined && !/^[A-Za-z0-9_]{1,20}$/.test(args.tablePrefix)) {
    throw new Error(`${who}: tablePrefix "${args.tablePrefix}" must match [A-Za-z0-9_]{1,20}`);
  }
  if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 128)) {
    throw new Error(`${who}: memoryMb must be an integer >= 128, got ${args.memoryMb}`);
  }
  try {
    validateWordpressMuPluginArgs({
      adminEmail: args.admin,
      title: args.title,
      adminLogin: `admin-${args.site}`,
      pluginZipUrl: WORDPRESS_DEFAULTS.oidcPluginZip,
      pluginFile: WORDPRESS_DEFAULTS.oidcPluginFile,
    });
  } catch (e) {
    throw new Error(
      `${who}: ${(e as Error).message.replace(/^wordpress mu-plugin: (adminEmail)?/, (_m, a?: string) => (a ? "admin" : ""))}`,
      { cause: e },
    );
  }
}

/** Declared memory, MiB, before anything is declared (placement). */
export function memoryMbFor(args: Pick<WordPressSiteArgs, "memoryMb">): number {
  return args.memoryMb ?? WORDPRESS_DEFAULTS.memoryMb;
}

/**
 * WordPressSite — one association's site (`socle:apps:WordPressSite`).
 *
 * One container per site (`<tenant>-assos-<site>`, official image, memory
 * limit), its own database and user on the host's MariaDB, the `/var/www/html`
 * volume (core, wp-content, wp-config.php), generated keys and salts,
 * `WORDPRESS_CONFIG_EXTRA` and the `socle.php` mu-plugin from
 * templates/wordpress-config.ts (automatic install, auto-updates,
 * openid-connect-generic against the tenant's realm, admin role for the
 * association's email). Backups: `mariadb-dump` in `socle-mariadb` + the
 * volume; `socle export-site` reads the same labels.
 *
 * Children: `${name}-db`, `${name}-<key|salt>` ×8, `${name}-oidc` (with a
 * realm), `${name}-image`, `${name}-html`, `${name}-app`.
 */
export class WordPressSite extends pulumi.ComponentResource {
  readonly url: string;
  readonly routes: Route[];
  readonly memoryMb: number;
  readonly containerName: string;
  readonly volumeName: string;
  readonly service: string;
  readonly database: MariadbDatabase;
  readonly oidc?: OidcClient;
  readonly redirectUri: string;

  constructor(name: string, args: WordPressSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    validateWordPressSiteArgs(args);
    super("socle:apps:WordPressSite", name, {}, opts);
    const { tenant, site, domain, platform } = args;
    const host = platform.host;
    const version = args.version ?? pinned("wordpress");
    this.url = `https://${domain}`;
    this.redirectUri = `${this.url}${WORDPRESS_DEFAULTS.callbackPath}`;
    const names = wordpressNames(tenant, site);
    this.containerName = names.app;
    this.volumeName = names.html;
    this.service = wordpressService(site);
    this.memoryMb = memoryMbFor(args);

    const nets = platform.tenantNetworks(tenant);
    this.database = new MariadbDatabase(
      `${name}-db`,
      {
        server: platform.mariadb,
        database: wordpressDatabaseName(tenant, site),
        tenant,
        service: this.service,
        network: nets.database(platform.mariadb),
      },
      { parent: this },
    );

    if (args.realm) {
      this.oidc = new OidcClient(
        `${name}-oidc`,
        {
          realm: args.realm,
          clientId: this.service,
          rootUrl: this.url,
          redirectUris: [this.redirectUri],
          postLogoutRedirectUris: [`${this.url}/`],
        },
        { parent: this },
      );
    }

    const env: Record<string, pulumi.Input<string>> = {
      WORDPRESS_DB_HOST: `${this.database.host}:${this.database.port}`,
      WORDPRESS_DB_NAME: this.database.database,
      WORDPRESS_DB_PASSWORD: pulumi.secret(this.database.password),
      WORDPRESS_DB_USER: this.database.user,
      WORDPRESS_TABLE_PREFIX: args.tablePrefix ?? WORDPRESS_DEFAULTS.tablePrefix,
      WORDPRESS_CONFIG_EXTRA: renderWordpressConfigExtra({
        siteUrl: this.url,
        ...(this.oidc && args.realm
          ? {
              oidc: {
                issuerUrl: args.realm.issuerUrl,
                clientId: this.oidc.clientId,
                clientSecretEnv: WORDPRESS_DEFAULTS.oidcSecretEnv,
                loginType: args.loginType ?? WORDPRESS_DEFAULTS.loginType,
              },
            }
          : {}),
      }),
    };
    for (const key of WORDPRESS_SALT_ENVS) {
      const child = key
        .replace(/^WORDPRESS_/, "")
        .toLowerCase()
        .replace(/_/g, "-");
      env[key] = generatedPassword(`${name}-${child}`, this, 64);
    }
    if (this.oidc) env[WORDPRESS_DEFAULTS.oidcSecretEnv] = pulumi.secret(this.oidc.clientSecret);
    const envs = Object.keys(env)
      .sort()
      .map((k) => pulumi.interpolate`${k}=${env[k]!}`);

    const image = pullImage(`${name}-image`, host, imageRef("wordpress", version), { parent: this });
    const html = stateVolume(`${name}-html`, host, this.volumeName, tenant, { parent: this });
    serviceContainer(
      `${name}-app`,
      {
        host,
        containerName: this.containerName,
        image,
        memoryMb: this.memoryMb,
        labels: {
          tenant,
          service: this.service,
          role: "app",
          version,
          volumes: [this.volumeName],
          dump: { engine: "mariadb", database: this.database.database },
          dumpContainer: platform.mariadb.containerName,
          health: `http:80${WORDPRESS_DEFAULTS.healthPath}`,
        },
        envs,
        networks: [{ network: nets.web }, { network: nets.back }],
        volumes: [{ volume: html, containerPath: "/var/www/html" }],
        uploads: [
          {
            file: WORDPRESS_MU_PLUGIN_PATH,
            content: renderWordpressMuPlugin({
              adminEmail: args.admin,
              title: args.title,
              adminLogin: `admin-${site}`,
              pluginZipUrl: WORDPRESS_DEFAULTS.oidcPluginZip,
              pluginFile: WORDPRESS_DEFAULTS.oidcPluginFile,
            }),
          },
        ],
        healthcheck: {
          tests: [
            "CMD",
            "curl",
            "-fsS",
            "-o",
            "/dev/null",
            `http://127.0.0.1${WORDPRESS_DEFAULTS.healthPath}`,
          ],
          startPeriod: "120s",
        },
      },
      { parent: this, dependsOn: [this.database.ready] },
    );

    this.routes = [
      {
        host: domain,
        upstream: `${this.containerName}:80`,
        tenant,
        service: this.service,
        maxBodySize: WORDPRESS_DEFAULTS.maxBodySize,
      },
    ];
    this.registerOutputs({ url: this.url, redirectUri: this.redirectUri });
  }
}
