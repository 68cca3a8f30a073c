/**
 * The reverse proxy's Caddyfile, rendered from the routes of one Docker host.
 *
 * Deterministic: sites sorted by host, paths and redirects sorted, so the same
 * routes always give the same bytes (no diff, no proxy replacement on re-run).
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

export interface CaddyfileArgs {
  /** ACME account email (expiry notices). */
  acmeEmail?: string;
  routes: Route[];
}

/** Port of the internal health site (never published). */
export const HEALTH_PORT = 8081;
export const HEALTH_PATH = "/socle-health";

const EMAIL_RE = /^[^\s@{}"]+@[^\s@{}"]+\.[^\s@{}"]+$/;

export function renderCaddyfile(args: CaddyfileArgs): string {
  validateRoutes(args.routes);
  if (args.acmeEmail !== undefined && !EMAIL_RE.test(args.acmeEmail)) {
    throw new Error(`acmeEmail: "${args.acmeEmail}" is not an email address`);
  }
  const out: string[] = [
    "# Rendered by Socle (templates/caddyfile.ts): edit the routes, not this file.",
    "{",
  ];
  if (args.acmeEmail !== undefined) out.push(`\temail ${args.acmeEmail}`);
  out.push("\tservers {", "\t\tprotocols h1 h2 h3", "\t}", "}", "");
  out.push(`http://:${HEALTH_PORT} {`, `\trespond ${HEALTH_PATH} "ok" 200`, "\trespond 404", "}");
  const sorted = [...args.routes].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (const r of sorted) out.push("", ...renderSite(r));
  return out.join("\n") + "\n";
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
