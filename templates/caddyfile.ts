/**
 * The reverse proxy's Caddy configuration, rendered from the routes of one
 * Docker host, in two pieces as deployed:
 *
 * - `renderCaddyBase({ acmeEmail })`: global options, the health site and an
 *   `import` of the sites file; uploaded into `socle-proxy` (does not depend on
 *   the routes, so adding a tenant does not replace the proxy);
 * - `renderCaddySites(routes)`: one site block per route, written into the
 *   config volume by the routes job (`renderRoutesApplyScript`), which reloads
 *   Caddy through its admin socket.
 *
 * `renderCaddyfile({ acmeEmail, routes })` gives the same configuration as one
 * self-contained file (what `caddy validate` checks in the tests).
 *
 * Deterministic: sites sorted by host, paths and redirects sorted, so the same
 * routes always give the same bytes (no diff on re-run).
 *
 * - TLS: ACME (Let's Encrypt / ZeroSSL, Caddy's defaults) for public hosts,
 *   with `email` when given; `tls internal` (Caddy's local CA) for `*.localhost`.
 *   Caddy redirects HTTP to HTTPS by itself for every site.
 * - Each site: security headers (`-Server`, nosniff, referrer policy, and HSTS
 *   except on `*.localhost`), request body limit, 301 redirects, then either
 *   everything or only `paths` to the upstream (other paths: 404).
 * - `reverse_proxy` passes WebSocket upgrades through and sets
 *   `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` itself
 *   (Caddy's default; client-sent values are replaced since no proxy in front
 *   is trusted).
 * - Health: `http://:8081/socle-health` answers 200 `ok` (not published; the
 *   container's healthcheck and the `socle` scripts use it).
 */
import { isLocalHost, validateRoutes, type Route } from "../components/platform/route.js";
import { isCaddyEmail } from "./checks.js";

export interface CaddyfileArgs {
  /** ACME account email (expiry notices). */
  acmeEmail?: string;
  routes: Route[];
}

/** Port of the internal health site (never published). */
export const HEALTH_PORT = 8081;
export const HEALTH_PATH = "/socle-health";

/**
 * Where the deployed proxy keeps its pieces: the base file is uploaded into the
 * container; the sites file lives in the `socle-proxy-config` volume (`/config`)
 * and is written by the routes job, which reloads Caddy through the admin
 * socket in the same volume (Caddy removes a stale socket itself on start).
 */
export const CADDY_PATHS = {
  base: "/etc/caddy/Caddyfile",
  sitesGlob: "/config/socle-sites/*.caddy",
  sitesDir: "/config/socle-sites",
  sitesFile: "/config/socle-sites/socle.caddy",
  adminSocket: "/config/caddy-admin.sock",
  /** Where the routes job receives the new sites file. */
  upload: "/socle/sites.caddy",
} as const;

const HEADER = "# Rendered by Socle (templates/caddyfile.ts): edit the routes, not this file.";

function globalOptions(acmeEmail: string | undefined, adminSocket: string | undefined): string[] {
  if (acmeEmail !== undefined && !isCaddyEmail(acmeEmail)) {
    throw new Error(`acmeEmail: "${acmeEmail}" is not an email address`);
  }
  const out = ["{"];
  if (adminSocket !== undefined) out.push(`\tadmin unix/${adminSocket}`);
  if (acmeEmail !== undefined) out.push(`\temail ${acmeEmail}`);
  out.push("\tservers {", "\t\tprotocols h1 h2 h3", "\t}", "}", "");
  out.push(`http://:${HEALTH_PORT} {`, `\trespond ${HEALTH_PATH} "ok" 200`, "\trespond 404", "}");
  return out;
}

/** Site blocks only, sorted by host (the routes job's file). Validates the routes. */
export function renderCaddySites(routes: readonly Route[]): string {
  validateRoutes(routes);
  const sorted = [...routes].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const out: string[] = [HEADER];
  for (const r of sorted) out.push("", ...renderSite(r));
  return out.join("\n") + "\n";
}

export interface CaddyBaseArgs {
  acmeEmail?: string;
  /** Default `CADDY_PATHS.adminSocket`. */
  adminSocket?: string;
  /** Default `CADDY_PATHS.sitesGlob` (a glob: no file yet is not an error). */
  sitesGlob?: string;
}

/**
 * The proxy's own Caddyfile: global options (admin API on a unix socket only,
 * ACME email, HTTP/1-2-3), the health site, and an `import` of the sites file.
 * It does not depend on the routes, so adding a tenant does not touch the proxy
 * container.
 */
export function renderCaddyBase(args: CaddyBaseArgs = {}): string {
  const out = [HEADER, ...globalOptions(args.acmeEmail, args.adminSocket ?? CADDY_PATHS.adminSocket)];
  out.push("", `import ${args.sitesGlob ?? CADDY_PATHS.sitesGlob}`);
  return out.join("\n") + "\n";
}

/** The whole configuration as ONE self-contained file (base without admin socket + sites). */
export function renderCaddyfile(args: CaddyfileArgs): string {
  validateRoutes(args.routes);
  const out: string[] = [HEADER, ...globalOptions(args.acmeEmail, undefined)];
  const sites = renderCaddySites(args.routes).slice(HEADER.length + 1);
  return out.join("\n") + "\n" + sites;
}

export interface RoutesApplyArgs {
  /** Default `CADDY_PATHS`. */
  paths?: Partial<Record<keyof typeof CADDY_PATHS, string>>;
}

/**
 * The routes job (one-shot container of the Caddy image, `socle-proxy-config`
 * mounted): installs the uploaded sites file and asks the running proxy to
 * reload through its admin socket. Caddy applies a new config atomically or
 * keeps the old one; on refusal the previous file is put back and the job
 * exits 1 (the deployment fails, the sites keep being served).
 */
export function renderRoutesApplyScript(args: RoutesApplyArgs = {}): string {
  const p = { ...CADDY_PATHS, ...args.paths };
  return [
    "#!/bin/sh",
    "# Rendered by Socle (templates/caddyfile.ts): apply the proxy's routes without restarting it.",
    "set -eu",
    `mkdir -p ${p.sitesDir}`,
    "previous=$(mktemp)",
    `if [ -f ${p.sitesFile} ]; then cp ${p.sitesFile} "$previous"; else rm -f "$previous"; fi`,
    `cp ${p.upload} ${p.sitesFile}.new`,
    `mv ${p.sitesFile}.new ${p.sitesFile}`,
    `if caddy reload --config ${p.base} --adapter caddyfile --address unix/${p.adminSocket}; then`,
    '  echo "socle proxy: routes applied"',
    "else",
    '  if [ -f "$previous" ]; then',
    `    cp "$previous" ${p.sitesFile}`,
    "  else",
    `    rm -f ${p.sitesFile}`,
    "  fi",
    '  echo "socle proxy: routes refused by caddy, previous routes kept" >&2',
    "  exit 1",
    "fi",
    "",
  ].join("\n");
}

function renderSite(r: Route): string[] {
  const local = isLocalHost(r.host);
  const lines = [`# ${r.tenant}/${r.service}`, `${r.host} {`];
  if (local) lines.push("\ttls internal");
  lines.push("\theader {", "\t\tdefer", "\t\t-Server", "\t\tX-Content-Type-Options nosniff");
  lines.push("\t\tReferrer-Policy strict-origin-when-cross-origin");
  if (!local) lines.push('\t\tStrict-Transport-Security "max-age=31536000"');
  lines.push("\t}");
  if (r.maxBodySize !== undefined) lines.push("\trequest_body {", `\t\tmax_size ${r.maxBodySize}`, "\t}");
  const redirects = [...(r.redirects ?? [])].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  for (const d of redirects) lines.push(`\tredir ${d.from} ${d.to} 301`);
  if (r.paths === undefined) {
    lines.push(`\treverse_proxy ${r.upstream}`);
  } else {
    const paths = [...new Set(r.paths)].sort();
    lines.push(`\t@upstream path ${paths.join(" ")}`);
    lines.push("\thandle @upstream {", `\t\treverse_proxy ${r.upstream}`, "\t}");
    lines.push("\thandle {", "\t\trespond 404", "\t}");
  }
  lines.push("}");
  return lines;
}
