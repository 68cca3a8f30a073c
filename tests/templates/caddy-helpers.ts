/**
 * Shared by the Caddy template tests: whether the real caddy is here (a
 * failure under CI=true when it is not), a temp HOME for it, route fixtures.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import type { Route } from "../../components/platform/route.js";
import { CI } from "./tools.js";

export { CI };
export const HAVE_CADDY = spawnSync("caddy", ["version"], { encoding: "utf8" }).error === undefined;
if (!HAVE_CADDY && !CI)
  console.warn("skipping caddy checks: caddy not installed (CI=true makes this a failure)");
export const real = HAVE_CADDY || CI ? describe : describe.skip;

export const work = mkdtempSync(join(tmpdir(), "socle-caddy-"));
export const caddyEnv = {
  ...process.env,
  HOME: work,
  XDG_DATA_HOME: join(work, "data"),
  XDG_CONFIG_HOME: join(work, "config"),
};

export const nextcloud = (slug: string, domain: string): Route => ({
  host: `cloud.${domain}`,
  upstream: `${slug}-nextcloud:80`,
  tenant: slug,
  service: "nextcloud",
  maxBodySize: "10GB",
  redirects: [
    { from: "/.well-known/carddav", to: "/remote.php/dav" },
    { from: "/.well-known/caldav", to: "/remote.php/dav" },
  ],
});
export const collabora = (slug: string, domain: string): Route => ({
  host: `office.${domain}`,
  upstream: `${slug}-collabora:9980`,
  tenant: slug,
  service: "collabora",
  paths: ["/browser/*", "/hosting/*", "/cool/*"],
});
export const sogo = (slug: string, domain: string): Route => ({
  host: `mail.${domain}`,
  upstream: `${slug}-sogo:20000`,
  tenant: slug,
  service: "sogo",
  redirects: [{ from: "/", to: "/SOGo/" }],
});
