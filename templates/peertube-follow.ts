/**
 * The script of a PeerTube's follow job (`<tenant>-peertube-follow`,
 * components/apps/peertube.ts): a one-shot container of the PeerTube image on
 * the tenant's web network that logs in as root through the instance's REST API (the
 * login block shared with the configurator and the account job,
 * `renderPeertubeLogin`) and asks it to follow the sibling instances.
 *
 * Why a job and not the instance's configurator: the list names every other
 * town of an EPCI, so it changes whenever a town joins. In the configurator
 * it would change the instance container's uploads, and the Docker provider
 * would replace (restart) every town's PeerTube; in a job only the job is
 * replaced. Pure render; bash with curl and node (both in the image); the
 * root password comes from the environment, never the text.
 */
import { renderPeertubeLogin } from "./peertube-config.js";
import { shellQuote as shq } from "./shell.js";
import { HOST_RE } from "./checks.js";

export interface PeertubeFollowArgs {
  /** `PEERTUBE_WEBSERVER_HOSTNAME` of the instance (the local OAuth client is served for it). */
  hostname: string;
  /** Internal API base, e.g. `http://demo-peertube:9000/api/v1`. */
  api: string;
  /** Instances to follow (host names, no scheme). At least one. */
  follow: string[];
}

export const PEERTUBE_FOLLOW_ENV = { rootPassword: "PT_ROOT_PASSWORD" } as const;
/** Where the job's script is uploaded (its entrypoint runs it with bash). */
export const PEERTUBE_FOLLOW_SCRIPT = "/socle/follow.sh";

/** Throws an exact message for the first invalid input. */
export function validatePeertubeFollowArgs(a: PeertubeFollowArgs): void {
  if (!HOST_RE.test(a.hostname))
    throw new Error(`peertube follow: hostname "${a.hostname}" is not a host name`);
  if (!/^http:\/\/[a-z0-9.-]+:\d{1,5}\/api\/v1$/.test(a.api)) {
    throw new Error(`peertube follow: api "${a.api}" is not http://<container>:<port>/api/v1`);
  }
  if (a.follow.length === 0) throw new Error("peertube follow: nothing to follow (no job is needed then)");
  for (const h of a.follow) {
    if (!HOST_RE.test(h)) throw new Error(`peertube follow: follow "${h}" is not a host name`);
    if (h === a.hostname) throw new Error(`peertube follow: an instance cannot follow itself (${h})`);
  }
}

/** `/socle/follow.sh` (bash). Idempotent: following an instance again changes nothing. */
export function renderPeertubeFollow(a: PeertubeFollowArgs): string {
  validatePeertubeFollowArgs(a);
  const body = JSON.stringify({ hosts: [...new Set(a.follow)].sort() });
  return [
    "#!/bin/bash",
    "# Rendered by Socle (templates/peertube-follow.ts). Idempotent; run again when the list changes.",
    `# Secret from the environment: ${PEERTUBE_FOLLOW_ENV.rootPassword}.`,
    "set -euo pipefail",
    `HOSTNAME_PT=${shq(a.hostname)}`,
    `API=${shq(a.api)}`,
    'log() { echo "socle peertube follow: $*"; }',
    'tmp="$(mktemp -d)"',
    "trap 'rm -rf \"$tmp\"' EXIT",
    ...renderPeertubeLogin({ rootPasswordEnv: PEERTUBE_FOLLOW_ENV.rootPassword, waitTries: 120 }),
    "",
    "# 3. follow the sibling instances (already-followed hosts are refused: not an error)",
    `if api -X POST "$API/server/following" --data ${shq(body)} -o /dev/null; then`,
    '  log "following requested"',
    "else",
    '  log "follow request refused (already following?)"',
    "fi",
    'log "done"',
    "",
  ].join("\n");
}
