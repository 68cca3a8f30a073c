import { createPublicKey, generateKeyPairSync, verify, sign } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  envOf,
  installMocks,
  labelsOf,
  mockPrivateKeyPems,
  resolve,
  secretPaths,
  settle,
  type Recorder,
} from "./mocks.js";
import type { DockerHost } from "../../components/hosts/docker-host.js";
import { Platform } from "../../components/platform/platform.js";
import { demoSso } from "./fixtures/sso.js";
import { Mail, MAIL_DEFAULTS, mailEnv, memoryMbFor, validateMailArgs } from "../../components/apps/mail.js";
import {
  dkimKeyPath,
  dkimTxtValue,
  generateDkimKey,
  mailDnsRecords,
  renderDkimSigningConf,
} from "../../templates/mail-dns.js";
import { renderMailCertSync } from "../../templates/mail-cert-sync.js";

const upload = (c: { inputs: Record<string, unknown> }) =>
  (c.inputs.uploads as { content: string }[])[0]!.content;

const T = {
  container: "docker:index/container:Container",
  volume: "docker:index/volume:Volume",
  image: "docker:index/remoteImage:RemoteImage",
  key: "tls:index/privateKey:PrivateKey",
};

const DKIM_KEY = generateDkimKey();
let rec: Recorder;
let platform: Platform;
let mail: Mail;
let plain: Mail;
let local: Mail;
let acme: Mail;
beforeAll(async () => {
  rec = await installMocks();
  const sso = demoSso();
  platform = sso.platform;
  const realm = sso.realm;
  mail = new Mail("demo-mail", {
    tenant: "demo",
    hostname: "mail.demo.fr",
    mailDomain: "demo.fr",
    platform,
    realm,
    dkimPrivateKey: DKIM_KEY,
  });
  plain = new Mail("ville-mail", {
    tenant: "ville",
    hostname: "mail.ville.fr",
    mailDomain: "ville.fr",
    platform,
  });
  local = new Mail("tls-mail", {
    tenant: "tls",
    hostname: "mail.tls.localhost",
    mailDomain: "tls.localhost",
    platform,
    tls: platform.proxyCertificate("mail.tls.localhost"),
  });
  acme = new Mail("acme-mail", {
    tenant: "acme",
    hostname: "mail.acme.fr",
    mailDomain: "acme.fr",
    platform,
    tls: platform.proxyCertificate("mail.acme.fr"),
  });
  await settle();
});

describe("Mail under the mock engine", () => {
  it("declares its children with names derived from its own", () => {
    const children = rec.resources
      .filter((r) => r.name.startsWith("demo-mail"))
      .map((r) => `${r.type} ${r.name}`);
    expect(children.sort()).toEqual(
      [
        "socle:apps:Mail demo-mail",
        `${T.image} demo-mail-image`,
        `${T.volume} demo-mail-data`,
        `${T.volume} demo-mail-state`,
        `${T.volume} demo-mail-config`,
        `${T.container} demo-mail-server`,
      ].sort(),
    );
    expect(rec.get(T.image, "demo-mail-image").inputs).toEqual({
      name: "ghcr.io/docker-mailserver/docker-mailserver:15.1.0",
      keepLocally: true,
    });
  });

  it("runs docker-mailserver publishing exactly the mail ports, with backup labels", () => {
    const c = rec.get(T.container, "demo-mail-server");
    expect(c.inputs.name).toBe("demo-mail");
    expect(c.inputs.memory).toBe(1024);
    expect(c.inputs.ports).toEqual([25, 465, 587, 993, 4190].map((p) => ({ internal: p, external: p })));
    // its tenant's web network (egress, SSO) and back-end network (SOGo reaches it there)
    expect(c.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-web" }, { name: "socle-t-demo-back" }]);
    expect(c.inputs.volumes).toEqual([
      { volumeName: "demo-mail-data", containerPath: "/var/mail" },
      { volumeName: "demo-mail-state", containerPath: "/var/mail-state" },
      { volumeName: "demo-mail-config", containerPath: "/tmp/docker-mailserver" },
    ]);
    expect(labelsOf(c)).toEqual({
      "socle.tenant": "demo",
      "socle.service": "mail",
      "socle.role": "mail",
      "socle.version": "15.1.0",
      "socle.backup.volumes": "demo-mail-data,demo-mail-state,demo-mail-config",
      "socle.health": "cmd:ss --listening --tcp | grep -q ':smtp'",
    });
    expect(envOf(c)).toEqual({
      ACCOUNT_PROVISIONER: "FILE",
      ENABLE_AMAVIS: "0",
      ENABLE_CLAMAV: "0",
      ENABLE_FAIL2BAN: "0",
      ENABLE_MANAGESIEVE: "1",
      ENABLE_OAUTH2: "1",
      ENABLE_OPENDKIM: "0",
      ENABLE_OPENDMARC: "0",
      ENABLE_POLICYD_SPF: "0",
      ENABLE_POP3: "0",
      ENABLE_RSPAMD: "1",
      ENABLE_SPAMASSASSIN: "0",
      LOG_LEVEL: "info",
      OAUTH2_INTROSPECTION_URL: "https://sso.demo.localhost/realms/demo/protocol/openid-connect/userinfo",
      OVERRIDE_HOSTNAME: "mail.demo.fr",
      PERMIT_DOCKER: "none",
      POSTMASTER_ADDRESS: "postmaster@demo.fr",
      SPOOF_PROTECTION: "1",
      SSL_TYPE: "",
      TZ: "Europe/Paris",
    });
  });

  it("uploads the DKIM key as a secret with rspamd's signing config, and outputs the four DNS records", async () => {
    const c = rec.get(T.container, "demo-mail-server");
    expect(secretPaths(c.raw)).toEqual(["uploads"]);
    const uploads = c.inputs.uploads as { file: string; content: string }[];
    expect(uploads).toEqual([
      { file: "/tmp/docker-mailserver/rspamd/dkim/rsa-2048-mail-demo.fr.private.txt", content: DKIM_KEY },
      {
        file: "/tmp/docker-mailserver/rspamd/override.d/dkim_signing.conf",
        content: renderDkimSigningConf("demo.fr", "mail"),
      },
    ]);
    expect(await pulumi.isSecret(mail.dnsRecords)).toBe(false);
    const records = await resolve(mail.dnsRecords);
    expect(records).toEqual([
      { name: "demo.fr", type: "MX", priority: 10, value: "mail.demo.fr." },
      { name: "demo.fr", type: "TXT", value: "v=spf1 mx -all" },
      { name: "mail._domainkey.demo.fr", type: "TXT", value: dkimTxtValue(DKIM_KEY) },
      {
        name: "_dmarc.demo.fr",
        type: "TXT",
        value: "v=DMARC1; p=quarantine; rua=mailto:postmaster@demo.fr; adkim=s; aspf=s",
      },
    ]);
    expect(mail.endpoints).toEqual({
      imap: { host: "demo-mail", port: 143, tls: "none" },
      smtp: { host: "demo-mail", port: 587, tls: "none" },
      sieve: { host: "demo-mail", port: 4190, tls: "none" },
    });
  });

  it("without a DKIM key: generates one (tls.PrivateKey RSA 2048), uploads it as a secret, publishes its record", async () => {
    const key = rec.get(T.key, "ville-mail-dkim");
    expect(key.inputs).toEqual({ algorithm: "RSA", rsaBits: 2048 });
    expect(key.parent).toBe(rec.get("socle:apps:Mail", "ville-mail").urn);
    expect(rec.byType(T.key).map((r) => r.name)).not.toContain("demo-mail-dkim"); // given in args
    const pems = mockPrivateKeyPems();
    const c = rec.get(T.container, "ville-mail-server");
    expect(secretPaths(c.raw)).toEqual(["uploads"]);
    expect(c.inputs.uploads).toEqual([
      {
        file: "/tmp/docker-mailserver/rspamd/dkim/rsa-2048-mail-ville.fr.private.txt",
        content: pems.privateKeyPem,
      },
      {
        file: "/tmp/docker-mailserver/rspamd/override.d/dkim_signing.conf",
        content: renderDkimSigningConf("ville.fr", "mail"),
      },
    ]);
    expect(await pulumi.isSecret(plain.dnsRecords)).toBe(false);
    const records = await resolve(plain.dnsRecords);
    expect(records[2]).toEqual({
      name: "mail._domainkey.ville.fr",
      type: "TXT",
      value: dkimTxtValue(pems.publicKeyPem),
    });
    // The record from the public half is the record of the private key uploaded.
    expect(records[2]!.value).toBe(dkimTxtValue(pems.privateKeyPem));
    expect(records.map((r) => r.name)).toEqual([
      "ville.fr",
      "ville.fr",
      "mail._domainkey.ville.fr",
      "_dmarc.ville.fr",
    ]);
    expect(envOf(c).ENABLE_OAUTH2).toBeUndefined();
    expect(plain.dkimCommand).toBe(
      `docker exec ville-mail sh -c 'printf "v=DKIM1; k=rsa; p=%s\\n" ` +
        '"$(openssl pkey -in /tmp/docker-mailserver/rspamd/dkim/rsa-2048-mail-ville.fr.private.txt ' +
        "-pubout -outform DER | base64 -w0)\"'",
    );
    expect(plain.addAccountCommand).toBe("docker exec -it ville-mail setup email add <user>@ville.fr");
  });

  it("TLS: its own volume with its own certificate only, copied from the proxy's by a copier on no network", () => {
    const dir = "/etc/socle/proxy-data/caddy/certificates";
    const c = rec.get(T.container, "tls-mail-server");
    // the mail server never mounts the proxy's data volume (every key of the host, the CA's)
    expect(c.inputs.volumes).toEqual([
      { volumeName: "tls-mail-data", containerPath: "/var/mail" },
      { volumeName: "tls-mail-state", containerPath: "/var/mail-state" },
      { volumeName: "tls-mail-config", containerPath: "/tmp/docker-mailserver" },
      { volumeName: "tls-mail-tls", containerPath: "/etc/socle/mail-tls", readOnly: true },
    ]);
    expect(envOf(c)).toMatchObject({
      SSL_TYPE: "manual",
      SSL_CERT_PATH: "/etc/socle/mail-tls/cert.pem",
      SSL_KEY_PATH: "/etc/socle/mail-tls/key.pem",
    });
    const copier = rec.get(T.container, "tls-mail-certs");
    expect(copier.inputs).toEqual({
      name: "tls-mail-certs",
      image: "sha256:tls-mail-image",
      restart: "unless-stopped",
      memory: 16,
      memorySwap: 16,
      labels: [
        { label: "socle.role", value: "job" },
        { label: "socle.service", value: "mail" },
        { label: "socle.tenant", value: "tls" },
      ],
      networksAdvanced: [],
      networkMode: "none",
      volumes: [
        { volumeName: "socle-proxy-data", containerPath: "/etc/socle/proxy-data", readOnly: true },
        { volumeName: "tls-mail-tls", containerPath: "/etc/socle/mail-tls" },
      ],
      uploads: [
        {
          file: "/socle/mail-certs.sh",
          executable: true,
          content: renderMailCertSync({
            sourceCert: `${dir}/local/mail.tls.localhost/mail.tls.localhost.crt`,
            sourceKey: `${dir}/local/mail.tls.localhost/mail.tls.localhost.key`,
            targetDir: "/etc/socle/mail-tls",
          }),
        },
      ],
      entrypoints: ["/bin/sh", "/socle/mail-certs.sh"],
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      wait: false,
      waitTimeout: 600,
    });
    expect(c.dependencies).toContain(copier.urn);
    // an ACME host: Let's Encrypt's directory in the proxy's storage
    expect(upload(rec.get(T.container, "acme-mail-certs"))).toContain(
      `src_cert='${dir}/acme-v02.api.letsencrypt.org-directory/mail.acme.fr/mail.acme.fr.crt'`,
    );
    expect(envOf(rec.get(T.container, "acme-mail-server")).SSL_CERT_PATH).toBe(
      "/etc/socle/mail-tls/cert.pem",
    );
    expect(local.endpoints.imap).toEqual({ host: "tls-mail", port: 143, tls: "starttls" });
    expect(acme.endpoints.smtp).toEqual({ host: "acme-mail", port: 587, tls: "starttls" });
    // The proxy's volume is the Platform's, declared once; each mail server has its own TLS volume.
    expect(
      rec
        .byType(T.volume)
        .filter((v) => v.inputs.name === "socle-proxy-data")
        .map((v) => v.name),
    ).toEqual(["local-platform-proxy-data"]);
    expect(rec.get(T.volume, "tls-mail-tls").inputs).toEqual({
      name: "tls-mail-tls",
      labels: [{ label: "socle.tenant", value: "tls" }],
    });
    // a mail server with TLS declares the copier's memory too
    expect(local.memoryMb).toBe(1024 + 16);
    expect(mail.memoryMb).toBe(1024);
  });

  it("refuses a host whose firewall keeps the mail ports closed", () => {
    const closed: DockerHost = { ...platform.host, hostName: "apps2", mail: false } as DockerHost;
    const p = { ...platform, host: closed } as unknown as Platform;
    expect(
      () => new Mail("x-mail", { tenant: "x", hostname: "mail.x.fr", mailDomain: "x.fr", platform: p }),
    ).toThrow(
      'Mail x: host "apps2" does not open the mail ports (25, 465, 587, 993, 4190); ' +
        "place the tenant on a host with mail: true, or use the town's servers (sogo: {mail: {imap, smtp}})",
    );
  });
});

describe("Mail pure logic", () => {
  it("declares memory and TLS env", () => {
    expect(memoryMbFor({})).toBe(MAIL_DEFAULTS.memoryMb);
    expect(memoryMbFor({ tls: true })).toBe(MAIL_DEFAULTS.memoryMb + MAIL_DEFAULTS.certsMemoryMb);
    const env = mailEnv({
      hostname: "mail.a.fr",
      mailDomain: "a.fr",
      tls: { certPath: "/c/cert.pem", keyPath: "/c/key.pem" },
    });
    expect(env).toContain("SSL_TYPE=manual");
    expect(env).toContain("SSL_CERT_PATH=/c/cert.pem");
    expect(env).toContain("SSL_KEY_PATH=/c/key.pem");
    expect([...env].sort()).toEqual(env);
  });
  it.each([
    [{ tenant: "A" }, 'Mail: tenant "A" is not a slug'],
    [{ hostname: "mail" }, 'Mail a: hostname "mail" is not a lower-case domain name'],
    [{ mailDomain: "A.FR" }, 'Mail a: mailDomain "A.FR" is not a lower-case domain name'],
    [{ dkimSelector: "a_b" }, 'Mail a: dkimSelector "a_b" is not a DNS label'],
    [{ memoryMb: 256 }, "Mail a: memoryMb must be an integer >= 512, got 256"],
  ])("refuses %j", (patch, message) => {
    expect(() =>
      validateMailArgs({ tenant: "a", hostname: "mail.a.fr", mailDomain: "a.fr", ...patch }),
    ).toThrow(message);
  });

  it("derives a DKIM record that verifies signatures made with the private key", () => {
    const value = dkimTxtValue(DKIM_KEY);
    expect(value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    const pub = createPublicKey({
      key: Buffer.from(value.split("p=")[1]!, "base64"),
      format: "der",
      type: "spki",
    });
    const sig = sign("sha256", Buffer.from("From: mairie"), DKIM_KEY);
    expect(verify("sha256", Buffer.from("From: mairie"), pub, sig)).toBe(true);
    expect(dkimTxtValue(DKIM_KEY)).toBe(value); // deterministic
    expect(dkimKeyPath("a.fr", "s1")).toBe("/tmp/docker-mailserver/rspamd/dkim/rsa-2048-s1-a.fr.private.txt");
  });
  it("refuses keys DKIM cannot use", () => {
    expect(() => dkimTxtValue("nope")).toThrow("DKIM: the private key is not a PEM private key");
    expect(() => dkimTxtValue("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")).toThrow(
      "DKIM: the public key is not a PEM public key",
    );
    const ecPub = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    expect(() => dkimTxtValue(ecPub.toString())).toThrow("DKIM: the public key is ec, not rsa");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    expect(() => dkimTxtValue(ec.toString())).toThrow("DKIM: the private key is ec, not rsa");
    const small = generateKeyPairSync("rsa", { modulusLength: 512 }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    expect(() => dkimTxtValue(small.toString())).toThrow(
      "DKIM: the RSA key has 512 bits, at least 1024 (2048 advised)",
    );
  });
  it("renders the records with a chosen DMARC policy", () => {
    expect(
      mailDnsRecords({ mailDomain: "a.fr", mailHost: "mx.a.fr", dkimSelector: "s", dmarcPolicy: "reject" }),
    ).toEqual([
      { name: "a.fr", type: "MX", priority: 10, value: "mx.a.fr." },
      { name: "a.fr", type: "TXT", value: "v=spf1 mx -all" },
      {
        name: "_dmarc.a.fr",
        type: "TXT",
        value: "v=DMARC1; p=reject; rua=mailto:postmaster@a.fr; adkim=s; aspf=s",
      },
    ]);
  });
});
