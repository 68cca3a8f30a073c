/**
 * What an app asks of its host's reverse proxy: one public host name, the
 * container that serves it, and optional path filters, redirects and body
 * limit. Apps expose `readonly routes: Route[]`; the composition hands every
 * route of a host to that host's `ReverseProxy`, which renders them with
 * `templates/caddyfile.ts`.
 *
 * This module is pure (no Pulumi import): the validators below are shared by
 * the proxy component and the Caddyfile renderer.
 */
import { HOST_RE } from "../../templates/checks.js";
export interface Route {
  /** FQDN served, lower case (e.g. `cloud.demo.localhost`). */
  host: string;
  /** `container:port` on a web network the proxy is on (e.g. `demo-nextcloud:80`). */
  upstream: string;
  tenant: string;
  service: string;
  /** Caddy path matchers (`/browser/*`); other paths answer 404. Default: everything. */
  paths?: string[];
  /** Permanent (301) redirects, e.g. `/.well-known/caldav` → `/remote.php/dav`. */
  redirects?: { from: string; to: string }[];
  /** Request body limit, e.g. `10GB`, `512MB`. Default: no limit. */
  maxBodySize?: string;
}

const UPSTREAM_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*:([0-9]{1,5})$/;
const PATH_RE = /^\/[A-Za-z0-9._~\-/*%]*$/;
const TARGET_RE = /^(\/|https:\/\/)[^\s{}"]*$/;
const SIZE_RE = /^[1-9][0-9]*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/** Throws an exact message for the first thing wrong with a route. */
export function validateRoute(route: Route): void {
  const where = `route ${route.tenant}/${route.service}`;
  if (!HOST_RE.test(route.host)) {
    throw new Error(`${where}: host "${route.host}" is not a lower-case domain name`);
  }
  const up = UPSTREAM_RE.exec(route.upstream);
  const port = up ? Number(up[1]) : 0;
  if (!up || port < 1 || port > 65535) {
    throw new Error(`${where}: upstream "${route.upstream}" is not container:port`);
  }
  if (route.paths !== undefined) {
    if (route.paths.length === 0) throw new Error(`${where}: paths is empty (omit it to serve everything)`);
    for (const p of route.paths) {
      if (!PATH_RE.test(p)) throw new Error(`${where}: path "${p}" must start with / and hold no spaces`);
    }
  }
  for (const r of route.redirects ?? []) {
    if (!PATH_RE.test(r.from) || r.from.includes("*")) {
      throw new Error(`${where}: redirect from "${r.from}" must be an exact path starting with /`);
    }
    if (!TARGET_RE.test(r.to)) {
      throw new Error(`${where}: redirect to "${r.to}" must be a path or an https:// URL`);
    }
  }
  if (route.maxBodySize !== undefined && !SIZE_RE.test(route.maxBodySize)) {
    throw new Error(`${where}: maxBodySize "${route.maxBodySize}" is not a size like 10GB or 512MB`);
  }
}

/** Validates every route and refuses a host routed twice. */
export function validateRoutes(routes: readonly Route[]): void {
  const seen = new Map<string, Route>();
  for (const r of routes) {
    validateRoute(r);
    const first = seen.get(r.host);
    if (first) {
      throw new Error(
        `routes: host "${r.host}" is routed twice (${first.tenant}/${first.service} and ${r.tenant}/${r.service})`,
      );
    }
    seen.set(r.host, r);
  }
}

/** True for hosts that get a certificate from Caddy's internal CA instead of ACME. */
export function isLocalHost(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost");
}
