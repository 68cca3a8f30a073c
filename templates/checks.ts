/**
 * The value rules shared by the stack config reader (stacks/config-checks.ts),
 * the components' `validate*Args` and the templates' validators: ONE definition
 * of each rule, so that a value the config reader accepts is never refused
 * later by a component, after resources were declared.
 *
 * Pure predicates only (no message wording: each caller words its own):
 * names, e-mails, text, SQL identifiers, user names, SSH keys, URLs (HTTPS
 * endpoints, Docker engines, credentials and their redaction).
 */

/** A host name (FQDN): at least two RFC 1123 labels (1 to 63 of a-z, 0-9, -), 253 at most. */
export const HOST_RE =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** A tenant or site slug: a-z, 0-9 and -, not starting or ending with -. */
export const SLUG_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Longest host name DNS (and every app) accepts. */
export const MAX_HOST_NAME = 253;

const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A top-level label every app takes in an e-mail domain: letters (2 or more), or an IDN (`xn--…`). */
const TLD_RE = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** One RFC 1123 label: 1 to 63 of a-z, 0-9 and -, not starting or ending with -. */
export function isLabel(s: string): boolean {
  return LABEL_RE.test(s);
}

/** A host name (`HOST_RE`): what the proxy, the certificates and the apps serve. */
export function isHostName(s: string): boolean {
  return HOST_RE.test(s);
}

/**
 * A domain name Socle serves and sends mail from: a host name whose last label
 * is letters (2 or more) or an IDN `xn--…` (so that `admin@<domain>` is an
 * address PeerTube, WordPress and Let's Encrypt accept too).
 */
export function isDomain(s: string): boolean {
  return isHostName(s) && TLD_RE.test(s.slice(s.lastIndexOf(".") + 1));
}

/** RFC 5322 `atext`, the characters of a dot-atom local part (WordPress's is_email() takes the same). */
const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * An e-mail address every app takes: an RFC 5322 dot-atom local part of 1 to
 * 64 characters (no quoted strings, no comments), `@`, and a domain name
 * (`isDomain`, letters compared in lower case); at least 6 characters in all,
 * as WordPress's is_email() requires, and at most 254 (RFC 5321).
 *
 * WordPress's is_email() (wp-includes/formatting.php) accepts a local part of
 * atext and dots, a domain of at least two dot-separated subs of a-z, 0-9 and
 * inner hyphens, and 6 characters or more: every address accepted here.
 */
export function isEmail(s: string): boolean {
  if (s.length < 6 || s.length > 254) return false;
  const at = s.lastIndexOf("@");
  if (at < 1) return false;
  const local = s.slice(0, at);
  return local.length <= 64 && LOCAL_RE.test(local) && isDomain(s.slice(at + 1).toLowerCase());
}

/**
 * The ACME contact in the Caddyfile's global options: an e-mail address
 * (`isEmail`) that Caddy reads as one literal token (no `{`/`}`, which Caddy
 * takes for placeholders, and no leading `#`, which starts a comment).
 */
export function isCaddyEmail(s: string): boolean {
  return isEmail(s) && !/[{}]/.test(s) && !s.startsWith("#");
}

/** Longest name or title (a PeerTube channel's display name takes 120 characters at most). */
export const MAX_DISPLAY_TEXT = 120;

/**
 * Characters no name or title may hold: controls (C0, DEL, C1: newlines,
 * tabs, escapes), lone surrogates, the line and paragraph separators, and the
 * bidirectional marks, embeddings, overrides and isolates (which make text
 * read differently from what it is).
 */
const FORBIDDEN_IN_TEXT = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/**
 * A name or title shown to users (a town's name, a site's title): one line of
 * 1 to 120 characters, not only spaces, without control or bidirectional
 * characters. Accents, apostrophes (straight or typographic), quotes and any
 * other printable character are fine: every renderer quotes them.
 */
export function isDisplayText(s: string): boolean {
  const length = [...s].length;
  return s.trim().length > 0 && length <= MAX_DISPLAY_TEXT && !FORBIDDEN_IN_TEXT.test(s);
}

/** Keycloak's own administration realm: no tenant may be named so. */
export const KEYCLOAK_ADMIN_REALM = "master";

/** A database or user name on the shared servers: a lower-case SQL identifier of 63 characters at most. */
export const SQL_IDENTIFIER_RE = /^[a-z_][a-z0-9_]{0,62}$/;
export const MAX_SQL_IDENTIFIER = 63;

export function isSqlIdentifier(s: string): boolean {
  return SQL_IDENTIFIER_RE.test(s);
}

/** A Linux user name cloud-init creates: lower case, `[a-z_][a-z0-9_-]*`, 32 characters at most. */
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * Accounts and groups a Debian 12 host (with Docker, nftables, the guest agent
 * and unattended-upgrades) already has or reserves: the admin user must be a
 * new account of its own, never one of these (`root` logs in nowhere; `nobody`
 * owns nothing; `docker` is the group the admin user joins).
 */
export const SYSTEM_ACCOUNTS: readonly string[] = [
  "root",
  "daemon",
  "bin",
  "sys",
  "sync",
  "games",
  "man",
  "lp",
  "mail",
  "news",
  "uucp",
  "proxy",
  "www-data",
  "backup",
  "list",
  "irc",
  "gnats",
  "nobody",
  "nogroup",
  "_apt",
  "adm",
  "tty",
  "disk",
  "kmem",
  "dialout",
  "fax",
  "voice",
  "cdrom",
  "floppy",
  "tape",
  "sudo",
  "audio",
  "dip",
  "operator",
  "src",
  "shadow",
  "utmp",
  "video",
  "sasl",
  "plugdev",
  "staff",
  "users",
  "input",
  "kvm",
  "render",
  "sgx",
  "crontab",
  "netdev",
  "ssh",
  "_ssh",
  "sshd",
  "messagebus",
  "polkitd",
  "tss",
  "uuidd",
  "tcpdump",
  "_chrony",
  "ntp",
  "docker",
  "systemd-journal",
  "systemd-network",
  "systemd-resolve",
  "systemd-timesync",
  "systemd-coredump",
];

/** A user name cloud-init can create as the host's admin (`USER_RE`), not a system account. */
export function isAdminUserName(s: string): boolean {
  return USER_RE.test(s) && !SYSTEM_ACCOUNTS.includes(s);
}

/** `host:port`: a host name (one label or more) or an IPv4 address, and a port 1..65535. */
export function isHostPort(s: string): boolean {
  const m = /^([^:]+):(\d{1,5})$/.exec(s);
  if (!m) return false;
  const port = Number(m[2]);
  return m[1]!.split(".").every((l) => LABEL_RE.test(l)) && port >= 1 && port <= 65535;
}

// ---------------------------------------------------------------- IPv4

/** An IPv4 address as an unsigned 32-bit integer, or undefined (no leading zeros: `010.0.0.1` is refused). */
export function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith("0")))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function ipv4String(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

// ---------------------------------------------------------------- SSH keys

/** The length-prefixed fields of an SSH public key blob, or undefined when it does not parse exactly. */
function sshFields(blob: Buffer): Buffer[] | undefined {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return undefined;
    fields.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return fields;
}

/** Bits of an SSH mpint (big-endian, a leading zero byte for a positive number with its top bit set). */
function mpintBits(n: Buffer): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i) * 8 - Math.clz32(n[i]!) + 24;
}

/** Smallest RSA modulus accepted (NIST SP 800-57: 2048 bits are only good until 2030). */
export const MIN_RSA_BITS = 3072;

const KEY_LINE_RE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-(nistp256|nistp384|nistp521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?: [^\s\p{Cc}][^\p{Cc}]*)?$/u;

/**
 * An OpenSSH public key line, `<type> <base64> [comment]`: ssh-ed25519, ssh-rsa,
 * ecdsa-sha2-nistp256/384/521 or the security-key (FIDO) variants, whose blob
 * decodes to a key of that same type with all its fields (a truncated or
 * mixed-up paste is refused), and a comment without control characters.
 * Returns `undefined` for a good key, `"malformed"`, or the bits of an RSA key
 * below `MIN_RSA_BITS`.
 */
export function sshKeyProblem(line: string): "malformed" | { rsaBits: number } | undefined {
  const m = KEY_LINE_RE.exec(line);
  if (!m) return "malformed";
  const type = m[1]!;
  const fields = sshFields(Buffer.from(m[3]!, "base64"));
  if (!fields || fields[0]?.toString("latin1") !== type) return "malformed";
  const ok = (() => {
    if (type === "ssh-ed25519") return fields.length === 2 && fields[1]!.length === 32;
    if (type === "sk-ssh-ed25519@openssh.com") return fields.length === 3 && fields[1]!.length === 32;
    if (type === "ssh-rsa") return fields.length === 3 && fields[2]!.length > 0;
    const curve = m[2] ?? "nistp256";
    const parts = type.startsWith("sk-") ? 4 : 3;
    return fields.length === parts && fields[1]!.toString("latin1") === curve && fields[2]!.length > 0;
  })();
  if (!ok) return "malformed";
  if (type === "ssh-rsa") {
    const rsaBits = mpintBits(fields[2]!);
    if (rsaBits < MIN_RSA_BITS) return { rsaBits };
  }
  return undefined;
}

export function isSshKey(line: string): boolean {
  return sshKeyProblem(line) === undefined;
}

// ---------------------------------------------------------------- URLs

/**
 * An HTTPS endpoint (the Proxmox VE API): `https://host[:port][/path]`, with
 * no user or password in it (the API token is a secret of its own) and no
 * whitespace.
 */
export function isHttpsEndpoint(s: string): boolean {
  if (/[\s\p{Cc}]/u.test(s) || !/^https:\/\/[^/@]+(\/.*)?$/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === "https:" && u.hostname.length > 0 && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}

/** A `scheme://user:password@` authority anywhere in a text (restic URLs: `rest:https://u:p@host/`). */
const URL_PASSWORD_RE = /(:\/\/[^\s/?#@:]*):[^\s/?#@]*@/g;

/** A URL (or any text holding URLs) with a password in its authority (`scheme://user:password@…`). */
export function hasUrlPassword(s: string): boolean {
  return new RegExp(URL_PASSWORD_RE.source).test(s);
}

/** The same text with every URL password replaced by `***` (for messages, logs and CLI output). */
export function redactUrls(s: string): string {
  return s.replace(URL_PASSWORD_RE, "$1:***@");
}

/** What is wrong with a Docker engine address, if anything. */
export type DockerHostProblem = "malformed" | "plain-tcp";

/**
 * A Docker engine address the provider and the CLI may use: `unix:///path`,
 * `ssh://[user@]host[:port]` (no password: keys only), or `tcp://host:port`
 * WITH TLS client certificates (`tls`); plain `tcp://` gives the engine, that
 * is root on the host, to anyone on the network, and is refused.
 */
export function dockerHostProblem(s: string, tls: boolean): DockerHostProblem | undefined {
  if (/^unix:\/\/\/[^\s\p{Cc}]+$/u.test(s)) return undefined;
  if (/^ssh:\/\/(?:[a-z_][a-z0-9_.-]*@)?[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(s)) return undefined;
  if (!/^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(s)) return "malformed";
  return tls ? undefined : "plain-tcp";
}
