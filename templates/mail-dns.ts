/**
 * Mail server files and DNS records, by pure functions:
 * - the DNS records a town publishes for its mail domain (MX, SPF, DKIM, DMARC);
 * - DKIM: the public TXT value derived from the key (node:crypto), and
 *   the rspamd `dkim_signing.conf` docker-mailserver reads from its config volume;
 * - `generateDkimKey()`: a fresh 2048-bit RSA key (Mail now generates its own with
 *   `tls.PrivateKey`; this remains for a DSI who prefers to keep the key in the config).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

export interface DnsRecord {
  /** Fully qualified name, without the trailing dot. */
  name: string;
  type: "MX" | "TXT";
  value: string;
  priority?: number;
}

export interface MailDnsArgs {
  /** The mail domain (addresses `user@<mailDomain>`). */
  mailDomain: string;
  /** The mail host's FQDN (MX target), e.g. `mail.<domain>`. */
  mailHost: string;
  dkimSelector: string;
  /** `v=DKIM1; …` when the key is known at deploy time; absent: read it from the server. */
  dkimValue?: string;
  /** DMARC policy; default `quarantine`. */
  dmarcPolicy?: "none" | "quarantine" | "reject";
}

/** The four records, in this order: MX, SPF, DKIM (when known), DMARC. */
export function mailDnsRecords(args: MailDnsArgs): DnsRecord[] {
  const records: DnsRecord[] = [
    { name: args.mailDomain, type: "MX", priority: 10, value: `${args.mailHost}.` },
    { name: args.mailDomain, type: "TXT", value: "v=spf1 mx -all" },
  ];
  if (args.dkimValue !== undefined) {
    records.push({
      name: `${args.dkimSelector}._domainkey.${args.mailDomain}`,
      type: "TXT",
      value: args.dkimValue,
    });
  }
  records.push({
    name: `_dmarc.${args.mailDomain}`,
    type: "TXT",
    value: `v=DMARC1; p=${args.dmarcPolicy ?? "quarantine"}; rua=mailto:postmaster@${args.mailDomain}; adkim=s; aspf=s`,
  });
  return records;
}

/**
 * `v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>` for a PEM RSA key: the private
 * key, or its public half (`tls.PrivateKey`'s `publicKeyPem`); exact errors.
 */
export function dkimTxtValue(pem: string): string {
  const isPublic = /-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem);
  const which = isPublic ? "public" : "private";
  let key: KeyObject;
  try {
    key = isPublic ? createPublicKey(pem) : createPrivateKey(pem);
  } catch {
    throw new Error(`DKIM: the ${which} key is not a PEM ${which} key`);
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new Error(`DKIM: the ${which} key is ${key.asymmetricKeyType ?? "unknown"}, not rsa`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 1024) throw new Error(`DKIM: the RSA key has ${bits} bits, at least 1024 (2048 advised)`);
  const der = (isPublic ? key : createPublicKey(key)).export({ type: "spki", format: "der" });
  return `v=DKIM1; k=rsa; p=${der.toString("base64")}`;
}

/** A new 2048-bit RSA key (PKCS#8 PEM). Not pure: run it once and store the result as a secret. */
export function generateDkimKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Where docker-mailserver's rspamd finds the key (inside its config volume). */
export function dkimKeyPath(mailDomain: string, selector: string): string {
  return `/tmp/docker-mailserver/rspamd/dkim/rsa-2048-${selector}-${mailDomain}.private.txt`;
}

/** rspamd `dkim_signing.conf` (docker-mailserver: `rspamd/override.d/`), signing one domain. */
export function renderDkimSigningConf(mailDomain: string, selector: string): string {
  return [
    "# Rendered by Socle (templates/mail-dns.ts): DKIM signing for one domain.",
    "enabled = true;",
    "sign_authenticated = true;",
    "sign_local = true;",
    "try_fallback = false;",
    'use_domain = "header";',
    "use_redis = false;",
    "use_esld = true;",
    "check_pubkey = true;",
    "domain {",
    `  ${mailDomain} {`,
    `    path = "${dkimKeyPath(mailDomain, selector)}";`,
    `    selector = "${selector}";`,
    "  }",
    "}",
    "",
  ].join("\n");
}
