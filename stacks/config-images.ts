/**
 * `socle:images`: where the hosts pull images from. Towns in public data
 * centres and air-gapped sites pull through their own registry: with
 * `{registry: "registry.example.fr:5000"}` every image Socle pulls is
 * `<registry>/<reference>` (`registry.example.fr:5000/nextcloud:32.0.3-apache`,
 * `registry.example.fr:5000/quay.io/keycloak/keycloak:26.4.5`), and SOGo's
 * build starts from `<registry>/debian:12-slim`.
 */
import { Reader, pred } from "./config-checks.js";

export interface ImagesConfig {
  /** Registry (host[:port][/path]) every image is pulled through; unset: each image's own registry. */
  registry?: string;
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const REGISTRY_RE = new RegExp(
  `^${LABEL}(?:\\.${LABEL})*(?::(\\d{1,5}))?((?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)$`,
);

/** host[:port][/path], lower case, no scheme, no credentials, no trailing slash; port 1–65535. */
export function isRegistry(s: string): boolean {
  const m = REGISTRY_RE.exec(s);
  if (!m || s.length > 255) return false;
  const port = m[1] === undefined ? 1 : Number(m[1]);
  return port >= 1 && port <= 65535;
}

export const REGISTRY = pred(
  "a registry (host[:port][/path], e.g. registry.example.fr:5000: no scheme, no credentials)",
  isRegistry,
);

export function readImages(r: Reader, v: unknown): ImagesConfig {
  if (v === undefined || v === null) return {};
  const o = r.object("socle:images", v, "an object with registry", ["registry"]);
  if (!o) return {};
  const registry = r.optional("socle:images.registry", o.registry, REGISTRY);
  return registry !== undefined ? { registry } : {};
}
