/**
 * The job that gives a member town its own account and channel on the EPCI's
 * shared PeerTube (`socle:apps:PeerTubeChannel`). Pure render; the script is
 * bash with curl and node, both in the official PeerTube image, and talks to
 * the instance's REST API on the internal network. Idempotent: creates the
 * user (with its channel) when missing, otherwise resets its password to the
 * stack's secret and its email. Secrets arrive as env vars, never in the text.
 */
import { renderPeertubeLogin } from "./peertube-config.js";
import { HOST_RE, isDisplayText, isEmail } from "./checks.js";
import { shellQuote as shq } from "./shell.js";

export interface PeertubeAccountArgs {
  /** `PEERTUBE_WEBSERVER_HOSTNAME` of the shared instance (the local OAuth client is served for it). */
  hostname: string;
  /** Internal API base, e.g. `http://shared-peertube:9000/api/v1`. */
  api: string;
  username: string;
  email: string;
  /** The channel's handle and display name. */
  channel: string;
  channelDisplayName: string;
}

export const PEERTUBE_ACCOUNT_ENV = {
  rootPassword: "PT_ROOT_PASSWORD",
  password: "SOCLE_ACCOUNT_PASSWORD",
} as const;

const NAME_RE = /^[a-z0-9_.]{1,50}$/;

export function validatePeertubeAccountArgs(a: PeertubeAccountArgs): void {
  if (!HOST_RE.test(a.hostname))
    throw new Error(`peertube account: hostname "${a.hostname}" is not a host name`);
  if (!/^http:\/\/[a-z0-9.-]+:\d{1,5}\/api\/v1$/.test(a.api)) {
    throw new Error(`peertube account: api "${a.api}" is not http://<container>:<port>/api/v1`);
  }
  if (!NAME_RE.test(a.username))
    throw new Error(`peertube account: username "${a.username}" must match [a-z0-9_.]{1,50}`);
  if (!NAME_RE.test(a.channel))
    throw new Error(`peertube account: channel "${a.channel}" must match [a-z0-9_.]{1,50}`);
  if (a.channel === a.username)
    throw new Error(`peertube account: channel "${a.channel}" must differ from the username`);
  if (!isEmail(a.email)) {
    throw new Error(`peertube account: email "${a.email}" is not an address`);
  }
  // Any town's name (accents, apostrophes, quotes): the script single-quotes it as data.
  if (!isDisplayText(a.channelDisplayName)) {
    throw new Error(
      `peertube account: channelDisplayName ${JSON.stringify(a.channelDisplayName)} is not one line of display text`,
    );
  }
}

export function renderPeertubeAccount(a: PeertubeAccountArgs): string {
  validatePeertubeAccountArgs(a);
  const E = PEERTUBE_ACCOUNT_ENV;
  return [
    "#!/bin/bash",
    "# Rendered by Socle (templates/peertube-account.ts). Idempotent.",
    `# Secrets from the environment: ${E.rootPassword}, ${E.password}.`,
    "set -euo pipefail",
    `HOSTNAME_PT=${shq(a.hostname)}`,
    `API=${shq(a.api)}`,
    `export SOCLE_USERNAME=${shq(a.username)} SOCLE_EMAIL=${shq(a.email)}`,
    "# shellcheck disable=SC1112 # a town's name may hold a typographic apostrophe, quoted as data",
    `export SOCLE_CHANNEL=${shq(a.channel)} SOCLE_CHANNEL_NAME=${shq(a.channelDisplayName)}`,
    'log() { echo "socle peertube account: $*"; }',
    'tmp="$(mktemp -d)"',
    "trap 'rm -rf \"$tmp\"' EXIT",
    ...renderPeertubeLogin({ rootPasswordEnv: E.rootPassword, waitTries: 120 }),
    "",
    "# 3. the town's user (role User) and its channel; the password is the stack's secret",
    'api "$API/users?search=$SOCLE_USERNAME&count=100" >"$tmp/users.json"',
    'id="$(node -p \'const u = require(process.argv[1]).data.find((x) => x.username === process.env.SOCLE_USERNAME); u ? u.id : ""\' "$tmp/users.json")"',
    "node -e '",
    "  const e = process.env;",
    "  process.stdout.write(JSON.stringify({",
    "    username: e.SOCLE_USERNAME, email: e.SOCLE_EMAIL, password: e.SOCLE_ACCOUNT_PASSWORD,",
    "    role: 2, videoQuota: -1, videoQuotaDaily: -1,",
    "    channelName: e.SOCLE_CHANNEL,",
    "  }));",
    `' >"$tmp/user.json"`,
    'if [ -z "$id" ]; then',
    '  api -X POST "$API/users" --data @"$tmp/user.json" -o /dev/null',
    '  log "created $SOCLE_USERNAME with channel $SOCLE_CHANNEL"',
    "  node -e 'process.stdout.write(JSON.stringify({ displayName: process.env.SOCLE_CHANNEL_NAME }))' >\"$tmp/channel.json\"",
    '  api -X PUT "$API/video-channels/$SOCLE_CHANNEL" --data @"$tmp/channel.json" -o /dev/null',
    "else",
    "  node -e 'const e = process.env; process.stdout.write(JSON.stringify({ email: e.SOCLE_EMAIL, password: e.SOCLE_ACCOUNT_PASSWORD }))' >\"$tmp/update.json\"",
    '  api -X PUT "$API/users/$id" --data @"$tmp/update.json" -o /dev/null',
    '  log "updated $SOCLE_USERNAME"',
    "fi",
    'log "done"',
    "",
  ].join("\n");
}
