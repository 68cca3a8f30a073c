import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  renderSogoConf,
  sogoSupportsOidc,
  SOGO_CONF_DEFAULTS,
  type SogoMailServer,
} from "../../templates/sogo-conf.js";
import { serviceContainer, stateVolume } from "../container.js";
import { serviceDatabase } from "../labels.js";
import { Memcached } from "../platform/memcached.js";
import type { Platform } from "../platform/platform.js";
import { PostgresDatabase } from "../platform/postgres-database.js";
import type { Route } from "../platform/route.js";
import { isNumericVersion, pinned, VERSION_RULES } from "../versions.js";
import type { KeycloakRealm } from "./keycloak-realm.js";
import { OidcClient } from "./oidc-client.js";
import { SogoDirectory, SOGO_DIRECTORY_DEFAULTS } from "./sogo-directory.js";
import { buildSogoImage } from "./sogo-image.js";
import { HOST_RE, SLUG_RE } from "../../templates/checks.js";
import { sogoNames } from "../names.js";

export { sogoBuildContext, sogoContextHash } from "./sogo-image.js";

export type SogoSource = "alinto" | "debian";

export const SOGO_DEFAULTS = {
  /** sogod (3 workers). */
  memoryMb: 768,
  /** The front (Caddy: static files, x-webobjects headers). */
  webMemoryMb: 64,
  /** cron: alarms, session expiry, auto-reply. */
  cronMemoryMb: 128,
  memcachedMemoryMb: 64,
  port: 20000,
  webPort: 20080,
  source: "alinto" as SogoSource,
  /** Debian 12's package (the `debian` source). */
  debianVersion: "5.8.0",
  userTable: SOGO_CONF_DEFAULTS.userTable,
  confPath: "/etc/sogo/sogo.conf",
  backupDir: "/var/lib/sogo/backups",
  /**
   * `socle.backup.pre`: `sogo-tool backup <dir> ALL`, every user's calendars, contacts,
   * preferences and filters, one file each (for restoring ONE user; the database dump
   * restores everyone). Succeeds on a fresh install, where sogo-tool alone fails.
   */
  backupPre: "/usr/local/bin/socle-sogo backup /var/lib/sogo/backups",
  /** Paths SOGo may send Keycloak back to (exact URIs, under the front's public URL). */
  redirectPaths: ["/SOGo/", "/SOGo/so/"],
  baseImage: "debian:12-slim",
} as const;

export interface SogoArgs {
  tenant: string;
  /** FQDN served, `mail.<tenant domain>`. */
  domain: string;
  /** Domain of the users' addresses (`SOGoMailDomain`), normally the tenant's domain. */
  mailDomain: string;
  platform: Platform;
  /**
   * IMAP / SMTP (/ Sieve) servers: the tenant's `Mail` component (`mail.endpoints`),
   * or the town's existing servers (`sogo: {mail: {imap, smtp}}`).
   */
  mail: { imap: SogoMailServer; smtp: SogoMailServer; sieve?: SogoMailServer };
  /** With SOGo >= 5.12: OIDC login on the realm. Ignored (no SSO) with Debian's 5.8. */
  realm?: KeycloakRealm;
  /** Package source of the built image; default `alinto`. */
  source?: SogoSource;
  /** Default: the catalogue's pin (alinto) or 5.8.0 (debian). */
  version?: string;
  /** Base image of the build; default `debian:12-slim`. */
  baseImage?: string;
  superUsers?: string[];
  memoryMb?: number;
  /** Its memcached's version; default the catalogue's pin (`socle:versions.memcached`). */
  memcachedVersion?: string;
}

/** `mail.<tenant domain>`: the default FQDN the composition gives SOGo. */
export function sogoDomain(tenantDomain: string): string {
  return `mail.${tenantDomain}`;
}

/**
 * The town's own servers from the stack config (`sogo: {mail: {imap: "host:port", …}}`):
 * implicit TLS on 993 (IMAP) and 465 (SMTP), STARTTLS on any other port.
 */
export function townMailServers(mail: { imap: string; smtp: string; sieve?: string }): SogoArgs["mail"] {
  const parse = (what: string, hostPort: string, implicitTlsPort: number): SogoMailServer => {
    const m = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?):(\d{1,5})$/.exec(hostPort);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) throw new Error(`SOGo: mail.${what} "${hostPort}" is not host:port`);
    return { host: m[1]!, port, tls: port === implicitTlsPort ? "tls" : "starttls" };
  };
  return {
    imap: parse("imap", mail.imap, 993),
    smtp: parse("smtp", mail.smtp, 465),
    ...(mail.sieve !== undefined ? { sieve: parse("sieve", mail.sieve, 0) } : {}),
  };
}

/** The version the component builds for a source. */
export function sogoVersion(args: Pick<SogoArgs, "source" | "version">): string {
  if (args.version !== undefined) return args.version;
  return (args.source ?? SOGO_DEFAULTS.source) === "debian" ? SOGO_DEFAULTS.debianVersion : pinned("sogo");
}

/** What users get at login with this source and version (also stated in docs/components/sogo.md). */
export function sogoSso(args: Pick<SogoArgs, "source" | "version">, hasRealm: boolean): "openid" | "none" {
  return hasRealm && sogoSupportsOidc(sogoVersion(args)) ? "openid" : "none";
}

/** Pure validation; exact messages, before any child exists. */
export function validateSogoArgs(args: Omit<SogoArgs, "platform" | "realm">): void {
  if (!SLUG_RE.test(args.tenant)) throw new Error(`SOGo: tenant "${args.tenant}" is not a slug`);
  const who = `SOGo ${args.tenant}`;
  if (!HOST_RE.test(args.domain))
    throw new Error(`${who}: domain "${args.domain}" is not a lower-case domain name`);
  if (!HOST_RE.test(args.mailDomain)) {
    throw new Error(`${who}: mailDomain "${args.mailDomain}" is not a lower-case domain name`);
  }
  const source = args.source ?? SOGO_DEFAULTS.source;
  if (source !== "alinto" && source !== "debian") {
    throw new Error(`${who}: source "${String(source)}" must be "alinto" or "debian"`);
  }
  const version = sogoVersion(args);
  if (!isNumericVersion(version) || version.split(".").length !== VERSION_RULES.sogo!.parts)
    throw new Error(`${who}: version "${version}" is not x.y.z`);
  if (source === "alinto" && !sogoSupportsOidc(version)) {
    throw new Error(`${who}: version ${version} from Alinto has no OpenID Connect; use 5.12 or newer`);
  }
  if (source === "debian" && !version.startsWith("5.8.")) {
    throw new Error(`${who}: Debian 12 ships SOGo 5.8, not ${version}`);
  }
  if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 256)) {
    throw new Error(`${who}: memoryMb must be an integer >= 256, got ${args.memoryMb}`);
  }
  for (const u of args.superUsers ?? []) {
    if (!/^[A-Za-z0-9._@-]+$/.test(u)) throw new Error(`${who}: super user "${u}" is not a login`);
  }
}

/** Declared memory, MiB, before anything is declared (placement): sogod, front, cron, memcached. */
export function memoryMbFor(args: Pick<SogoArgs, "memoryMb">): number {
  return (
    (args.memoryMb ?? SOGO_DEFAULTS.memoryMb) +
    SOGO_DEFAULTS.webMemoryMb +
    SOGO_DEFAULTS.cronMemoryMb +
    SOGO_DEFAULTS.memcachedMemoryMb
  );
}

/**
 * Sogo — webmail, calendars, contacts and ActiveSync for one tenant (`socle:apps:Sogo`).
 *
 * No official image: each host builds `templates/sogo/Dockerfile` (docker.RemoteImage
 * with `build`) from Alinto's packages (>= 5.12, OIDC; default) or Debian 12's 5.8
 * (`source: "debian"`, no SSO). Three containers of that image: `<tenant>-sogo` (sogod,
 * sogo.conf uploaded as a secret), `<tenant>-sogo-web` (the front the proxy routes to:
 * static files, `/` → `/SOGo`, x-webobjects-* headers) and `<tenant>-sogo-cron` (alarms,
 * session expiry, auto-reply). Its own database on the shared PostgreSQL and its own
 * memcached on the tenant network. Backups: `sogo-tool backup` into a volume + DB dump.
 *
 * Children: `${name}-db`, `${name}-memcached`, `${name}-oidc` and `${name}-directory`
 * (OIDC only: the realm's users into `sogo_users`), `${name}-image`,
 * `${name}-backups`, `${name}-app`, `${name}-web`, `${name}-cron`.
 */
export class Sogo extends pulumi.ComponentResource {
  readonly url: string;
  readonly routes: Route[];
  readonly memoryMb: number;
  readonly version: string;
  readonly source: SogoSource;
  /** `openid`: Keycloak's login page; `none`: SOGo's own form and the `sogo_users` table. */
  readonly sso: "openid" | "none";
  readonly containerName: string;
  readonly database: PostgresDatabase;
  readonly memcached: Memcached;
  readonly image: docker.RemoteImage;
  readonly oidc?: OidcClient;
  /** OIDC mode: feeds `sogo_users` from the realm. */
  readonly directory?: SogoDirectory;
  /** Secret: the rendered sogo.conf (database and OIDC client secrets inside). */
  readonly conf: pulumi.Output<string>;

  constructor(name: string, args: SogoArgs, opts?: pulumi.ComponentResourceOptions) {
    validateSogoArgs(args);
    super("socle:apps:Sogo", name, {}, opts);
    const { tenant, domain, platform } = args;
    const host = platform.host;
    this.source = args.source ?? SOGO_DEFAULTS.source;
    this.version = sogoVersion(args);
    this.sso = sogoSso(args, args.realm !== undefined);
    this.url = `https://${domain}`;
    const names = sogoNames(tenant);
    this.containerName = names.app;
    this.memoryMb = memoryMbFor(args);
    const nets = platform.tenantNetworks(tenant);
    const tenantNet = nets.back;

    this.database = new PostgresDatabase(
      `${name}-db`,
      {
        server: platform.postgres,
        database: serviceDatabase(tenant, "sogo"),
        tenant,
        service: "sogo",
        network: nets.database(platform.postgres),
      },
      { parent: this },
    );
    this.memcached = new Memcached(
      `${name}-memcached`,
      {
        host,
        network: tenantNet,
        tenant,
        service: "sogo",
        containerName: names.memcached,
        memoryMb: SOGO_DEFAULTS.memcachedMemoryMb,
        ...(args.memcachedVersion ? { version: args.memcachedVersion } : {}),
      },
      { parent: this },
    );
    if (this.sso === "openid" && args.realm) {
      this.oidc = new OidcClient(
        `${name}-oidc`,
        {
          realm: args.realm,
          clientId: "sogo",
          rootUrl: this.url,
          redirectUris: SOGO_DEFAULTS.redirectPaths.map((p) => `${this.url}${p}`),
          postLogoutRedirectUris: [`${this.url}/SOGo/`],
        },
        { parent: this },
      );
    }

    const realm = args.realm;
    const oidc = this.oidc;
    if (oidc && realm) {
      this.directory = new SogoDirectory(
        `${name}-directory`,
        {
          realm,
          database: {
            host: this.database.host,
            port: this.database.port,
            name: this.database.database,
            user: this.database.user,
            password: this.database.password,
          },
          userTable: SOGO_DEFAULTS.userTable,
        },
        { parent: this },
      );
    }
    this.conf = pulumi.secret(
      pulumi
        .all([this.database.password, oidc ? oidc.clientSecret : pulumi.output("")])
        .apply(([dbPassword, clientSecret]) =>
          renderSogoConf({
            version: this.version,
            database: {
              host: this.database.host,
              port: this.database.port,
              name: this.database.database,
              user: this.database.user,
              password: dbPassword,
            },
            memcached: { host: this.memcached.host, port: this.memcached.port },
            imap: args.mail.imap,
            smtp: args.mail.smtp,
            ...(args.mail.sieve ? { sieve: args.mail.sieve } : {}),
            mailDomain: args.mailDomain,
            auth:
              oidc && realm
                ? { kind: "openid", discoveryUrl: realm.discoveryUrl, clientId: oidc.clientId, clientSecret }
                : { kind: "sql" },
            ...(args.superUsers ? { superUsers: args.superUsers } : {}),
          }),
        ),
    );

    this.image = buildSogoImage(
      `${name}-image`,
      {
        host,
        version: this.version,
        source: this.source,
        baseImage: args.baseImage ?? SOGO_DEFAULTS.baseImage,
      },
      this,
    );

    const backupsName = names.backups;
    const backups = stateVolume(`${name}-backups`, host, backupsName, tenant, { parent: this });
    const mailWait = [args.mail.imap, args.mail.smtp].map((s) => `${s.host}:${s.port}`);
    const waitFor = [
      `${this.database.host}:${this.database.port}`,
      `${this.memcached.host}:${this.memcached.port}`,
      ...mailWait,
    ].join(" ");
    const upload = { file: SOGO_DEFAULTS.confPath, content: this.conf };
    const appNetworks = [{ network: nets.web }, { network: tenantNet }];

    const app = serviceContainer(
      `${name}-app`,
      {
        host,
        containerName: this.containerName,
        image: this.image,
        memoryMb: args.memoryMb ?? SOGO_DEFAULTS.memoryMb,
        labels: {
          tenant,
          service: "sogo",
          role: "app",
          version: this.version,
          volumes: [backupsName],
          dump: { engine: "postgres", database: this.database.database },
          dumpContainer: platform.postgres.containerName,
          pre: SOGO_DEFAULTS.backupPre,
          health: `http:${SOGO_DEFAULTS.port}/SOGo/`,
        },
        envs: [
          `SOGO_WAIT_FOR=${waitFor}`,
          `SOGO_USER_TABLE=${SOGO_DEFAULTS.userTable}`,
          `PGHOST=${this.database.host}`,
          `PGPORT=${this.database.port}`,
          `PGDATABASE=${this.database.database}`,
          `PGUSER=${this.database.user}`,
          pulumi.interpolate`PGPASSWORD=${this.database.password}`,
        ],
        networks: appNetworks,
        volumes: [{ volume: backups, containerPath: SOGO_DEFAULTS.backupDir }],
        uploads: [upload],
        command: ["sogod"],
        healthcheck: { tests: ["CMD", "/usr/local/bin/socle-sogo", "health"], startPeriod: "120s" },
      },
      { parent: this, dependsOn: [this.database.ready, this.memcached.container] },
    );

    const webName = names.web;
    serviceContainer(
      `${name}-web`,
      {
        host,
        containerName: webName,
        image: this.image,
        memoryMb: SOGO_DEFAULTS.webMemoryMb,
        labels: {
          tenant,
          service: "sogo",
          role: "app",
          version: this.version,
          health: `http:${SOGO_DEFAULTS.webPort}/SOGo.woa/WebServerResources/css/styles.css`,
        },
        envs: [`SOGO_UPSTREAM=${this.containerName}:${SOGO_DEFAULTS.port}`],
        networks: [{ network: nets.web }],
        command: ["web"],
        healthcheck: { tests: ["CMD", "/usr/local/bin/socle-sogo", "health"], startPeriod: "30s" },
      },
      { parent: this, dependsOn: [app] },
    );

    serviceContainer(
      `${name}-cron`,
      {
        host,
        containerName: names.cron,
        image: this.image,
        memoryMb: SOGO_DEFAULTS.cronMemoryMb,
        labels: { tenant, service: "sogo", role: "job", version: this.version, health: "cmd:pidof cron" },
        envs: [`SOGO_WAIT_FOR=${waitFor}`],
        networks: appNetworks,
        uploads: [
          upload,
          ...(this.directory ? [{ file: SOGO_DIRECTORY_DEFAULTS.envPath, content: this.directory.env }] : []),
        ],
        command: ["cron"],
      },
      { parent: this, dependsOn: [app] },
    );

    this.routes = [
      {
        host: domain,
        upstream: `${webName}:${SOGO_DEFAULTS.webPort}`,
        tenant,
        service: "sogo",
        maxBodySize: "100MB",
      },
    ];
    this.registerOutputs({ url: this.url, version: this.version, sso: this.sso });
  }
}
