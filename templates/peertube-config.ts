/**
 * PeerTube files rendered by Socle (pure, deterministic):
 *
 * - `renderPeertubeLocalConfig` → `/config/local-production.yaml`, the
 *   federation overrides. The official image sets
 *   `NODE_CONFIG_DIR=/app/config:/app/support/docker/production/config:/config`
 *   and node-config loads `local-production.*` after every `production.*`,
 *   and `.yaml` after `.json`: these keys therefore win over the image's
 *   production.yaml AND over `/config/local-production.json` (what the admin
 *   UI writes). Only the environment (custom-environment-variables.yaml) is
 *   stronger. Federation is thus declared in the stack config, not in the UI.
 * - `renderPeertubeEntrypoint` → `/socle/entrypoint.sh`, a wrapper that starts
 *   the configurator in the background and then execs the image's own
 *   entrypoint unchanged.
 * - `renderPeertubeConfigure` → `/socle/configure.sh`: waits for
 *   `/api/v1/ping`, logs in as `root` (password from `PT_INITIAL_ROOT_PASSWORD`),
 *   installs the `auth-openid-connect` plugin through the REST API if missing
 *   and (re)writes its settings. Idempotent; runs at every container start. No
 *   secret is in the script: the OIDC client secret and the root password come
 *   from the container's environment. Following the sibling instances is NOT
 *   done here but by a one-shot job (templates/peertube-follow.ts): the list
 *   grows with the EPCI, and this script is part of the instance container's
 *   inputs, so a town joining would otherwise replace every town's PeerTube.
 */
import { stringify } from "yaml";
import { HOST_RE, isDisplayText } from "./checks.js";
import { shellQuote as shq } from "./shell.js";

export interface PeertubeFederation {
  /** Sibling instances this one follows (host names, no scheme), e.g. `video.other-town.fr`. */
  follow: string[];
  /** Follow back every instance that follows this one. */
  autoFollowBack: boolean;
  /** Mirror followed instances' recent videos, and let followed instances mirror ours. */
  redundancy: boolean;
  /** Other instances need an admin's approval to follow this one (default false). */
  manualApproval?: boolean;
  /** Follow every instance listed by this index (https URL); default none. */
  autoFollowIndex?: string;
  /** Disk given to mirrored videos when `redundancy` (default `10GB`). */
  redundancySize?: string;
}

export const FEDERATION_DEFAULTS: Required<Omit<PeertubeFederation, "autoFollowIndex">> = {
  follow: [],
  autoFollowBack: false,
  redundancy: false,
  manualApproval: false,
  redundancySize: "10GB",
};

const SIZE_RE = /^[1-9][0-9]*(MB|GB|TB)$/;
const HTTPS_URL_RE = /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~\-/%?=&]*)?$/;

/** Throws an exact message for the first thing wrong with the federation args. */
export function validatePeertubeFederation(f: PeertubeFederation, selfHostname: string): void {
  const seen = new Set<string>();
  for (const h of f.follow) {
    if (!HOST_RE.test(h)) {
      throw new Error(`peertube federation: follow "${h}" is not a host name (no scheme, lower case)`);
    }
    if (h === selfHostname) throw new Error(`peertube federation: an instance cannot follow itself (${h})`);
    if (seen.has(h)) throw new Error(`peertube federation: follow "${h}" is listed twice`);
    seen.add(h);
  }
  if (f.redundancySize !== undefined && !SIZE_RE.test(f.redundancySize)) {
    throw new Error(`peertube federation: redundancySize "${f.redundancySize}" is not a size like 10GB`);
  }
  if (f.autoFollowIndex !== undefined && !HTTPS_URL_RE.test(f.autoFollowIndex)) {
    throw new Error(`peertube federation: autoFollowIndex "${f.autoFollowIndex}" is not an https:// URL`);
  }
}

/** The federation keys of production.yaml, as an object (what the YAML holds). */
export function peertubeLocalConfig(f: PeertubeFederation): Record<string, unknown> {
  const size = f.redundancySize ?? FEDERATION_DEFAULTS.redundancySize;
  return {
    followers: {
      instance: { enabled: true, manual_approval: f.manualApproval ?? FEDERATION_DEFAULTS.manualApproval },
    },
    followings: {
      instance: {
        auto_follow_back: { enabled: f.autoFollowBack },
        auto_follow_index: {
          enabled: f.autoFollowIndex !== undefined,
          index_url: f.autoFollowIndex ?? "",
        },
      },
    },
    redundancy: {
      videos: {
        check_interval: "1 hour",
        strategies: f.redundancy
          ? [{ min_lifetime: "48 hours", min_views: 0, size, strategy: "recently-added" }]
          : [],
      },
    },
    remote_redundancy: {
      videos: { accept_from: f.redundancy ? "followings" : "nobody" },
    },
  };
}

/** `/config/local-production.yaml` (sorted keys, so a re-run shows no diff). */
export function renderPeertubeLocalConfig(f: PeertubeFederation, selfHostname: string): string {
  validatePeertubeFederation(f, selfHostname);
  return (
    "# Rendered by Socle (templates/peertube-config.ts): federation settings.\n" +
    "# Loaded after production.yaml and after the admin UI's local-production.json:\n" +
    "# change them in the Socle stack config, not in the admin UI.\n" +
    stringify(peertubeLocalConfig(f), { sortMapEntries: true })
  );
}

/** The npm package PeerTube installs for OpenID Connect. */
export const OIDC_PLUGIN = "peertube-plugin-auth-openid-connect";

export interface PeertubeConfigureArgs {
  /** `PEERTUBE_WEBSERVER_HOSTNAME` (the OAuth local client is only served for this Host). */
  hostname: string;
  /** Plugin settings; absent: no SSO, the plugin is left alone. */
  oidc?: {
    discoveryUrl: string;
    clientId: string;
    /** Button label on the login page. */
    displayName: string;
    /** Pin a plugin version; absent: the newest compatible one at first install. */
    pluginVersion?: string;
  };
  /** Env var holding the OIDC client secret. */
  clientSecretEnv: string;
}

/** Paths inside the container. */
export const PEERTUBE_FILES = {
  localConfig: "/config/local-production.yaml",
  entrypoint: "/socle/entrypoint.sh",
  configure: "/socle/configure.sh",
  imageEntrypoint: "/usr/local/bin/entrypoint.sh",
} as const;

export function renderPeertubeEntrypoint(): string {
  return [
    "#!/bin/sh",
    "# Rendered by Socle (templates/peertube-config.ts): runs the configurator in",
    "# the background, then the image's own entrypoint, unchanged.",
    "set -eu",
    `"${PEERTUBE_FILES.configure}" &`,
    `exec ${PEERTUBE_FILES.imageEntrypoint} "$@"`,
    "",
  ].join("\n");
}

const VERSION_RE = /^[0-9]+\.[0-9]+\.[0-9]+$/;
const CLIENT_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ENV_RE = /^[A-Z_][A-Z0-9_]*$/;

export function validatePeertubeConfigureArgs(a: PeertubeConfigureArgs): void {
  if (!HOST_RE.test(a.hostname))
    throw new Error(`peertube configure: hostname "${a.hostname}" is not a host name`);
  if (!ENV_RE.test(a.clientSecretEnv)) {
    throw new Error(`peertube configure: clientSecretEnv "${a.clientSecretEnv}" is not an env var name`);
  }
  if (a.oidc) {
    if (!HTTPS_URL_RE.test(a.oidc.discoveryUrl)) {
      throw new Error(`peertube configure: discoveryUrl "${a.oidc.discoveryUrl}" is not an https:// URL`);
    }
    if (!CLIENT_RE.test(a.oidc.clientId)) {
      throw new Error(`peertube configure: clientId "${a.oidc.clientId}" is not a client id`);
    }
    if (!isDisplayText(a.oidc.displayName)) {
      throw new Error(
        `peertube configure: displayName ${JSON.stringify(a.oidc.displayName)} is not one line of display text`,
      );
    }
    if (a.oidc.pluginVersion !== undefined && !VERSION_RE.test(a.oidc.pluginVersion)) {
      throw new Error(`peertube configure: pluginVersion "${a.oidc.pluginVersion}" is not x.y.z`);
    }
  }
}

/**
 * The shell lines every PeerTube API job starts with (after `HOSTNAME_PT`,
 * `API`, `log` and `tmp` are set): wait for `/ping`, take the local OAuth
 * client, log in as root with the password from `rootPasswordEnv`, and define
 * `api` (curl with the bearer token). Shared by the configurator, the
 * shared-instance account job (templates/peertube-account.ts) and the follow
 * job (templates/peertube-follow.ts).
 */
export function renderPeertubeLogin(o: { rootPasswordEnv: string; waitTries: number }): string[] {
  return [
    "",
    "# 1. wait for PeerTube (migrations can take minutes on an upgrade)",
    "i=0",
    'until curl -fsS -o /dev/null "$API/ping"; do',
    "  i=$((i + 1))",
    `  if [ "$i" -ge ${o.waitTries} ]; then log "PeerTube did not answer $API/ping in ${(o.waitTries * 5) / 60} min"; exit 1; fi`,
    "  sleep 5",
    "done",
    "",
    "# 2. root token (the local OAuth client is only served for the configured Host)",
    'curl -fsS -H "Host: $HOSTNAME_PT" "$API/oauth-clients/local" >"$tmp/client.json"',
    `client_id="$(node -p 'require(process.argv[1]).client_id' "$tmp/client.json")"`,
    `client_secret="$(node -p 'require(process.argv[1]).client_secret' "$tmp/client.json")"`,
    `printf '%s' "$${o.rootPasswordEnv}" >"$tmp/pw"`,
    'if ! curl -fsS -H "Host: $HOSTNAME_PT" "$API/users/token" \\',
    '  --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$client_secret" \\',
    "  --data-urlencode grant_type=password --data-urlencode username=root \\",
    '  --data-urlencode "password@$tmp/pw" >"$tmp/token.json"; then',
    '  log "cannot log in as root (was its password changed in the UI?); nothing configured"',
    "  exit 1",
    "fi",
    `token="$(node -p 'require(process.argv[1]).access_token' "$tmp/token.json")"`,
    'printf \'Authorization: Bearer %s\\n\' "$token" >"$tmp/auth"',
    'api() { curl -fsS -H "Host: $HOSTNAME_PT" -H @"$tmp/auth" -H "Content-Type: application/json" "$@"; }',
  ];
}

/** `/socle/configure.sh` (bash; curl and node are in the official image). */
export function renderPeertubeConfigure(a: PeertubeConfigureArgs): string {
  validatePeertubeConfigureArgs(a);
  const L: string[] = [
    "#!/bin/bash",
    "# Rendered by Socle (templates/peertube-config.ts). Idempotent; runs at every start.",
    "# Secrets come from the environment: PT_INITIAL_ROOT_PASSWORD and the OIDC client secret.",
    "set -euo pipefail",
    `HOSTNAME_PT=${shq(a.hostname)}`,
    'API="${SOCLE_PEERTUBE_API:-http://127.0.0.1:9000/api/v1}"',
    'log() { echo "socle configure: $*"; }',
    'tmp="$(mktemp -d)"',
    "trap 'rm -rf \"$tmp\"' EXIT",
    ...renderPeertubeLogin({ rootPasswordEnv: "PT_INITIAL_ROOT_PASSWORD", waitTries: 180 }),
  ];
  if (a.oidc) {
    const install = JSON.stringify(
      a.oidc.pluginVersion
        ? { npmName: OIDC_PLUGIN, pluginVersion: a.oidc.pluginVersion }
        : { npmName: OIDC_PLUGIN },
    );
    L.push(
      "",
      "# 3. the auth-openid-connect plugin (installed from the npm registry by PeerTube itself)",
      `if ! api -o /dev/null "$API/plugins/${OIDC_PLUGIN}" 2>/dev/null; then`,
      `  if api -X POST "$API/plugins/install" --data ${shq(install)} -o /dev/null; then`,
      `    log "installed ${OIDC_PLUGIN}"`,
      "  else",
      `    log "cannot install ${OIDC_PLUGIN} (no access to the npm registry?); SSO is off until the next start"`,
      "    exit 1",
      "  fi",
      "fi",
      `export SOCLE_DISCOVER_URL=${shq(a.oidc.discoveryUrl)}`,
      `export SOCLE_CLIENT_ID=${shq(a.oidc.clientId)}`,
      `export SOCLE_DISPLAY_NAME=${shq(a.oidc.displayName)}`,
      `export SOCLE_SECRET_ENV=${shq(a.clientSecretEnv)}`,
      "node -e '",
      "  const e = process.env;",
      "  process.stdout.write(JSON.stringify({ settings: {",
      '    "auth-display-name": e.SOCLE_DISPLAY_NAME,',
      '    "discover-url": e.SOCLE_DISCOVER_URL,',
      '    "client-id": e.SOCLE_CLIENT_ID,',
      '    "client-secret": e[e.SOCLE_SECRET_ENV] || "",',
      '    "scope": "openid email profile",',
      '    "username-property": "preferred_username",',
      '    "mail-property": "email",',
      '    "display-name-property": "name",',
      '    "signature-algorithm": "RS256"',
      "  } }));",
      `' >"$tmp/settings.json"`,
      `api -X PUT "$API/plugins/${OIDC_PLUGIN}/settings" --data @"$tmp/settings.json" -o /dev/null`,
      `log "configured ${OIDC_PLUGIN} for $SOCLE_CLIENT_ID"`,
    );
  }
  L.push("", 'log "done"', "");
  return L.join("\n");
}
