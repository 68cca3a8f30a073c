import { existsSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { envOf, installMocks, labelsOf, resolve, secretPaths, settle, type Recorder } from "./mocks.js";
import { keycloakUsersUrl, renderRealmSyncEnv } from "../../components/apps/sogo-directory.js";
import { upload } from "./fixtures/inspect.js";
import { demoSso } from "./fixtures/sso.js";
import { Mail } from "../../components/apps/mail.js";
import {
  memoryMbFor,
  Sogo,
  SOGO_DEFAULTS,
  sogoBuildContext,
  sogoContextHash,
  sogoDomain,
  sogoSso,
  sogoVersion,
  townMailServers,
  validateSogoArgs,
} from "../../components/apps/sogo.js";

const T = {
  container: "docker:index/container:Container",
  volume: "docker:index/volume:Volume",
  image: "docker:index/remoteImage:RemoteImage",
  client: "keycloak:openid/client:Client",
};

let rec: Recorder;
let alinto: Sogo;
let debian: Sogo;
beforeAll(async () => {
  rec = await installMocks();
  const { platform, realm } = demoSso();
  const mail = new Mail("demo-mail", {
    tenant: "demo",
    hostname: "mail.demo.localhost",
    mailDomain: "demo.localhost",
    platform,
    realm,
  });
  alinto = new Sogo("demo-sogo", {
    tenant: "demo",
    domain: sogoDomain("demo.localhost"),
    mailDomain: "demo.localhost",
    platform,
    realm,
    mail: mail.endpoints,
  });
  // A second town with its own mail servers and Debian's SOGo 5.8.
  debian = new Sogo("ville-sogo", {
    tenant: "ville",
    domain: "mail.ville.localhost",
    mailDomain: "ville.fr",
    platform,
    realm,
    source: "debian",
    mail: {
      imap: { host: "imap.ville.fr", port: 993, tls: "tls" },
      smtp: { host: "smtp.ville.fr", port: 587, tls: "starttls" },
    },
  });
  await settle();
});

describe("Sogo under the mock engine", () => {
  it("declares its children with names derived from its own", () => {
    const children = rec.resources
      .filter((r) => r.name.startsWith("demo-sogo"))
      .map((r) => `${r.type} ${r.name}`);
    expect(children.sort()).toEqual(
      [
        "socle:apps:Sogo demo-sogo",
        "socle:platform:PostgresDatabase demo-sogo-db",
        "random:index/randomPassword:RandomPassword demo-sogo-db-password",
        `${T.container} demo-sogo-db-init`,
        "socle:platform:Memcached demo-sogo-memcached",
        `${T.image} demo-sogo-memcached-image`,
        `${T.container} demo-sogo-memcached-container`,
        "socle:apps:OidcClient demo-sogo-oidc",
        "random:index/randomPassword:RandomPassword demo-sogo-oidc-secret",
        `${T.client} demo-sogo-oidc-client`,
        "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper demo-sogo-oidc-groups",
        "socle:apps:SogoDirectory demo-sogo-directory",
        "random:index/randomPassword:RandomPassword demo-sogo-directory-secret",
        `${T.client} demo-sogo-directory-client`,
        "keycloak:openid/clientServiceAccountRole:ClientServiceAccountRole demo-sogo-directory-view-users",
        `${T.image} demo-sogo-image`,
        `${T.volume} demo-sogo-backups`,
        `${T.container} demo-sogo-app`,
        `${T.container} demo-sogo-web`,
        `${T.container} demo-sogo-cron`,
      ].sort(),
    );
    const debianChildren = rec.resources.filter((r) => r.name.startsWith("ville-sogo")).map((r) => r.name);
    expect(debianChildren.filter((n) => n.includes("oidc") || n.includes("directory"))).toEqual([]);
  });

  it("builds the image on the host from templates/sogo with the source and version as build args", () => {
    const img = rec.get(T.image, "demo-sogo-image").inputs;
    const context = sogoBuildContext();
    expect(context.endsWith("/templates/sogo")).toBe(true);
    expect(existsSync(join(context, "Dockerfile"))).toBe(true);
    expect(img).toEqual({
      name: "socle/sogo:5.12.3-alinto",
      keepLocally: true,
      build: {
        context,
        dockerfile: "Dockerfile",
        buildArgs: { BASE_IMAGE: "debian:12-slim", SOGO_SOURCE: "alinto", SOGO_VERSION: "5.12.3" },
        label: { "org.opencontainers.image.version": "5.12.3", "socle.sogo.source": "alinto" },
      },
      triggers: { context: sogoContextHash() },
    });
    expect(sogoContextHash()).toMatch(/^[0-9a-f]{64}$/);
    const deb = rec.get(T.image, "ville-sogo-image").inputs;
    expect(deb.name).toBe("socle/sogo:5.8.0-debian");
    expect((deb.build as { buildArgs: unknown }).buildArgs).toEqual({
      BASE_IMAGE: "debian:12-slim",
      SOGO_SOURCE: "debian",
      SOGO_VERSION: "5.8.0",
    });
  });

  it("runs sogod with its database, memcached, backup volume, labels and the secret sogo.conf", async () => {
    const c = rec.get(T.container, "demo-sogo-app");
    expect(c.inputs.name).toBe("demo-sogo");
    expect(c.inputs.image).toBe("sha256:demo-sogo-image");
    expect(c.inputs.memory).toBe(768);
    expect(c.inputs.ports).toBeUndefined();
    expect(c.inputs.command).toEqual(["sogod"]);
    // its tenant's web network (proxy, SSO) and back-end network (memcached, mail, the database server)
    expect(c.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-web" }, { name: "socle-t-demo-back" }]);
    expect(c.inputs.volumes).toEqual([
      { volumeName: "demo-sogo-backups", containerPath: "/var/lib/sogo/backups" },
    ]);
    expect(envOf(c)).toEqual({
      SOGO_WAIT_FOR: "postgres:5432 demo-sogo-memcached:11211 demo-mail:143 demo-mail:587",
      SOGO_USER_TABLE: "sogo_users",
      PGHOST: "postgres",
      PGPORT: "5432",
      PGDATABASE: "demo_sogo",
      PGUSER: "demo_sogo",
      PGPASSWORD: "pw-demo-sogo-db-password",
    });
    expect(labelsOf(c)).toEqual({
      "socle.tenant": "demo",
      "socle.service": "sogo",
      "socle.role": "app",
      "socle.version": "5.12.3",
      "socle.backup.volumes": "demo-sogo-backups",
      "socle.backup.dump": "postgres:demo_sogo",
      "socle.backup.dump.container": "socle-postgres",
      "socle.backup.pre": "/usr/local/bin/socle-sogo backup /var/lib/sogo/backups",
      "socle.health": "http:20000/SOGo/",
    });
    // Secrets: the DB password env and the whole sogo.conf upload, nothing else.
    expect(secretPaths(c.raw).sort()).toEqual(["envs", "uploads"]);
    expect(await pulumi.isSecret(alinto.conf)).toBe(true);
    const conf = upload(c, "/etc/sogo/sogo.conf");
    expect(conf).toBe(await resolve(alinto.conf));
    expect(conf).toContain('SOGoAuthenticationType = "openid";');
    expect(conf).toContain(
      'SOGoOpenIdConfigUrl = "https://sso.demo.localhost/realms/demo/.well-known/openid-configuration";',
    );
    expect(conf).toContain('SOGoOpenIdClient = "sogo";');
    expect(conf).toContain('SOGoOpenIdClientSecret = "pw-demo-sogo-oidc-secret";');
    expect(conf).toContain('SOGoIMAPServer = "imap://demo-mail:143";');
    expect(conf).toContain('SOGoSMTPServer = "smtp://demo-mail:587";');
    expect(conf).toContain('SOGoSieveServer = "sieve://demo-mail:4190";');
    expect(conf).toContain('SOGoMemcachedHost = "demo-sogo-memcached:11211";');
    expect(conf).toContain(
      'OCSOpenIdURL = "postgresql://demo_sogo:pw-demo-sogo-db-password@postgres:5432/demo_sogo/sogo_openid";',
    );
    expect(conf).toContain('NGImap4AuthMechanism = "xoauth2";');
    expect(conf).toContain("SOGoForceExternalLoginWithEmail = YES;");
    expect(conf).toContain('SOGoMailDomain = "demo.localhost";');
  });

  it("declares the front (what the proxy routes to) and the cron container", () => {
    const web = rec.get(T.container, "demo-sogo-web");
    expect(web.inputs.name).toBe("demo-sogo-web");
    expect(web.inputs.command).toEqual(["web"]);
    expect(web.inputs.memory).toBe(64);
    expect(web.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-web" }]);
    expect(envOf(web)).toEqual({ SOGO_UPSTREAM: "demo-sogo:20000" });
    expect(web.inputs.uploads).toBeUndefined();
    expect(labelsOf(web)["socle.backup.volumes"]).toBeUndefined();
    const cron = rec.get(T.container, "demo-sogo-cron");
    expect(cron.inputs.name).toBe("demo-sogo-cron");
    expect(cron.inputs.command).toEqual(["cron"]);
    expect(cron.inputs.memory).toBe(128);
    expect(labelsOf(cron)).toEqual({
      "socle.tenant": "demo",
      "socle.service": "sogo",
      "socle.role": "job",
      "socle.version": "5.12.3",
      "socle.health": "cmd:pidof cron",
    });
    expect(secretPaths(cron.raw)).toEqual(["uploads"]);
    expect((cron.inputs.uploads as { file: string }[]).map((u) => u.file)).toEqual([
      "/etc/sogo/sogo.conf",
      "/etc/sogo/realm-sync.env",
    ]);
    expect(upload(cron, "/etc/sogo/realm-sync.env")).toBe(
      renderRealmSyncEnv({
        issuerUrl: "https://sso.demo.localhost/realms/demo",
        clientId: "sogo-directory",
        clientSecret: "pw-demo-sogo-directory-secret",
        database: {
          host: "postgres",
          port: 5432,
          name: "demo_sogo",
          user: "demo_sogo",
          password: "pw-demo-sogo-db-password",
        },
        userTable: "sogo_users",
      }),
    );
    expect(
      (rec.get(T.container, "ville-sogo-cron").inputs.uploads as { file: string }[]).map((u) => u.file),
    ).toEqual(["/etc/sogo/sogo.conf"]);
    expect(upload(cron, "/etc/sogo/sogo.conf")).toBe(
      upload(rec.get(T.container, "demo-sogo-app"), "/etc/sogo/sogo.conf"),
    );
    expect(alinto.routes).toEqual([
      {
        host: "mail.demo.localhost",
        upstream: "demo-sogo-web:20080",
        tenant: "demo",
        service: "sogo",
        maxBodySize: "100MB",
      },
    ]);
  });

  it("registers a service-account client that may only list the realm's users", () => {
    const c = rec.get(T.client, "demo-sogo-directory-client");
    expect(c.inputs).toMatchObject({
      clientId: "sogo-directory",
      accessType: "CONFIDENTIAL",
      clientSecret: "pw-demo-sogo-directory-secret",
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: true,
    });
    expect(secretPaths(c.raw)).toEqual(["clientSecret"]);
    const role = rec.get(
      "keycloak:openid/clientServiceAccountRole:ClientServiceAccountRole",
      "demo-sogo-directory-view-users",
    );
    expect(role.inputs.role).toBe("view-users");
  });

  it("registers an OIDC client with exact redirect URIs", () => {
    const client = rec.get(T.client, "demo-sogo-oidc-client").inputs;
    expect(client.clientId).toBe("sogo");
    expect(client.validRedirectUris).toEqual([
      "https://mail.demo.localhost/SOGo/",
      "https://mail.demo.localhost/SOGo/so/",
    ]);
  });

  it("with Debian's 5.8: SOGo's own login on the SQL user source, the town's servers", async () => {
    expect(debian.sso).toBe("none");
    expect(debian.version).toBe("5.8.0");
    const conf = await resolve(debian.conf);
    expect(conf).not.toContain("SOGoAuthenticationType");
    expect(conf).not.toContain("OpenId");
    expect(conf).toContain('SOGoIMAPServer = "imaps://imap.ville.fr:993";');
    expect(conf).toContain('SOGoSMTPServer = "smtp://smtp.ville.fr:587/?tls=YES";');
    expect(conf).toContain('SOGoSMTPAuthenticationType = "PLAIN";');
    expect(conf).toContain("SOGoSieveScriptsEnabled = NO;");
    expect(conf).toContain(
      'viewURL = "postgresql://ville_sogo:pw-ville-sogo-db-password@postgres:5432/ville_sogo/sogo_users";',
    );
    expect(envOf(rec.get(T.container, "ville-sogo-app")).SOGO_WAIT_FOR).toBe(
      "postgres:5432 ville-sogo-memcached:11211 imap.ville.fr:993 smtp.ville.fr:587",
    );
  });
});

describe("Sogo pure logic", () => {
  it("reads the town's servers from the stack config's host:port strings", () => {
    expect(
      townMailServers({ imap: "imap.ville.fr:993", smtp: "smtp.ville.fr:587", sieve: "imap.ville.fr:4190" }),
    ).toEqual({
      imap: { host: "imap.ville.fr", port: 993, tls: "tls" },
      smtp: { host: "smtp.ville.fr", port: 587, tls: "starttls" },
      sieve: { host: "imap.ville.fr", port: 4190, tls: "starttls" },
    });
    expect(townMailServers({ imap: "mx:143", smtp: "mx:465" })).toEqual({
      imap: { host: "mx", port: 143, tls: "starttls" },
      smtp: { host: "mx", port: 465, tls: "tls" },
    });
    expect(() => townMailServers({ imap: "mx", smtp: "mx:25" })).toThrow(
      'SOGo: mail.imap "mx" is not host:port',
    );
    expect(() => townMailServers({ imap: "mx:1", smtp: "mx:99999" })).toThrow(
      'SOGo: mail.smtp "mx:99999" is not host:port',
    );
  });
  const base = {
    tenant: "demo",
    domain: "mail.demo.fr",
    mailDomain: "demo.fr",
    mail: { imap: { host: "m", port: 143 }, smtp: { host: "m", port: 587 } },
  };
  it("picks the version and the SSO per source", () => {
    expect(sogoVersion({})).toBe("5.12.3");
    expect(sogoVersion({ source: "debian" })).toBe("5.8.0");
    expect(sogoSso({}, true)).toBe("openid");
    expect(sogoSso({}, false)).toBe("none");
    expect(sogoSso({ source: "debian" }, true)).toBe("none");
    expect(memoryMbFor({})).toBe(768 + 64 + 128 + 64);
    expect(memoryMbFor({ memoryMb: 1024 })).toBe(1024 + 256);
    expect(SOGO_DEFAULTS.backupDir).toBe("/var/lib/sogo/backups");
  });
  it.each([
    [{ tenant: "Demo" }, 'SOGo: tenant "Demo" is not a slug'],
    [{ domain: "mail demo" }, 'SOGo demo: domain "mail demo" is not a lower-case domain name'],
    [{ mailDomain: "x" }, 'SOGo demo: mailDomain "x" is not a lower-case domain name'],
    [{ source: "ubuntu" }, 'SOGo demo: source "ubuntu" must be "alinto" or "debian"'],
    [{ version: "5.12" }, 'SOGo demo: version "5.12" is not x.y.z'],
    [{ version: "5.11.2" }, "SOGo demo: version 5.11.2 from Alinto has no OpenID Connect; use 5.12 or newer"],
    [{ source: "debian", version: "5.12.3" }, "SOGo demo: Debian 12 ships SOGo 5.8, not 5.12.3"],
    [{ memoryMb: 128 }, "SOGo demo: memoryMb must be an integer >= 256, got 128"],
    [{ superUsers: ["a b"] }, 'SOGo demo: super user "a b" is not a login'],
  ])("refuses %j", (patch, message) => {
    expect(() =>
      validateSogoArgs({ ...base, ...(patch as object) } as Parameters<typeof validateSogoArgs>[0]),
    ).toThrow(message);
  });
});

describe("SogoDirectory pure logic", () => {
  it("derives the admin users URL and renders the sync env (sorted, shell-quoted)", () => {
    expect(keycloakUsersUrl("https://sso.demo.fr/realms/demo")).toBe(
      "https://sso.demo.fr/admin/realms/demo/users",
    );
    expect(keycloakUsersUrl("https://sso.demo.fr/auth/realms/x")).toBe(
      "https://sso.demo.fr/auth/admin/realms/x/users",
    );
    expect(() => keycloakUsersUrl("https://sso.demo.fr/")).toThrow(
      'SogoDirectory: issuer "https://sso.demo.fr/" is not <keycloak>/realms/<realm>',
    );
    const env = renderRealmSyncEnv({
      issuerUrl: "https://sso.demo.fr/realms/demo",
      clientId: "sogo-directory",
      clientSecret: "it's",
      database: { host: "postgres", port: 5432, name: "demo_sogo", user: "demo_sogo", password: "pw" },
      userTable: "sogo_users",
    });
    expect(env).toBe(
      [
        "KC_CLIENT_ID='sogo-directory'",
        "KC_CLIENT_SECRET='it'\\''s'",
        "KC_TOKEN_URL='https://sso.demo.fr/realms/demo/protocol/openid-connect/token'",
        "KC_USERS_URL='https://sso.demo.fr/admin/realms/demo/users'",
        "PGDATABASE='demo_sogo'",
        "PGHOST='postgres'",
        "PGPASSWORD='pw'",
        "PGPORT='5432'",
        "PGUSER='demo_sogo'",
        "SOGO_USER_TABLE='sogo_users'",
        "",
      ].join("\n"),
    );
    expect(() =>
      renderRealmSyncEnv({
        issuerUrl: "https://sso.demo.fr/realms/demo",
        clientId: "c",
        clientSecret: "s",
        database: { host: "h", port: 1, name: "n", user: "u", password: "p" },
        userTable: "t; drop",
      }),
    ).toThrow('SogoDirectory: userTable "t; drop" is not a plain SQL identifier');
  });
});
