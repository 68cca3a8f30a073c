/**
 * sogo.conf (`/etc/sogo/sogo.conf`, a GNUstep property list) rendered by a pure
 * function: same arguments, same bytes (keys sorted), so a re-run shows no diff.
 *
 * Two identity modes, chosen by the SOGo version:
 * - `openid` (SOGo >= 5.12, Alinto's packages): the login page is Keycloak's;
 *   SOGo passes the user's access token to IMAP/SMTP with XOAUTH2.
 * - `sql` (SOGo 5.8, Debian's package): SOGo's own login form; the password is
 *   checked against the `sogo_users` table and reused for IMAP/SMTP.
 * In both modes `SOGoUserSources` is the SQL table `sogo_users` in SOGo's
 * database (user details and address book; with OIDC SOGo looks the token's
 * `email` up there).
 */

/** Where SOGo reaches a mail protocol. `starttls` adds `?tls=YES`; `tls` uses the `s` scheme. */
export interface SogoMailServer {
  host: string;
  port: number;
  tls?: "none" | "starttls" | "tls";
}

export type SogoAuth =
  | { kind: "openid"; discoveryUrl: string; clientId: string; clientSecret: string; scope?: string }
  | { kind: "sql" };

export interface SogoConfArgs {
  /** SOGo version the image runs (decides whether OIDC is available). */
  version: string;
  database: { host: string; port: number; name: string; user: string; password: string };
  memcached: { host: string; port: number };
  imap: SogoMailServer;
  smtp: SogoMailServer;
  /** Whether SOGo authenticates to the SMTP server (submission). Default true. */
  smtpAuth?: boolean;
  sieve?: SogoMailServer;
  /** Domain appended to logins to form e-mail addresses (`SOGoMailDomain`). */
  mailDomain: string;
  auth: SogoAuth;
  /** Table (or view) of users in SOGo's database. Default `sogo_users`. */
  userTable?: string;
  timeZone?: string;
  language?: string;
  superUsers?: string[];
  /** sogod worker processes. Default 3. */
  workers?: number;
}

export const SOGO_CONF_DEFAULTS = {
  userTable: "sogo_users",
  timeZone: "Europe/Paris",
  language: "French",
  workers: 3,
  openIdScope: "openid profile email",
  port: "0.0.0.0:20000",
} as const;

/** The first SOGo release with OpenID Connect login. */
export const SOGO_OIDC_MIN_VERSION = "5.12";

/** Numeric comparison of dotted versions (`5.8.0` < `5.12`); non-numeric suffixes ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+~-]/).map((x) => parseInt(x, 10));
  const pb = b.split(/[.+~-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i] ?? 0) ? 0 : (pa[i] ?? 0);
    const y = Number.isNaN(pb[i] ?? 0) ? 0 : (pb[i] ?? 0);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function sogoSupportsOidc(version: string): boolean {
  return compareVersions(version, SOGO_OIDC_MIN_VERSION) >= 0;
}

/** Throws an exact message when the arguments cannot make a working sogo.conf. */
export function validateSogoConfArgs(args: SogoConfArgs): void {
  if (!/^\d+\.\d+(\.\d+)?/.test(args.version)) {
    throw new Error(`sogo.conf: version "${args.version}" is not a SOGo version (e.g. 5.12.3)`);
  }
  if (args.auth.kind === "openid" && !sogoSupportsOidc(args.version)) {
    throw new Error(
      `sogo.conf: SOGo ${args.version} has no OpenID Connect (needs ${SOGO_OIDC_MIN_VERSION} or newer); use auth "sql"`,
    );
  }
  const table = args.userTable ?? SOGO_CONF_DEFAULTS.userTable;
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new Error(`sogo.conf: userTable "${table}" is not a plain SQL identifier`);
  }
  for (const [what, s] of [
    ["imap", args.imap],
    ["smtp", args.smtp],
    ...(args.sieve ? [["sieve", args.sieve] as const] : []),
  ] as const) {
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
      throw new Error(`sogo.conf: ${what} port ${s.port} is not a TCP port`);
    }
    if (!/^[A-Za-z0-9.-]+$/.test(s.host))
      throw new Error(`sogo.conf: ${what} host "${s.host}" is not a host name`);
  }
}

export type Plist = string | number | boolean | Plist[] | { [key: string]: Plist };

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Serializes a value as an OpenStep property list; dictionary keys sorted. */
export function plist(value: Plist, indent = ""): string {
  const inner = `${indent}  `;
  if (typeof value === "string") return quote(value);
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "YES" : "NO";
  if (Array.isArray(value)) {
    if (value.length === 0) return "()";
    return `(\n${value.map((v) => `${inner}${plist(v, inner)}`).join(",\n")}\n${indent})`;
  }
  const keys = Object.keys(value).sort();
  return `{\n${keys.map((k) => `${inner}${k} = ${plist(value[k]!, inner)};`).join("\n")}\n${indent}}`;
}

function mailUrl(scheme: "imap" | "smtp" | "sieve", s: SogoMailServer): string {
  const tls = s.tls ?? "none";
  if (tls === "tls") return `${scheme}s://${s.host}:${s.port}`;
  return `${scheme}://${s.host}:${s.port}${tls === "starttls" ? "/?tls=YES" : ""}`;
}

/** The sogo.conf settings as a dictionary (what `renderSogoConf` serializes). */
export function sogoConfSettings(args: SogoConfArgs): Record<string, Plist> {
  validateSogoConfArgs(args);
  const db = args.database;
  const base =
    `postgresql://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}` +
    `@${db.host}:${db.port}/${encodeURIComponent(db.name)}`;
  const table = args.userTable ?? SOGO_CONF_DEFAULTS.userTable;
  const oidc = args.auth.kind === "openid";
  const s: Record<string, Plist> = {
    WOPort: SOGO_CONF_DEFAULTS.port,
    WOLogFile: "-",
    WOWorkersCount: args.workers ?? SOGO_CONF_DEFAULTS.workers,
    SOGoProfileURL: `${base}/sogo_user_profile`,
    OCSFolderInfoURL: `${base}/sogo_folder_info`,
    OCSSessionsFolderURL: `${base}/sogo_sessions_folder`,
    OCSEMailAlarmsFolderURL: `${base}/sogo_alarms_folder`,
    OCSStoreURL: `${base}/sogo_store`,
    OCSAclURL: `${base}/sogo_acl`,
    OCSCacheFolderURL: `${base}/sogo_cache_folder`,
    SOGoUserSources: [
      {
        type: "sql",
        id: "users",
        viewURL: `${base}/${table}`,
        canAuthenticate: true,
        isAddressBook: true,
        displayName: "Annuaire",
        userPasswordAlgorithm: "ssha256",
      },
    ],
    SOGoMailDomain: args.mailDomain,
    SOGoIMAPServer: mailUrl("imap", args.imap),
    SOGoSMTPServer: mailUrl("smtp", args.smtp),
    SOGoMailingMechanism: "smtp",
    SOGoMemcachedHost: `${args.memcached.host}:${args.memcached.port}`,
    SOGoTimeZone: args.timeZone ?? SOGO_CONF_DEFAULTS.timeZone,
    SOGoLanguage: args.language ?? SOGO_CONF_DEFAULTS.language,
    SOGoAppointmentSendEMailNotifications: true,
    SOGoEnableEMailAlarms: true,
    SOGoPasswordChangeEnabled: false,
    SOGoMailAuxiliaryUserAccountsEnabled: false,
    SOGoDraftsFolderName: "Drafts",
    SOGoSentFolderName: "Sent",
    SOGoTrashFolderName: "Trash",
    SOGoJunkFolderName: "Junk",
    SOGoIMAPAclConformsToIMAPExt: true,
    SOGoMailShowSubscribedFoldersOnly: false,
    SOGoPageTitle: "SOGo",
    SOGoZipPath: "/usr/bin/zip",
    // ActiveSync: Ping/Sync requests are held up to ~59 minutes; the watchdog must outlast them.
    SOGoMaximumPingInterval: 3540,
    SOGoMaximumSyncInterval: 3540,
    SOGoInternalSyncInterval: 30,
    WOWatchDogRequestTimeout: 60,
  };
  if (args.smtpAuth ?? true) s.SOGoSMTPAuthenticationType = oidc ? "xoauth2" : "PLAIN";
  if (args.sieve) {
    s.SOGoSieveServer = mailUrl("sieve", args.sieve);
    s.SOGoSieveScriptsEnabled = true;
    s.SOGoVacationEnabled = true;
    s.SOGoForwardEnabled = true;
  } else {
    s.SOGoSieveScriptsEnabled = false;
    s.SOGoVacationEnabled = false;
    s.SOGoForwardEnabled = false;
  }
  if (args.superUsers && args.superUsers.length > 0) s.SOGoSuperUsernames = [...args.superUsers].sort();
  if (args.auth.kind === "openid") {
    s.SOGoAuthenticationType = "openid";
    s.SOGoXSRFValidationEnabled = false;
    s.OCSOpenIdURL = `${base}/sogo_openid`;
    s.SOGoOpenIdConfigUrl = args.auth.discoveryUrl;
    s.SOGoOpenIdClient = args.auth.clientId;
    s.SOGoOpenIdClientSecret = args.auth.clientSecret;
    s.SOGoOpenIdScope = args.auth.scope ?? SOGO_CONF_DEFAULTS.openIdScope;
    s.SOGoOpenIdEmailParam = "email";
    s.SOGoOpenIdEnableRefreshToken = true;
    s.SOGoOpenIdLogoutEnabled = true;
    s.NGImap4AuthMechanism = "xoauth2";
    // Mailboxes are e-mail addresses (docker-mailserver accounts; Dovecot's oauth2
    // passdb takes the token's `email`): log in to IMAP/SMTP with the address.
    s.SOGoForceExternalLoginWithEmail = true;
  }
  return s;
}

/** Renders sogo.conf. Contains database (and OIDC client) secrets: upload it as a secret. */
export function renderSogoConf(args: SogoConfArgs): string {
  return `${plist(sogoConfSettings(args))}\n`;
}
