import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_PATH, HEALTH_PORT, renderCaddyfile } from "../../templates/caddyfile.js";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { imageRef, pinned } from "../versions.js";
import type { Route } from "./route.js";

export const PROXY_DEFAULTS = {
  memoryMb: 256,
  containerName: "socle-proxy",
  dataVolume: "socle-proxy-data",
  configVolume: "socle-proxy-config",
  caddyfilePath: "/etc/caddy/Caddyfile",
} as const;

export interface ReverseProxyArgs {
  host: DockerHost;
  /** `socle-web`: the network every app with a route joins. */
  web: docker.Network;
  routes: Route[];
  /** ACME account email (certificate expiry notices). */
  acmeEmail?: string;
  /** Default 256. */
  memoryMb?: number;
  /** Default: the catalogue's pin. */
  version?: string;
}

/**
 * ReverseProxy — the TLS front door of one Docker host (`socle:platform:ReverseProxy`).
 *
 * Official `caddy` image (catalogue pin), container `socle-proxy` on `socle-web`,
 * the only container publishing ports: 80/tcp, 443/tcp and 443/udp (HTTP/3).
 * Its Caddyfile (`templates/caddyfile.ts`, from every route of the host) is
 * uploaded to `/etc/caddy/Caddyfile`: ACME certificates for public hosts,
 * `tls internal` for `*.localhost`. Volumes: `socle-proxy-data` (`/data`:
 * certificates and ACME account, backed up) and `socle-proxy-config` (`/config`:
 * Caddy's autosaved config). Health: `GET :8081/socle-health` (not published).
 *
 * A change of routes changes the uploaded file, so the container is replaced
 * (deleted first: its name and ports are fixed); certificates survive in the volume.
 *
 * Children: `${name}-image`, `${name}-data`, `${name}-config`, `${name}-container`.
 */
export class ReverseProxy extends pulumi.ComponentResource {
  readonly containerName: string = PROXY_DEFAULTS.containerName;
  readonly caddyfile: string;
  readonly memoryMb: number;
  readonly container: docker.Container;

  constructor(name: string, args: ReverseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:ReverseProxy", name, {}, opts);
    if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 64)) {
      throw new Error(`proxy: memoryMb must be an integer >= 64, got ${args.memoryMb}`);
    }
    this.caddyfile = renderCaddyfile({
      routes: args.routes,
      ...(args.acmeEmail !== undefined ? { acmeEmail: args.acmeEmail } : {}),
    });
    this.memoryMb = args.memoryMb ?? PROXY_DEFAULTS.memoryMb;
    const version = args.version ?? pinned("caddy");
    const image = pullImage(`${name}-image`, args.host, imageRef("caddy", version), { parent: this });
    const data = stateVolume(`${name}-data`, args.host, PROXY_DEFAULTS.dataVolume, "_platform", {
      parent: this,
    });
    const config = stateVolume(`${name}-config`, args.host, PROXY_DEFAULTS.configVolume, "_platform", {
      parent: this,
    });
    const healthUrl = `http://127.0.0.1:${HEALTH_PORT}${HEALTH_PATH}`;
    this.container = serviceContainer(
      `${name}-container`,
      {
        host: args.host,
        containerName: this.containerName,
        image,
        memoryMb: this.memoryMb,
        labels: {
          tenant: "_platform",
          service: "proxy",
          role: "proxy",
          version,
          volumes: [PROXY_DEFAULTS.dataVolume],
          health: `http:${HEALTH_PORT}${HEALTH_PATH}`,
        },
        networks: [{ network: args.web }],
        volumes: [
          { volume: data, containerPath: "/data" },
          { volume: config, containerPath: "/config" },
        ],
        uploads: [{ file: PROXY_DEFAULTS.caddyfilePath, content: this.caddyfile }],
        ports: [
          { internal: 80, external: 80, protocol: "tcp" },
          { internal: 443, external: 443, protocol: "tcp" },
          { internal: 443, external: 443, protocol: "udp" },
        ],
        healthcheck: {
          tests: ["CMD", "wget", "-q", "-O", "/dev/null", healthUrl],
          interval: "10s",
          startPeriod: "20s",
        },
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ containerName: this.containerName });
  }
}
