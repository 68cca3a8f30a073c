import { beforeAll, describe, expect, it } from "vitest";
import { envOf, installMocks, labelsOf, secretPaths, settle, type Recorded, type Recorder } from "./mocks.js";
import { publicText } from "./fixtures/inspect.js";
import { demoSso } from "./fixtures/sso.js";
import {
  memoryMbFor,
  validateWordPressSiteArgs,
  WORDPRESS_SALT_ENVS,
  wordpressDatabaseName,
  WordPressSite,
  wordpressSiteDomain,
} from "../../components/apps/wordpress-site.js";
import { renderWordpressConfigExtra } from "../../templates/wordpress-config.js";
import { parseDump, parseHealth, parseVolumes } from "../../components/labels.js";

const T = {
  container: "docker:index/container:Container",
  volume: "docker:index/volume:Volume",
  image: "docker:index/remoteImage:RemoteImage",
  client: "keycloak:openid/client:Client",
  password: "random:index/randomPassword:RandomPassword",
};

const SITES = [
  { site: "club-echecs", title: "Club d'échecs", admin: "presidence@club-echecs.fr" },
  { site: "judo", title: "Judo Club", admin: "bureau@judo-demo.fr" },
  { site: "comite-fetes", title: "Comité des fêtes", admin: "contact@fetes-demo.fr" },
];

let rec: Recorder;
let sites: WordPressSite[];
beforeAll(async () => {
  rec = await installMocks();
  const { platform, realm } = demoSso();
  sites = SITES.map(
    (s) =>
      new WordPressSite(`demo-wp-${s.site}`, {
        tenant: "demo",
        site: s.site,
        title: s.title,
        admin: s.admin,
        domain: wordpressSiteDomain(s.site, "demo.localhost"),
        platform,
        realm,
        ...(s.site === "judo" ? { memoryMb: 384, loginType: "auto" as const } : {}),
      }),
  );
  await settle();
});

function app(site: string): Recorded {
  return rec.get(T.container, `demo-wp-${site}-app`);
}

describe("WordPressSite under the mock engine", () => {
  it("declares exactly its children, one container and one database per site", () => {
    const children = rec.resources
      .filter((r) => r.name.startsWith("demo-wp-club-echecs"))
      .map((r) => `${r.type} ${r.name}`);
    expect(children.sort()).toEqual(
      [
        "socle:apps:WordPressSite demo-wp-club-echecs",
        "socle:platform:MariadbDatabase demo-wp-club-echecs-db",
        `${T.password} demo-wp-club-echecs-db-password`,
        `${T.container} demo-wp-club-echecs-db-init`,
        "socle:apps:OidcClient demo-wp-club-echecs-oidc",
        `${T.password} demo-wp-club-echecs-oidc-secret`,
        `${T.client} demo-wp-club-echecs-oidc-client`,
        "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper demo-wp-club-echecs-oidc-groups",
        ...[
          "auth-key",
          "secure-auth-key",
          "logged-in-key",
          "nonce-key",
          "auth-salt",
          "secure-auth-salt",
          "logged-in-salt",
          "nonce-salt",
        ].map((k) => `${T.password} demo-wp-club-echecs-${k}`),
        `${T.image} demo-wp-club-echecs-image`,
        `${T.volume} demo-wp-club-echecs-html`,
        `${T.container} demo-wp-club-echecs-app`,
      ].sort(),
    );
    const containers = rec.names(T.container).filter((n) => n.endsWith("-app") && n.startsWith("demo-wp-"));
    expect(containers).toEqual(["demo-wp-club-echecs-app", "demo-wp-judo-app", "demo-wp-comite-fetes-app"]);
  });

  it("generates the eight keys and salts as 64-character passwords", () => {
    expect(WORDPRESS_SALT_ENVS).toHaveLength(8);
    const salts = rec
      .byType(T.password)
      .filter((r) => r.name.startsWith("demo-wp-judo-") && /-(key|salt)$/.test(r.name));
    expect(salts).toHaveLength(8);
    for (const s of salts) expect(s.inputs).toEqual({ length: 64, special: false });
  });

  it("declares the container with exact env, volume, networks, memory and health", () => {
    const c = app("club-echecs");
    expect(c.inputs.name).toBe("demo-assos-club-echecs");
    expect(rec.get(T.image, "demo-wp-club-echecs-image").inputs.name).toBe("wordpress:6.8.3-apache");
    expect(c.inputs.memory).toBe(256);
    expect(app("judo").inputs.memory).toBe(384);
    expect(c.inputs.ports).toBeUndefined();
    const extra = renderWordpressConfigExtra({
      siteUrl: "https://club-echecs.assos.demo.localhost",
      oidc: {
        issuerUrl: "https://sso.demo.localhost/realms/demo",
        clientId: "wordpress-club-echecs",
        clientSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
        loginType: "button",
      },
    });
    const p = "pw-demo-wp-club-echecs";
    expect(envOf(c)).toEqual({
      SOCLE_OIDC_CLIENT_SECRET: `${p}-oidc-secret`,
      WORDPRESS_AUTH_KEY: `${p}-auth-key`,
      WORDPRESS_AUTH_SALT: `${p}-auth-salt`,
      WORDPRESS_CONFIG_EXTRA: extra,
      WORDPRESS_DB_HOST: "mariadb:3306",
      WORDPRESS_DB_NAME: "demo_assos_club_echecs",
      WORDPRESS_DB_PASSWORD: `${p}-db-password`,
      WORDPRESS_DB_USER: "demo_assos_club_echecs",
      WORDPRESS_LOGGED_IN_KEY: `${p}-logged-in-key`,
      WORDPRESS_LOGGED_IN_SALT: `${p}-logged-in-salt`,
      WORDPRESS_NONCE_KEY: `${p}-nonce-key`,
      WORDPRESS_NONCE_SALT: `${p}-nonce-salt`,
      WORDPRESS_SECURE_AUTH_KEY: `${p}-secure-auth-key`,
      WORDPRESS_SECURE_AUTH_SALT: `${p}-secure-auth-salt`,
      WORDPRESS_TABLE_PREFIX: "wp_",
    });
    expect(envOf(app("judo")).WORDPRESS_CONFIG_EXTRA).toContain("define('OIDC_LOGIN_TYPE', 'auto');");
    // an association's admin installs, uploads or edits no plugin (no PHP of its own on the host)
    expect(extra).toContain("define('DISALLOW_FILE_MODS', true);");
    expect(c.inputs.volumes).toEqual([
      { volumeName: "demo-assos-club-echecs-html", containerPath: "/var/www/html" },
    ]);
    expect(rec.get(T.volume, "demo-wp-club-echecs-html").inputs.name).toBe("demo-assos-club-echecs-html");
    expect(c.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-web" }, { name: "socle-t-demo-back" }]);
    expect(c.inputs.healthcheck).toEqual({
      tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/wp-admin/install.php"],
      interval: "30s",
      timeout: "10s",
      retries: 5,
      startPeriod: "2m0s",
    });
    expect((c.dependencies ?? []).some((u) => u.endsWith("::demo-wp-club-echecs-db-init"))).toBe(true);
    // its database is initialised through demo's back-end network, once MariaDB is attached to it
    const init = rec.get(T.container, "demo-wp-club-echecs-db-init");
    expect(init.inputs.networksAdvanced).toEqual([{ name: "socle-t-demo-back" }]);
    expect((init.dependencies ?? []).some((u) => u.endsWith("::demo-network-mariadb"))).toBe(true);
  });

  it("uploads the mu-plugin into the html volume", () => {
    const uploads = app("club-echecs").inputs.uploads as { file: string; content: string }[];
    expect(uploads.map((u) => u.file)).toEqual(["/var/www/html/wp-content/mu-plugins/socle.php"]);
    expect(uploads[0]!.content).toContain("const SOCLE_ADMIN_EMAIL = 'presidence@club-echecs.fr';");
    expect(uploads[0]!.content).toContain("const SOCLE_ADMIN_LOGIN = 'admin-club-echecs';");
  });

  it("carries exactly the labels socle export-site and the backups read", () => {
    expect(labelsOf(app("club-echecs"))).toEqual({
      "socle.backup.dump": "mariadb:demo_assos_club_echecs",
      "socle.backup.dump.container": "socle-mariadb",
      "socle.backup.volumes": "demo-assos-club-echecs-html",
      "socle.health": "http:80/wp-admin/install.php",
      "socle.role": "app",
      "socle.service": "wordpress-club-echecs",
      "socle.tenant": "demo",
      "socle.version": "6.8.3",
    });
    const l = labelsOf(app("comite-fetes"));
    expect(parseDump(l["socle.backup.dump"]!)).toEqual({
      engine: "mariadb",
      database: "demo_assos_comite_fetes",
    });
    expect(parseVolumes(l["socle.backup.volumes"])).toEqual(["demo-assos-comite-fetes-html"]);
    expect(parseHealth(l["socle.health"]!)).toEqual({
      kind: "http",
      port: 80,
      path: "/wp-admin/install.php",
    });
  });

  it("registers one OIDC client per site with the exact redirect URI", () => {
    const clients = rec.byType(T.client).filter((r) => r.name.startsWith("demo-wp-"));
    expect(clients.map((c) => [c.inputs.clientId, c.inputs.validRedirectUris])).toEqual([
      [
        "wordpress-club-echecs",
        ["https://club-echecs.assos.demo.localhost/wp-admin/admin-ajax.php?action=openid-connect-authorize"],
      ],
      [
        "wordpress-judo",
        ["https://judo.assos.demo.localhost/wp-admin/admin-ajax.php?action=openid-connect-authorize"],
      ],
      [
        "wordpress-comite-fetes",
        ["https://comite-fetes.assos.demo.localhost/wp-admin/admin-ajax.php?action=openid-connect-authorize"],
      ],
    ]);
    expect(sites[0]!.redirectUri).toBe(
      "https://club-echecs.assos.demo.localhost/wp-admin/admin-ajax.php?action=openid-connect-authorize",
    );
  });

  it("keeps every secret secret and none in clear anywhere", () => {
    for (const s of SITES) {
      expect(secretPaths(app(s.site).raw)).toEqual(["envs"]);
    }
    const secrets = rec.byType(T.password).map((r) => `pw-${r.name}`);
    expect(secrets.length).toBeGreaterThan(30);
    for (const r of rec.resources) {
      const text = publicText(r.raw);
      for (const v of secrets) expect(text, `${r.name} shows ${v}`).not.toContain(v);
    }
  });

  it("routes <site>.assos.<domain> to its container", () => {
    expect(sites.map((s) => s.routes).flat()).toEqual([
      {
        host: "club-echecs.assos.demo.localhost",
        upstream: "demo-assos-club-echecs:80",
        tenant: "demo",
        service: "wordpress-club-echecs",
        maxBodySize: "64MB",
      },
      {
        host: "judo.assos.demo.localhost",
        upstream: "demo-assos-judo:80",
        tenant: "demo",
        service: "wordpress-judo",
        maxBodySize: "64MB",
      },
      {
        host: "comite-fetes.assos.demo.localhost",
        upstream: "demo-assos-comite-fetes:80",
        tenant: "demo",
        service: "wordpress-comite-fetes",
        maxBodySize: "64MB",
      },
    ]);
    expect(sites.map((s) => s.memoryMb)).toEqual([256, 384, 256]);
    expect(memoryMbFor({})).toBe(256);
  });

  it("names databases and domains", () => {
    expect(wordpressDatabaseName("ville-x", "club-echecs")).toBe("ville_x_assos_club_echecs");
    expect(wordpressSiteDomain("judo", "ville.fr")).toBe("judo.assos.ville.fr");
  });
});

describe("validateWordPressSiteArgs", () => {
  const ok = {
    tenant: "demo",
    site: "judo",
    title: "Judo",
    admin: "a@b.fr",
    domain: "judo.assos.demo.localhost",
  };
  it.each([
    [{ tenant: "Demo" }, 'WordPressSite: tenant "Demo" is not a slug'],
    [{ site: "judo club" }, 'WordPressSite demo: site "judo club" is not a slug'],
    [{ domain: "Judo.x" }, 'WordPressSite demo/judo: domain "Judo.x" is not a lower-case domain name'],
    [
      { site: "a".repeat(60) },
      `WordPressSite demo/${"a".repeat(60)}: database name "demo_assos_${"a".repeat(60)}" is longer than 63 characters`,
    ],
    [{ tablePrefix: "wp-" }, 'WordPressSite demo/judo: tablePrefix "wp-" must match [A-Za-z0-9_]{1,20}'],
    [{ memoryMb: 64 }, "WordPressSite demo/judo: memoryMb must be an integer >= 128, got 64"],
    [{ admin: "nobody" }, 'WordPressSite demo/judo: admin "nobody" is not an email'],
    [{ title: "" }, "WordPressSite demo/judo: title must be one non-empty line"],
  ])("refuses %j", (partial, msg) => {
    expect(() => validateWordPressSiteArgs({ ...ok, ...partial })).toThrow(msg);
  });
});
