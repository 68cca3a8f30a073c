import * as pulumi from "@pulumi/pulumi";
import { pullImage, serviceContainer } from "../container.js";
import type { Platform } from "../platform/platform.js";
import type { Route } from "../platform/route.js";
import { imageRef, pinned } from "../versions.js";
import { generatedPassword } from "../platform/password.js";
import { bashHttpProbe } from "./keycloak.js";
import { HOST_RE, SLUG_RE } from "../../templates/checks.js";
import { collaboraNames } from "../names.js";

export const COLLABORA_DEFAULTS = {
  version: pinned("collabora"),
  memoryMb: 1024,
  service: "collabora",
  adminUser: "admin",
  port: 9980,
  /** TLS ends at the reverse proxy. */
  extraParams: "--o:ssl.enable=false --o:ssl.termination=true",
  /**
   * The minimum documented: MKNOD for the document jails (Collabora's CODE
   * docker instructions; Nextcloud AIO also adds SYS_ADMIN, which we do not:
   * without it coolwsd copies its system template into each jail instead of
   * bind-mounting it — slower document opening, no extra privilege).
   */
  capAdd: ["MKNOD"],
  capDrop: ["NET_RAW"],
  paths: ["/browser/*", "/hosting/*", "/cool/*"],
} as const;

export interface CollaboraArgs {
  tenant: string;
  /** The FQDN Collabora serves (`office.…`). */
  domain: string;
  platform: Platform;
  /** The one Nextcloud allowed to use this server (`https://cloud.…`): aliasgroup1. */
  nextcloudUrl: string;
  version?: string;
  memoryMb?: number;
}

export function validateCollaboraArgs(args: Omit<CollaboraArgs, "platform">): void {
  const who = `Collabora ${args.tenant}`;
  if (!SLUG_RE.test(args.tenant)) {
    throw new Error(`Collabora: tenant "${args.tenant}" is not a slug ([a-z0-9-])`);
  }
  if (!HOST_RE.test(args.domain))
    throw new Error(`${who}: domain "${args.domain}" is not a lower-case domain name`);
  const m = /^https:\/\/([^/:]+)$/.exec(args.nextcloudUrl);
  if (!m || !HOST_RE.test(m[1]!)) {
    throw new Error(
      `${who}: nextcloudUrl "${args.nextcloudUrl}" must be https://<domain> without port or path`,
    );
  }
  if (m[1] === args.domain) throw new Error(`${who}: domain "${args.domain}" is Nextcloud's own domain`);
  if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 512)) {
    throw new Error(`${who}: memoryMb ${args.memoryMb} is below 512`);
  }
}

export function memoryMbFor(args: { memoryMb?: number }): number {
  return args.memoryMb ?? COLLABORA_DEFAULTS.memoryMb;
}

/**
 * Collabora — Collabora Online (CODE) for one Nextcloud (`socle:apps:Collabora`).
 * Stateless: no volume, no backup; labels still say what it is.
 *
 * Children: `${name}-admin` (RandomPassword, admin console), `${name}-image`,
 * `${name}-app` (container `<tenant>-collabora` on the tenant's web network, port 9980,
 * health `/hosting/discovery`). Route: `office.…` limited to `/browser/*`,
 * `/hosting/*`, `/cool/*` (the websockets `/cool/…/ws` and `/cool/adminws`
 * pass through Caddy's reverse_proxy as is).
 */
export class Collabora extends pulumi.ComponentResource {
  readonly url: string;
  readonly routes: Route[];
  readonly memoryMb: number;
  readonly adminUser: string;
  readonly adminPassword: pulumi.Output<string>;
  readonly containerName: string;
  /** `aliasgroup1`: the Nextcloud URL with its port, as Collabora matches it. */
  readonly aliasGroup: string;

  constructor(name: string, args: CollaboraArgs, opts?: pulumi.ComponentResourceOptions) {
    validateCollaboraArgs(args);
    super("socle:apps:Collabora", name, {}, opts);
    const d = COLLABORA_DEFAULTS;
    const version = args.version ?? d.version;
    this.url = `https://${args.domain}`;
    this.memoryMb = memoryMbFor(args);
    this.adminUser = d.adminUser;
    this.containerName = collaboraNames(args.tenant).app;
    this.aliasGroup = `${args.nextcloudUrl}:443`;

    this.adminPassword = generatedPassword(`${name}-admin`, this);
    const image = pullImage(`${name}-image`, args.platform.host, imageRef("collabora", version), {
      parent: this,
    });
    serviceContainer(
      `${name}-app`,
      {
        host: args.platform.host,
        containerName: this.containerName,
        image,
        memoryMb: this.memoryMb,
        labels: {
          tenant: args.tenant,
          service: d.service,
          role: "app",
          version,
          health: `http:${d.port}/hosting/discovery`,
        },
        envs: [
          `aliasgroup1=${this.aliasGroup}`,
          `extra_params=${d.extraParams}`,
          `server_name=${args.domain}`,
          `username=${this.adminUser}`,
          pulumi.interpolate`password=${this.adminPassword}`,
          "DONT_GEN_SSL_CERT=1",
        ],
        networks: [{ network: args.platform.tenantNetworks(args.tenant).web }],
        capabilities: { adds: [...d.capAdd], drops: [...d.capDrop] },
        healthcheck: {
          tests: ["CMD", "bash", "-c", bashHttpProbe(d.port, "/hosting/discovery")],
          interval: "30s",
          retries: 9,
          startPeriod: "60s",
        },
      },
      { parent: this },
    );
    this.routes = [
      {
        host: args.domain,
        upstream: `${this.containerName}:${d.port}`,
        tenant: args.tenant,
        service: d.service,
        paths: [...d.paths],
      },
    ];
    this.registerOutputs({ url: this.url, adminUser: this.adminUser, adminPassword: this.adminPassword });
  }
}
