/**
 * The script of a Nextcloud's federation job (`<tenant>-nextcloud-federation`,
 * components/apps/nextcloud.ts): a one-shot container of the same image, on
 * the same volumes and with the same database/Redis environment as the app,
 * run as www-data. It waits until the app container has installed Nextcloud
 * (`occ status --output=json`: installed, not in maintenance, no pending
 * database upgrade; bounded), enables the shipped `federation` app and adds
 * every trusted server that is not trusted yet.
 *
 * Why a job and not the app's entrypoint hook: the list names every sibling
 * town of an EPCI, so it changes whenever a town joins. In the hook it would
 * change the app container's uploads, and the Docker provider would replace
 * (restart) every town's Nextcloud; in a job only the job is replaced.
 *
 * Pure and deterministic (servers de-duplicated and sorted); no secret in it.
 */
import { shellQuote } from "./shell.js";

export interface NextcloudFederationInput {
  /** The Nextcloud's own public URL, `https://cloud.…` (header comment, and refused as a trusted server). */
  url: string;
  /** Nextcloud servers to trust (EPCI members), `https://cloud.…`. At least one. */
  trustedServers: string[];
  /** How many times to poll `occ status`, 5 s apart, before giving up (default 120: 10 min). */
  waitTries?: number;
}

/** Where the job's script is uploaded (the job's entrypoint runs it with bash). */
export const NEXTCLOUD_FEDERATION_SCRIPT = "/socle/nextcloud-federation.sh";

export const NEXTCLOUD_FEDERATION_DEFAULTS = { waitTries: 120, intervalSeconds: 5 } as const;

const HTTPS_URL = /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;

/** Throws an exact message for the first invalid input (before anything is rendered). */
export function validateNextcloudFederationInput(input: NextcloudFederationInput): void {
  if (!HTTPS_URL.test(input.url)) {
    throw new Error(`nextcloud federation: url "${input.url}" is not an https URL`);
  }
  if (input.trustedServers.length === 0) {
    throw new Error("nextcloud federation: trustedServers is empty (no job is needed then)");
  }
  for (const s of input.trustedServers) {
    if (!HTTPS_URL.test(s))
      throw new Error(`nextcloud federation: trusted server "${s}" is not an https URL`);
    if (s === input.url) throw new Error(`nextcloud federation: a server cannot trust itself (${s})`);
  }
  const tries = input.waitTries;
  if (tries !== undefined && (!Number.isInteger(tries) || tries < 1 || tries > 10_000)) {
    throw new Error(`nextcloud federation: waitTries must be an integer from 1 to 10000, got ${tries}`);
  }
}

/**
 * Exit 0 when `occ status --output=json` on stdin says installed, not in
 * maintenance, no database upgrade pending. PHP (in the image); no single quote.
 */
export const NEXTCLOUD_READY_PHP =
  "$s=json_decode((string)stream_get_contents(STDIN),true);" +
  'exit(is_array($s)&&($s["installed"]??null)===true&&($s["maintenance"]??null)===false' +
  '&&($s["needsDbUpgrade"]??null)===false?0:1);';

/**
 * Adds `$argv[1]` to the federation app's trusted servers unless already
 * there (no `occ` command for it: the app's own service, through PHP).
 * Runs from /var/www/html's code and config. No single quote.
 */
export const NEXTCLOUD_TRUST_SERVER_PHP = [
  'require "/var/www/html/lib/base.php";',
  "    $t = \\OCP\\Server::get(\\OCA\\Federation\\TrustedServers::class);",
  "    if (!$t->isTrustedServer($argv[1])) { $t->addServer($argv[1]); }",
].join("\n");

/** Renders the job's script (bash). */
export function renderNextcloudFederation(input: NextcloudFederationInput): string {
  validateNextcloudFederationInput(input);
  const q = shellQuote;
  const tries = input.waitTries ?? NEXTCLOUD_FEDERATION_DEFAULTS.waitTries;
  const every = NEXTCLOUD_FEDERATION_DEFAULTS.intervalSeconds;
  const servers = [...new Set(input.trustedServers)].sort();
  return [
    "#!/bin/bash",
    `# Socle: trusted federation servers of ${input.url}`,
    "# Rendered by templates/nextcloud-federation.ts. Run as www-data by the one-shot job",
    "# <tenant>-nextcloud-federation (the app's image, volumes and database env), again",
    "# whenever the list changes. Idempotent: a server already trusted is left alone.",
    "set -euo pipefail",
    "",
    "occ() {",
    '  php /var/www/html/occ --no-interaction "$@"',
    "}",
    'log() { echo "socle nextcloud federation: $*"; }',
    "",
    "# Installed, not in maintenance, no database upgrade pending (read from occ status).",
    "ready() {",
    "  local status",
    '  status="$(occ status --output=json 2>/dev/null)" || return 1',
    "  # shellcheck disable=SC2016 # PHP code, not shell expansions",
    `  printf '%s' "$status" | php -r '${NEXTCLOUD_READY_PHP}'`,
    "}",
    "",
    "# 1. wait for the app container to install (or upgrade) Nextcloud",
    "i=0",
    "until ready; do",
    "  i=$((i + 1))",
    `  if [ "$i" -ge ${tries} ]; then`,
    `    log "Nextcloud is not installed and ready after ${tries} checks ${every} s apart; nothing trusted"`,
    "    exit 1",
    "  fi",
    `  sleep ${every}`,
    "done",
    "",
    "# 2. the federation app (shipped with Nextcloud) and the servers",
    "occ app:enable federation >/dev/null",
    "trust_server() {",
    "  # shellcheck disable=SC2016 # PHP code, not shell expansions",
    `  php -r '${NEXTCLOUD_TRUST_SERVER_PHP}' -- "$1"`,
    "}",
    ...servers.map((s) => `trust_server ${q(s)}`),
    `log "${servers.length} trusted server(s) in place"`,
    "",
  ].join("\n");
}
