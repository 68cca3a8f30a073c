import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  CADDY_PATHS,
  HEALTH_PATH,
  HEALTH_PORT,
  renderCaddyBase,
  renderCaddyfile,
  renderCaddySites,
  renderRoutesApplyScript,
} from "../../templates/caddyfile.js";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { imageRef, pinned } from "../versions.js";
import { checkInitExit } from "./init-job.js";
import { PLATFORM_NAMES } from "../names.js";
import { isLocalHost, type Route } from "./route.js";

export const PROXY_DEFAULTS = {
  memoryMb: 256,
  containerName: PLATFORM_NAMES.proxy,
  routesJobName: PLATFORM_NAMES.proxyRoutes,
  /** The routes job runs `caddy reload` (adapts the whole Caddyfile). */
  routesJobMemoryMb: 128,
  dataVolume: PLATFORM_NAMES.proxyData,
  configVolume: PLATFORM_NAMES.proxyConfig,
  /** Caddy's storage inside the data volume (`$XDG_DATA_HOME/caddy`, the image sets `/data`). */
  storageDir: "caddy",
  /** certmagic's issuer keys: directory names under `caddy/certificates/`. */
  issuers: { acme: "acme-v02.api.letsencrypt.org-directory", internal: "local" },
} as const;

/**
 * Where Caddy keeps the certificate of `host` in its data volume mounted at
 * `mountPath`: `<mount>/caddy/certificates/<issuer>/<host>/<host>.crt|.key`, the
 * issuer being `local` (`tls internal`, every `*.localhost`) or Let's Encrypt's
 * production directory (ACME). Checked with caddy 2.6's `tls internal`. A
 * certificate Caddy obtained from its fallback issuer (ZeroSSL) lives under
 * `acme.zerossl.com-v2-dv90` and is NOT found here.
 */
export function caddyCertificateFiles(
  host: string,
  mountPath: string,
): { certPath: string; keyPath: string } {
  const issuer = isLocalHost(host) ? PROXY_DEFAULTS.issuers.internal : PROXY_DEFAULTS.issuers.acme;
  const dir = `${mountPath.replace(/\/+$/, "")}/${PROXY_DEFAULTS.storageDir}/certificates/${issuer}/${host}`;
  return { certPath: `${dir}/${host}.crt`, keyPath: `${dir}/${host}.key` };
}

export interface ReverseProxyArgs {
  host: DockerHost;
  /**
   * `socle-web`: the proxy's own network (Keycloak's too). The proxy joins each tenant's
   * web network through the platform's network job (`platform.attachProxy`), never here.
   */
  web: docker.Network;
  routes: Route[];
  /** ACME account email (certificate expiry notices). */
  acmeEmail?: string;
  /** Default 256. */
  memoryMb?: number;
  /** Default: the catalogue's pin. */
  version?: string;
  /**
   * The `socle-proxy-data` volume (certificates), when its owner is the Platform
   * (`platform.proxyData`, so that Mail can mount it before the proxy exists).
   * Absent: the proxy declares it (`${name}-data`).
   */
  dataVolume?: docker.Volume;
  /** Static address on `web` (`platform.proxyAddress`); the names inside containers point there. */
  address?: string;
}

/**
 * ReverseProxy — the TLS front door of one Docker host (`socle:platform:ReverseProxy`).
 *
 * Official `caddy` image (catalogue pin), container `socle-proxy` on `socle-web`
 * (and, attached by `platform.attachProxy`, on every tenant's web network at `.2`),
 * the only container publishing ports: 80/tcp, 443/tcp and 443/udp (HTTP/3).
 * Volumes: `socle-proxy-data` (`/data`: certificates and ACME account, backed
 * up) and `socle-proxy-config` (`/config`: the sites file, the admin socket,
 * Caddy's autosave). Health: `GET :8081/socle-health` (not published).
 *
 * Two containers, so that routes change without restarting the proxy:
 * - `socle-proxy` gets the BASE Caddyfile (`renderCaddyBase`: global options,
 *   admin API on a unix socket in `/config` only, health site, `import` of the
 *   sites file). It depends on `acmeEmail` and the version, not on the routes.
 * - `socle-proxy-routes`, a one-shot job of the same image with the config
 *   volume, receives the sites file (`renderCaddySites(routes)`), installs it
 *   and runs `caddy reload` through the socket. Caddy applies it atomically or
 *   keeps the previous config; a refusal exits 1 and fails the deployment
 *   (`applied`). A change of routes replaces only this job.
 *
 * With `address`, the proxy has that static address on `socle-web` (the Platform's
 * `proxyAddress`, where every container's public names point). With `dataVolume`
 * (the Platform's `socle-proxy-data`), the proxy mounts it instead of declaring it.
 *
 * Children: `${name}-image`, `${name}-data` (without `dataVolume`), `${name}-config`,
 * `${name}-container`, `${name}-routes`.
 */
export class ReverseProxy extends pulumi.ComponentResource {
  readonly containerName: string = PROXY_DEFAULTS.containerName;
  /** The whole configuration as one file (same content as base + sites; for reading and validation). */
  readonly caddyfile: string;
  /** Uploaded into `socle-proxy`. */
  readonly baseCaddyfile: string;
  /** Installed by the routes job. */
  readonly sitesCaddyfile: string;
  readonly memoryMb: number;
  readonly container: docker.Container;
  /** The one-shot routes job (for `dependsOn`). */
  readonly routesJob: docker.Container;
  /** True once the routes job exited 0; fails the deployment otherwise. */
  readonly applied: pulumi.Output<boolean>;

  constructor(name: string, args: ReverseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:platform:ReverseProxy", name, {}, opts);
    if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 64)) {
      throw new Error(`proxy: memoryMb must be an integer >= 64, got ${args.memoryMb}`);
    }
    this.caddyfile = renderCaddyfile({
      routes: args.routes,
      ...(args.acmeEmail !== undefined ? { acmeEmail: args.acmeEmail } : {}),
    });
    this.sitesCaddyfile = renderCaddySites(args.routes);
    this.baseCaddyfile = renderCaddyBase(args.acmeEmail !== undefined ? { acmeEmail: args.acmeEmail } : {});
    this.memoryMb = args.memoryMb ?? PROXY_DEFAULTS.memoryMb;
    const version = args.version ?? pinned("caddy");
    const image = pullImage(`${name}-image`, args.host, imageRef("caddy", version), { parent: this });
    const data =
      args.dataVolume ??
      stateVolume(`${name}-data`, args.host, PROXY_DEFAULTS.dataVolume, "_platform", { parent: this });
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
        networks: [
          { network: args.web, ...(args.address !== undefined ? { ipv4Address: args.address } : {}) },
        ],
        // The proxy calls no app by its public name.
        hosts: null,
        volumes: [
          { volume: data, containerPath: "/data" },
          { volume: config, containerPath: "/config" },
        ],
        uploads: [{ file: CADDY_PATHS.base, content: this.baseCaddyfile }],
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
    const script = "/socle/apply-routes.sh";
    this.routesJob = serviceContainer(
      `${name}-routes`,
      {
        host: args.host,
        containerName: PROXY_DEFAULTS.routesJobName,
        image,
        memoryMb: PROXY_DEFAULTS.routesJobMemoryMb,
        labels: { tenant: "_platform", service: "proxy", role: "job" },
        networks: [],
        volumes: [{ volume: config, containerPath: "/config" }],
        uploads: [
          { file: CADDY_PATHS.base, content: this.baseCaddyfile },
          { file: CADDY_PATHS.upload, content: this.sitesCaddyfile },
          { file: script, content: renderRoutesApplyScript(), executable: true },
        ],
        entrypoints: ["/bin/sh", script],
        oneShot: true,
      },
      { parent: this, dependsOn: [this.container], deleteBeforeReplace: true },
    );
    this.applied = this.routesJob.exitCode.apply((code) => {
      checkInitExit(PROXY_DEFAULTS.routesJobName, code as number | undefined, "applying the proxy routes");
      return true;
    });
    this.registerOutputs({ containerName: this.containerName, applied: this.applied });
  }
}
