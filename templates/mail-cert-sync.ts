/**
 * The script of a mail server's certificate copier (components/apps/mail.ts):
 * a small container on no network that mounts the proxy's data volume
 * read-only and the mail server's own TLS volume, and copies ONE certificate
 * and its key (the mail host's) from the first to the second whenever they
 * change (first issuance, renewals). The mail server mounts only its own TLS
 * volume: it never sees the other certificates of the host, Caddy's internal
 * CA key or the ACME account key.
 *
 * Each copy goes to a temporary file then `mv` (atomic in the same volume), the
 * key first, mode 0600; docker-mailserver's change detector reloads Postfix and
 * Dovecot when the files change.
 */
export const MAIL_CERT_FILES = { cert: "cert.pem", key: "key.pem" } as const;

export interface MailCertSyncArgs {
  /** The certificate and key in the proxy's data volume, as mounted in the copier. */
  sourceCert: string;
  sourceKey: string;
  /** The mail server's TLS volume, as mounted in the copier. */
  targetDir: string;
  /** Seconds between two checks (default 60). */
  intervalSeconds?: number;
}

const PATH_RE = /^\/[A-Za-z0-9._/-]+$/;

export function validateMailCertSyncArgs(a: MailCertSyncArgs): void {
  for (const p of [a.sourceCert, a.sourceKey, a.targetDir]) {
    if (!PATH_RE.test(p) || p.includes(".."))
      throw new Error(`mail cert sync: "${p}" is not an absolute path`);
  }
  const s = a.intervalSeconds;
  if (s !== undefined && (!Number.isInteger(s) || s < 1 || s > 86400)) {
    throw new Error(`mail cert sync: intervalSeconds ${s} is not between 1 and 86400`);
  }
}

/** `/bin/sh` script (the mail server's own image: Debian, with cmp). */
export function renderMailCertSync(a: MailCertSyncArgs): string {
  validateMailCertSyncArgs(a);
  const dir = a.targetDir.replace(/\/+$/, "");
  return `#!/bin/sh
# Rendered by Socle (templates/mail-cert-sync.ts): copies the mail host's certificate
# and key, and nothing else, from the proxy's data volume into the mail server's.
set -u
src_cert='${a.sourceCert}'
src_key='${a.sourceKey}'
dst_cert='${dir}/${MAIL_CERT_FILES.cert}'
dst_key='${dir}/${MAIL_CERT_FILES.key}'
log() { printf 'socle-mail-certs: %s\\n' "$*"; }
trap 'exit 0' TERM INT

# copy <source> <target> <mode>: when the source exists and differs
copy() {
  [ -f "$1" ] || return 1
  cmp -s "$1" "$2" && return 0
  cp "$1" "$2.tmp" && chmod "$3" "$2.tmp" && mv -f "$2.tmp" "$2" && log "updated $2"
}

while :; do
  if ! copy "$src_key" "$dst_key" 600 || ! copy "$src_cert" "$dst_cert" 644; then
    log "waiting for the proxy's certificate ($src_cert)"
  fi
  sleep ${a.intervalSeconds ?? 60} &
  wait $!
done
`;
}
