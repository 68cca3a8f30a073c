/**
 * The Nextcloud configuration script, run by the official image's entrypoint
 * from `/docker-entrypoint-hooks.d/post-installation/` (once, after the
 * install) and `/docker-entrypoint-hooks.d/before-starting/` (on every start),
 * as www-data. Every step is idempotent, so a re-run converges on the
 * declared config (a changed Collabora URL, a rotated client secret) without
 * ever reinstalling. Federated sharing is switched on here; the trusted
 * servers (the EPCI's other towns, a list that grows with the EPCI) are NOT:
 * they are set by a one-shot job (templates/nextcloud-federation.ts), so that
 * a town joining never changes, hence never replaces, this container.
 *
 * Pure and deterministic: the same input renders the same bytes. The OIDC
 * client secret is NOT an input: the script reads it from the container's
 * environment (`SOCLE_OIDC_CLIENT_SECRET`, a Pulumi secret), so the uploaded
 * file holds no secret.
 */
import { shellQuote } from "./shell.js";

/** The two hook folders the same script is uploaded to. */
export const NEXTCLOUD_HOOK_PATHS = [
  "/docker-entrypoint-hooks.d/post-installation/50-socle-config.sh",
  "/docker-entrypoint-hooks.d/before-starting/50-socle-config.sh",
] as const;

/** Environment variable the script reads the OIDC client secret from. */
export const OIDC_SECRET_ENV = "SOCLE_OIDC_CLIENT_SECRET";

export interface NextcloudHooksInput {
  /** Nextcloud's public URL, `https://cloud.…` (for the header comment). */
  url: string;
  /** Collabora wiring; absent (office: false) ⇒ no richdocuments step at all. */
  office?: {
    /** Collabora's public URL, `https://office.…`. */
    wopiUrl: string;
    /** IPs/CIDRs allowed to call the WOPI endpoints (Collabora, as seen through the proxy). */
    wopiAllowlist: string[];
  };
  /** Keycloak wiring through `user_oidc`; absent ⇒ local accounts only. */
  oidc?: {
    /** Provider identifier in Nextcloud (shown on the login button). */
    provider: string;
    clientId: string;
    /** `${issuer}/.well-known/openid-configuration` */
    discoveryUri: string;
  };
  /** `*.localhost` deployments: Caddy's internal CA is not in the image's trust store. */
  insecureTls?: boolean;
  /** `default_phone_region` (ISO 3166-1 alpha-2). */
  phoneRegion: string;
}

const HTTPS_URL = /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;
const CIDR = /^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/;
const IDENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws an exact message for the first invalid input (before anything is rendered). */
export function validateNextcloudHooksInput(input: NextcloudHooksInput): void {
  if (!HTTPS_URL.test(input.url)) throw new Error(`nextcloud hooks: url "${input.url}" is not an https URL`);
  if (!/^[A-Z]{2}$/.test(input.phoneRegion)) {
    throw new Error(`nextcloud hooks: phoneRegion "${input.phoneRegion}" is not an ISO country code`);
  }
  if (input.office) {
    if (!HTTPS_URL.test(input.office.wopiUrl)) {
      throw new Error(`nextcloud hooks: wopiUrl "${input.office.wopiUrl}" is not an https URL`);
    }
    if (input.office.wopiAllowlist.length === 0) {
      throw new Error(
        "nextcloud hooks: wopiAllowlist is empty (Collabora could not reach the WOPI endpoints)",
      );
    }
    for (const c of input.office.wopiAllowlist) {
      if (!CIDR.test(c)) throw new Error(`nextcloud hooks: wopiAllowlist entry "${c}" is not an IP or CIDR`);
    }
  }
  if (input.oidc) {
    if (!IDENT.test(input.oidc.provider)) {
      throw new Error(`nextcloud hooks: oidc provider "${input.oidc.provider}" must match [A-Za-z0-9._-]`);
    }
    if (!IDENT.test(input.oidc.clientId)) {
      throw new Error(`nextcloud hooks: oidc clientId "${input.oidc.clientId}" must match [A-Za-z0-9._-]`);
    }
    if (!HTTPS_URL.test(input.oidc.discoveryUri)) {
      throw new Error(`nextcloud hooks: discoveryUri "${input.oidc.discoveryUri}" is not an https URL`);
    }
  }
}

/** POSIX single-quoting (re-exported from `templates/shell.ts`). */
export { shellQuote };

/** Renders the hook script (bash). */
export function renderNextcloudHook(input: NextcloudHooksInput): string {
  validateNextcloudHooksInput(input);
  const q = shellQuote;
  const l: string[] = [
    "#!/bin/bash",
    `# Socle: configuration of ${input.url}`,
    "# Rendered by templates/nextcloud-hooks.ts. Run by the image's entrypoint as www-data,",
    "# after installation and before every start. Idempotent: safe to re-run.",
    "set -euo pipefail",
    "",
    "occ() {",
    '  php /var/www/html/occ --no-interaction "$@"',
    "}",
    "",
    "# Installs an app from the app store unless present, then enables it.",
    "app_on() {",
    '  if ! occ app:getpath "$1" >/dev/null 2>&1; then',
    '    occ app:install "$1"',
    "  fi",
    '  occ app:enable "$1"',
    "}",
    "",
    "# Background jobs: the cron container runs cron.php every 5 minutes.",
    "occ background:cron",
    `occ config:system:set default_phone_region --value=${q(input.phoneRegion)}`,
    "",
    "# Federated sharing, both ways.",
    "occ config:app:set files_sharing outgoing_server2server_share_enabled --value=yes",
    "occ config:app:set files_sharing incoming_server2server_share_enabled --value=yes",
  ];
  if (input.office) {
    l.push(
      "",
      "# Collabora Online.",
      "app_on richdocuments",
      `occ config:app:set richdocuments wopi_url --value=${q(input.office.wopiUrl)}`,
      `occ config:app:set richdocuments wopi_allowlist --value=${q(input.office.wopiAllowlist.join(","))}`,
    );
    if (input.insecureTls) {
      l.push("occ config:app:set richdocuments disable_certificate_verification --value=yes");
    }
    l.push(
      "# Collabora may still be starting: the URL is set, discovery is fetched again on first use.",
      "if ! occ richdocuments:activate-config; then",
      `  echo "socle: Collabora at ${input.office.wopiUrl} not reachable yet; will retry on next start" >&2`,
      "fi",
    );
  }
  if (input.oidc) {
    l.push("", "# Single sign-on through Keycloak (secret read from the environment).", "app_on user_oidc");
    if (input.insecureTls) {
      l.push("occ config:system:set user_oidc httpclient.allowselfsigned --type=boolean --value=true");
    }
    l.push(
      `occ user_oidc:provider ${q(input.oidc.provider)} \\`,
      `  --clientid=${q(input.oidc.clientId)} \\`,
      `  --clientsecret="\${${OIDC_SECRET_ENV}:?${OIDC_SECRET_ENV} is not set}" \\`,
      `  --discoveryuri=${q(input.oidc.discoveryUri)} \\`,
      "  --unique-uid=0 \\",
      "  --mapping-uid=preferred_username \\",
      "  --mapping-display-name=name \\",
      "  --mapping-email=email \\",
      "  --group-provisioning=1 \\",
      "  --mapping-groups=groups",
    );
  }
  l.push("");
  return l.join("\n");
}
