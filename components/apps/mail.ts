import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import * as tls from "@pulumi/tls";
import {
  dkimKeyPath,
  dkimTxtValue,
  mailDnsRecords,
  renderDkimSigningConf,
  type DnsRecord,
} from "../../templates/mail-dns.js";
import type { SogoMailServer } from "../../templates/sogo-conf.js";
import { MAIL_CERT_FILES, renderMailCertSync } from "../../templates/mail-cert-sync.js";
import { pullImage, serviceContainer, stateVolume } from "../container.js";
import type { Platform } from "../platform/platform.js";
import type { DockerHost } from "../hosts/docker-host.js";
import { imageRef, pinned } from "../versions.js";
import type { KeycloakRealm } from "./keycloak-realm.js";
import { HOST_RE, SLUG_RE } from "../../templates/checks.js";
import { mailNames } from "../names.js";

export const MAIL_DEFAULTS = {
  /** Postfix + Dovecot + rspamd (no ClamAV). */
  memoryMb: 1024,
  dkimSelector: "mail",
  /** The generated DKIM key (`tls.PrivateKey`) when none is given. */
  dkimKey: { algorithm: "RSA", rsaBits: 2048 },
  /** Published on the host: SMTP, submissions, submission, IMAPS, ManageSieve. */
  publishedPorts: [25, 465, 587, 993, 4190],
  imapPort: 143,
  submissionPort: 587,
  sievePort: 4190,
  configDir: "/tmp/docker-mailserver",
  timeZone: "Europe/Paris",
  /** The certificate copier (`<tenant>-mail-certs`: a shell loop). */
  certsMemoryMb: 16,
  /** The mail server's own TLS volume (its certificate and key only), in both containers. */
  tlsDir: "/etc/socle/mail-tls",
  certsScript: "/socle/mail-certs.sh",
} as const;

export interface MailArgs {
  tenant: string;
  /** The mail host's FQDN (`OVERRIDE_HOSTNAME`, MX target), e.g. `mail.<tenant domain>`. */
  hostname: string;
  /** Domain of the addresses (`user@<mailDomain>`), normally the tenant's domain. */
  mailDomain: string;
  platform: Platform;
  /** Dovecot also accepts XOAUTH2/OAUTHBEARER tokens of this realm (what SOGo >= 5.12 sends). */
  realm?: KeycloakRealm;
  /**
   * DKIM private key (PEM, RSA >= 1024 bits; secret), e.g. one generated earlier by
   * `generateDkimKey()` or by `dkimCommand` and kept in the stack config.
   * Absent: Mail generates one (`tls.PrivateKey`, RSA 2048, child `${name}-dkim`),
   * kept in the stack state: it never changes on a re-run.
   */
  dkimPrivateKey?: pulumi.Input<string>;
  dkimSelector?: string;
  /**
   * Certificate for mail.<domain> (SSL_TYPE=manual): the host's proxy certificate
   * (`platform.proxyCertificate(hostname)`: where it is in Caddy's data volume). A
   * copier container (`<tenant>-mail-certs`) mounts that volume read-only and copies
   * this one certificate and key into the mail server's own `<tenant>-mail-tls`
   * volume; the mail server never mounts the proxy's volume. Absent: no TLS (tests only).
   */
  tls?: { volume: docker.Volume; mountPath: string; certPath: string; keyPath: string };
  version?: string;
  memoryMb?: number;
}

/** Pure validation; exact messages, before any child exists. */
export function validateMailArgs(
  args: Omit<MailArgs, "platform" | "realm" | "dkimPrivateKey" | "tls">,
): void {
  if (!SLUG_RE.test(args.tenant)) throw new Error(`Mail: tenant "${args.tenant}" is not a slug`);
  const who = `Mail ${args.tenant}`;
  if (!HOST_RE.test(args.hostname)) {
    throw new Error(`${who}: hostname "${args.hostname}" is not a lower-case domain name`);
  }
  if (!HOST_RE.test(args.mailDomain)) {
    throw new Error(`${who}: mailDomain "${args.mailDomain}" is not a lower-case domain name`);
  }
  if (args.dkimSelector !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(args.dkimSelector)) {
    throw new Error(`${who}: dkimSelector "${args.dkimSelector}" is not a DNS label`);
  }
  if (args.memoryMb !== undefined && (!Number.isInteger(args.memoryMb) || args.memoryMb < 512)) {
    throw new Error(`${who}: memoryMb must be an integer >= 512, got ${args.memoryMb}`);
  }
}

/** Declared memory, MiB, before anything is declared (placement): the server, and the copier with `tls`. */
export function memoryMbFor(args: { memoryMb?: number; tls?: unknown }): number {
  return (args.memoryMb ?? MAIL_DEFAULTS.memoryMb) + (args.tls ? MAIL_DEFAULTS.certsMemoryMb : 0);
}

/** docker-mailserver's environment (sorted), without secrets. */
export function mailEnv(args: {
  hostname: string;
  mailDomain: string;
  introspectionUrl?: string;
  tls?: { certPath: string; keyPath: string };
}): string[] {
  const env: Record<string, string> = {
    ACCOUNT_PROVISIONER: "FILE",
    ENABLE_AMAVIS: "0",
    ENABLE_CLAMAV: "0",
    ENABLE_FAIL2BAN: "0",
    ENABLE_MANAGESIEVE: "1",
    ENABLE_OPENDKIM: "0",
    ENABLE_OPENDMARC: "0",
    ENABLE_POLICYD_SPF: "0",
    ENABLE_POP3: "0",
    ENABLE_RSPAMD: "1",
    ENABLE_SPAMASSASSIN: "0",
    LOG_LEVEL: "info",
    OVERRIDE_HOSTNAME: args.hostname,
    PERMIT_DOCKER: "none",
    POSTMASTER_ADDRESS: `postmaster@${args.mailDomain}`,
    SPOOF_PROTECTION: "1",
    SSL_TYPE: args.tls ? "manual" : "",
    TZ: MAIL_DEFAULTS.timeZone,
  };
  if (args.tls) {
    env.SSL_CERT_PATH = args.tls.certPath;
    env.SSL_KEY_PATH = args.tls.keyPath;
  }
  if (args.introspectionUrl) {
    env.ENABLE_OAUTH2 = "1";
    env.OAUTH2_INTROSPECTION_URL = args.introspectionUrl;
  }
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`);
}

/**
 * Mail — the tenant's mail server (`socle:apps:Mail`): docker-mailserver (Postfix,
 * Dovecot, rspamd), the one app that publishes ports (25, 465, 587, 993, 4190).
 *
 * Accounts: docker-mailserver's FILE provisioner (`setup email add`). Login: the
 * account password, and with a realm also the realm's access tokens (XOAUTH2 /
 * OAUTHBEARER, validated against the realm's userinfo endpoint): what SOGo >= 5.12
 * sends. DKIM: rspamd signs with the key given in args, or else with a key Mail
 * generates (`tls.PrivateKey`, RSA 2048, secret in the state), uploaded into the
 * config volume with its `dkim_signing.conf`. TLS: the proxy's certificate for the
 * mail host (`tls`), copied alone (with its key) by a copier on no network into the
 * mail server's own `<tenant>-mail-tls` volume, so the mail server never mounts the
 * proxy's volume (every key of the host); the copier follows renewals and
 * docker-mailserver's change detector re-reads the files. Networks: the tenant's web
 * and back-end networks. Outputs: the DNS records to publish (DKIM from the key's public half),
 * and `endpoints` for SOGo. Backups: the maildirs, the state and the config volumes.
 *
 * Children: `${name}-dkim` (without `dkimPrivateKey`), `${name}-image`, `${name}-data`,
 * `${name}-state`, `${name}-config`, `${name}-tls` and `${name}-certs` (with `tls`),
 * `${name}-server`.
 */
export class Mail extends pulumi.ComponentResource {
  readonly hostname: string;
  readonly mailDomain: string;
  readonly containerName: string;
  readonly memoryMb: number;
  /** What SOGo connects to (on the tenant network). */
  readonly endpoints: { imap: SogoMailServer; smtp: SogoMailServer; sieve: SogoMailServer };
  /** MX, SPF, DKIM, DMARC. */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The generated DKIM key (absent when `dkimPrivateKey` was given). */
  readonly dkimKey?: tls.PrivateKey;
  /** Prints the DKIM record from the key on the server. */
  readonly dkimCommand: string;
  /** Creates a mailbox (the password is asked for). */
  readonly addAccountCommand: string;
  private readonly platformHost: DockerHost;

  constructor(name: string, args: MailArgs, opts?: pulumi.ComponentResourceOptions) {
    validateMailArgs(args);
    const { tenant, platform } = args;
    const host = platform.host;
    if (!host.mail) {
      throw new Error(
        `Mail ${tenant}: host "${host.hostName}" does not open the mail ports (25, 465, 587, 993, 4190); ` +
          `place the tenant on a host with mail: true, or use the town's servers (sogo: {mail: {imap, smtp}})`,
      );
    }
    super("socle:apps:Mail", name, {}, opts);
    this.platformHost = host;
    const version = args.version ?? pinned("mailserver");
    const selector = args.dkimSelector ?? MAIL_DEFAULTS.dkimSelector;
    this.hostname = args.hostname;
    this.mailDomain = args.mailDomain;
    const names = mailNames(tenant);
    this.containerName = names.app;
    this.memoryMb = memoryMbFor(args);
    const tlsMode = args.tls ? "starttls" : "none";
    this.endpoints = {
      imap: { host: this.containerName, port: MAIL_DEFAULTS.imapPort, tls: tlsMode },
      smtp: { host: this.containerName, port: MAIL_DEFAULTS.submissionPort, tls: tlsMode },
      sieve: { host: this.containerName, port: MAIL_DEFAULTS.sievePort, tls: tlsMode },
    };
    // The same value as the DKIM record of `dnsRecords`, read from the key on the server.
    this.dkimCommand =
      `docker exec ${this.containerName} sh -c 'printf "v=DKIM1; k=rsa; p=%s\\n" ` +
      `"$(openssl pkey -in ${dkimKeyPath(args.mailDomain, selector)} -pubout -outform DER | base64 -w0)"'`;
    this.addAccountCommand = `docker exec -it ${this.containerName} setup email add <user>@${args.mailDomain}`;

    let dkimKey: pulumi.Output<string>;
    if (args.dkimPrivateKey !== undefined) {
      dkimKey = pulumi.secret(args.dkimPrivateKey);
      // The records hold only the PUBLIC half of the key: derived from the secret, made
      // public on purpose so `pulumi stack output` shows what to publish.
      this.dnsRecords = pulumi.unsecret(dkimKey.apply((pem) => this.records(args, selector, pem)));
    } else {
      const key = new tls.PrivateKey(`${name}-dkim`, { ...MAIL_DEFAULTS.dkimKey }, { parent: this });
      this.dkimKey = key;
      dkimKey = pulumi.secret(key.privateKeyPem);
      this.dnsRecords = key.publicKeyPem.apply((pem) => this.records(args, selector, pem));
    }

    const image = pullImage(`${name}-image`, host, imageRef("mailserver", version), { parent: this });
    const vol = (part: "data" | "state" | "config") => {
      const volumeName = names.volume(part);
      return {
        volumeName,
        volume: stateVolume(`${name}-${part}`, host, volumeName, tenant, { parent: this }),
      };
    };
    const data = vol("data");
    const state = vol("state");
    const config = vol("config");

    const introspectionUrl = args.realm
      ? `${args.realm.issuerUrl}/protocol/openid-connect/userinfo`
      : undefined;
    const nets = platform.tenantNetworks(tenant);
    const certs = args.tls ? this.certCopier(name, args.tls, image, tenant) : undefined;
    const uploads: { file: string; content: pulumi.Input<string> }[] = [
      { file: dkimKeyPath(args.mailDomain, selector), content: dkimKey },
      {
        file: `${MAIL_DEFAULTS.configDir}/rspamd/override.d/dkim_signing.conf`,
        content: renderDkimSigningConf(args.mailDomain, selector),
      },
    ];
    serviceContainer(
      `${name}-server`,
      {
        host,
        containerName: this.containerName,
        image,
        memoryMb: args.memoryMb ?? MAIL_DEFAULTS.memoryMb,
        labels: {
          tenant,
          service: "mail",
          role: "mail",
          version,
          volumes: [data.volumeName, state.volumeName, config.volumeName],
          health: "cmd:ss --listening --tcp | grep -q ':smtp'",
        },
        envs: mailEnv({
          hostname: args.hostname,
          mailDomain: args.mailDomain,
          ...(introspectionUrl ? { introspectionUrl } : {}),
          ...(certs ? { tls: certs.paths } : {}),
        }),
        networks: [{ network: nets.web }, { network: nets.back }],
        volumes: [
          { volume: data.volume, containerPath: "/var/mail" },
          { volume: state.volume, containerPath: "/var/mail-state" },
          { volume: config.volume, containerPath: MAIL_DEFAULTS.configDir },
          ...(certs ? [{ volume: certs.volume, containerPath: MAIL_DEFAULTS.tlsDir, readOnly: true }] : []),
        ],
        uploads,
        ports: MAIL_DEFAULTS.publishedPorts.map((p) => ({ internal: p, external: p })),
      },
      { parent: this, ...(certs ? { dependsOn: [certs.copier] } : {}) },
    );
    this.registerOutputs({
      hostname: this.hostname,
      dnsRecords: this.dnsRecords,
      dkimCommand: this.dkimCommand,
    });
  }

  /**
   * The mail server's own TLS volume `<tenant>-mail-tls` and its copier
   * `<tenant>-mail-certs` (no network; the proxy's data volume read-only, the TLS
   * volume read-write; templates/mail-cert-sync.ts), in the mail server's image.
   */
  private certCopier(
    name: string,
    tls: NonNullable<MailArgs["tls"]>,
    image: docker.RemoteImage,
    tenant: string,
  ): { volume: docker.Volume; copier: docker.Container; paths: { certPath: string; keyPath: string } } {
    const host = this.platformHost;
    const volume = stateVolume(`${name}-tls`, host, mailNames(tenant).volume("tls"), tenant, {
      parent: this,
    });
    const dir = MAIL_DEFAULTS.tlsDir;
    const copier = serviceContainer(
      `${name}-certs`,
      {
        host,
        containerName: mailNames(tenant).certs,
        image,
        memoryMb: MAIL_DEFAULTS.certsMemoryMb,
        labels: { tenant, service: "mail", role: "job" },
        networks: [],
        networkMode: "none",
        hosts: null,
        volumes: [
          { volume: tls.volume, containerPath: tls.mountPath, readOnly: true },
          { volume, containerPath: dir },
        ],
        uploads: [
          {
            file: MAIL_DEFAULTS.certsScript,
            content: renderMailCertSync({ sourceCert: tls.certPath, sourceKey: tls.keyPath, targetDir: dir }),
            executable: true,
          },
        ],
        entrypoints: ["/bin/sh", MAIL_DEFAULTS.certsScript],
      },
      { parent: this },
    );
    const paths = { certPath: `${dir}/${MAIL_CERT_FILES.cert}`, keyPath: `${dir}/${MAIL_CERT_FILES.key}` };
    return { volume, copier, paths };
  }

  private records(args: MailArgs, selector: string, pem: string): DnsRecord[] {
    return mailDnsRecords({
      mailDomain: args.mailDomain,
      mailHost: args.hostname,
      dkimSelector: selector,
      dkimValue: dkimTxtValue(pem),
    });
  }
}
