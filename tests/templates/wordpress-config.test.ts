import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  keycloakEndpoints,
  phpString,
  renderWordpressConfigExtra,
  renderWordpressMuPlugin,
  WORDPRESS_MU_PLUGIN_PATH,
  type WordpressMuPluginArgs,
} from "../../templates/wordpress-config.js";
import { toolPath } from "./tools.js";

/** php-cli is a test dependency of this file: under CI=true it must be installed. */
const php = () => toolPath("php");

function lint(code: string): void {
  const bin = php();
  if (!bin) {
    console.warn("php not installed: skipping php -l (CI=true makes this a failure)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "wp-"));
  const file = join(dir, "f.php");
  writeFileSync(file, code);
  const r = spawnSync(bin, ["-l", file], { encoding: "utf8" });
  expect(r.stdout + r.stderr).toContain("No syntax errors detected");
  expect(r.status).toBe(0);
}

/** Runs PHP code with an environment and returns what it prints. */
function run(code: string, env: Record<string, string>): string | undefined {
  const bin = php();
  if (!bin) return undefined;
  const r = spawnSync(bin, ["-r", code], { encoding: "utf8", env });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

const oidc = {
  issuerUrl: "https://sso.demo.localhost/realms/demo",
  clientId: "wordpress-club-echecs",
  clientSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
  loginType: "button" as const,
};
const SITE = "https://club-echecs.assos.demo.localhost";

describe("templates/wordpress-config: WORDPRESS_CONFIG_EXTRA", () => {
  it("renders exactly", () => {
    expect(renderWordpressConfigExtra({ siteUrl: SITE, oidc })).toBe(
      [
        "// Rendered by Socle (templates/wordpress-config.ts).",
        "// TLS ends at the reverse proxy, which sends X-Forwarded-Proto.",
        "if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && strpos($_SERVER['HTTP_X_FORWARDED_PROTO'], 'https') !== false) {",
        "    $_SERVER['HTTPS'] = 'on';",
        "}",
        `define('WP_HOME', '${SITE}');`,
        `define('WP_SITEURL', '${SITE}');`,
        "// Every core update (security, minor and major); plugins and themes: mu-plugins/socle.php.",
        "define('WP_AUTO_UPDATE_CORE', true);",
        "define('AUTOMATIC_UPDATER_DISABLED', false);",
        "define('FS_METHOD', 'direct');",
        "define('DISALLOW_FILE_EDIT', true);",
        "// Plugins and themes come from the deployment, never from wp-admin: no upload, install,",
        "// edit or deletion of PHP by the site's admins (automatic updates stay on: socle.php).",
        "define('DISALLOW_FILE_MODS', true);",
        "// openid-connect-generic, against the tenant's Keycloak realm.",
        "define('OIDC_CLIENT_ID', 'wordpress-club-echecs');",
        "define('OIDC_CLIENT_SECRET', (string) getenv('SOCLE_OIDC_CLIENT_SECRET'));",
        "define('OIDC_ENDPOINT_LOGIN_URL', 'https://sso.demo.localhost/realms/demo/protocol/openid-connect/auth');",
        "define('OIDC_ENDPOINT_TOKEN_URL', 'https://sso.demo.localhost/realms/demo/protocol/openid-connect/token');",
        "define('OIDC_ENDPOINT_USERINFO_URL', 'https://sso.demo.localhost/realms/demo/protocol/openid-connect/userinfo');",
        "define('OIDC_ENDPOINT_LOGOUT_URL', 'https://sso.demo.localhost/realms/demo/protocol/openid-connect/logout');",
        "define('OIDC_CLIENT_SCOPE', 'openid email profile');",
        "define('OIDC_LOGIN_TYPE', 'button');",
        "define('OIDC_CREATE_IF_DOES_NOT_EXIST', true);",
        "define('OIDC_LINK_EXISTING_USERS', true);",
        "define('OIDC_REDIRECT_USER_BACK', true);",
        "define('OIDC_ENFORCE_PRIVACY', false);",
        "",
      ].join("\n"),
    );
  });

  it("is valid PHP (php -l, as the image eval()s it after <?php)", () => {
    lint(`<?php\n${renderWordpressConfigExtra({ siteUrl: SITE, oidc })}`);
    lint(`<?php\n${renderWordpressConfigExtra({ siteUrl: SITE })}`);
  });

  it("reads the client secret from the environment and sets HTTPS behind the proxy (run by php)", () => {
    const extra = renderWordpressConfigExtra({ siteUrl: SITE, oidc: { ...oidc, loginType: "auto" } });
    const out = run(
      `$_SERVER['HTTP_X_FORWARDED_PROTO'] = 'https'; ${extra}\n` +
        "echo json_encode([OIDC_CLIENT_SECRET, $_SERVER['HTTPS'], WP_AUTO_UPDATE_CORE, OIDC_LOGIN_TYPE, OIDC_CREATE_IF_DOES_NOT_EXIST]);",
      { SOCLE_OIDC_CLIENT_SECRET: "s3cr3t" },
    );
    if (out !== undefined) expect(JSON.parse(out)).toEqual(["s3cr3t", "on", true, "auto", true]);
    const plain = run(
      `${renderWordpressConfigExtra({ siteUrl: SITE })} echo isset($_SERVER['HTTPS']) ? 'on' : 'off';`,
      {},
    );
    if (plain !== undefined) expect(plain).toBe("off");
  });

  it("never writes a secret into the PHP text", () => {
    expect(renderWordpressConfigExtra({ siteUrl: SITE, oidc })).not.toMatch(/OIDC_CLIENT_SECRET', '/);
  });

  it("derives the Keycloak endpoints from the issuer", () => {
    expect(keycloakEndpoints("https://sso.x.fr/realms/x")).toEqual({
      login: "https://sso.x.fr/realms/x/protocol/openid-connect/auth",
      token: "https://sso.x.fr/realms/x/protocol/openid-connect/token",
      userinfo: "https://sso.x.fr/realms/x/protocol/openid-connect/userinfo",
      logout: "https://sso.x.fr/realms/x/protocol/openid-connect/logout",
    });
  });

  it.each([
    [{ siteUrl: "http://x.fr" }, 'wordpress config: siteUrl "http://x.fr" is not https://<host>'],
    [
      { siteUrl: SITE, oidc: { ...oidc, issuerUrl: "https://sso.x.fr" } },
      'wordpress config: issuerUrl "https://sso.x.fr" is not https://<host>/realms/<realm>',
    ],
    [
      { siteUrl: SITE, oidc: { ...oidc, clientSecretEnv: "x y" } },
      'wordpress config: clientSecretEnv "x y" is not an env var name',
    ],
  ])("refuses %j", (a, message) => {
    expect(() => renderWordpressConfigExtra(a)).toThrow(message);
  });
});

const mu: WordpressMuPluginArgs = {
  adminEmail: "Presidence@Club-Echecs.fr",
  title: "Club d'échecs",
  adminLogin: "admin-club-echecs",
  pluginZipUrl: "https://downloads.wordpress.org/plugin/daggerhart-openid-connect-generic.3.10.0.zip",
  pluginFile: "daggerhart-openid-connect-generic/openid-connect-generic.php",
};

describe("templates/wordpress-config: the socle.php mu-plugin", () => {
  it("lands in wp-content/mu-plugins on the html volume", () => {
    expect(WORDPRESS_MU_PLUGIN_PATH).toBe("/var/www/html/wp-content/mu-plugins/socle.php");
  });

  it("is valid PHP (php -l) and quotes the title", () => {
    const code = renderWordpressMuPlugin(mu);
    lint(code);
    expect(code).toContain("const SOCLE_ADMIN_EMAIL = 'presidence@club-echecs.fr';");
    expect(code).toContain("const SOCLE_SITE_TITLE = 'Club d\\'échecs';");
    expect(code).toContain("add_filter('auto_update_plugin', '__return_true');");
    expect(code).toContain("add_filter('auto_update_theme', '__return_true');");
    // DISALLOW_FILE_MODS keeps wp-admin from changing files; only the background updater may.
    expect(code).toContain(
      [
        "add_filter('file_mod_allowed', function ($allowed, $context) {",
        "    return $context === 'automatic_updater' ? true : $allowed;",
        "}, 10, 2);",
      ].join("\n"),
    );
    expect(code).toContain("add_action('openid-connect-generic-user-create', 'socle_grant_admin', 10, 2);");
    expect(code).toContain(
      "add_action('openid-connect-generic-update-user-using-current-claim', 'socle_grant_admin', 10, 2);",
    );
  });

  it("grants administrator only to the verified admin email (role logic run by php with stubs)", () => {
    const code = renderWordpressMuPlugin(mu).replace(/^<\?php/, "");
    const stubs = [
      "define('ABSPATH', '/tmp/');",
      "function add_action($h, $f, $p = 10, $n = 1) {}",
      "function add_filter($h, $f, $p = 10, $n = 1) {}",
      "class WP_User { public $roles = ['subscriber']; function set_role($r) { $this->roles = [$r]; } }",
    ].join("\n");
    const probe = [
      "$out = [];",
      "foreach ([",
      "  ['email' => 'presidence@club-echecs.fr', 'email_verified' => true],",
      "  ['email' => ' PRESIDENCE@club-echecs.fr ', 'email_verified' => true],",
      "  ['email' => 'presidence@club-echecs.fr', 'email_verified' => false],",
      "  ['email' => 'someone@club-echecs.fr', 'email_verified' => true],",
      "  ['email_verified' => true],",
      "] as $claim) { $u = new WP_User(); socle_grant_admin($u, $claim); $out[] = $u->roles[0]; }",
      "echo json_encode($out);",
    ].join("\n");
    const out = run(`${stubs}\n${code}\n${probe}`, {});
    if (out !== undefined) {
      expect(JSON.parse(out)).toEqual([
        "administrator",
        "administrator",
        "subscriber",
        "subscriber",
        "subscriber",
      ]);
    }
  });

  it.each([
    [{ adminEmail: "nope" }, 'wordpress mu-plugin: adminEmail "nope" is not an email'],
    [{ title: " " }, "wordpress mu-plugin: title must be one non-empty line"],
    [{ adminLogin: "Admin" }, 'wordpress mu-plugin: adminLogin "Admin" is not a login name'],
    [
      { pluginZipUrl: "http://x/y.zip" },
      'wordpress mu-plugin: pluginZipUrl "http://x/y.zip" is not an https:// .zip URL',
    ],
    [{ pluginFile: "x.php" }, 'wordpress mu-plugin: pluginFile "x.php" is not <dir>/<file>.php'],
  ])("refuses %j", (partial, message) => {
    expect(() => renderWordpressMuPlugin({ ...mu, ...partial })).toThrow(message);
  });

  it("quotes PHP strings", () => {
    expect(phpString("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});
