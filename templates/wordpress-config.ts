/**
 * WordPress files rendered by Socle (pure, deterministic):
 *
 * - `renderWordpressConfigExtra` → the `WORDPRESS_CONFIG_EXTRA` env var. The
 *   official image's wp-config.php `eval()`s it on every request (no `<?php`
 *   tag): HTTPS behind the proxy, fixed site URL, automatic updates, no file
 *   change from wp-admin (`DISALLOW_FILE_MODS`: an association's admin uploads
 *   no plugin, hence no PHP), and the openid-connect-generic constants. The client secret is NOT in the PHP: it is
 *   read with `getenv()` from its own env var.
 * - `renderWordpressMuPlugin` → `wp-content/mu-plugins/socle.php`, uploaded
 *   into the `/var/www/html` volume before the first start (the image's
 *   entrypoint copies WordPress core around it: it only skips paths that
 *   already exist, and core ships no `mu-plugins`). It
 *   1. installs WordPress on the first request to `install.php` (nobody can
 *      race the association to the installer; the admin account gets the
 *      association's email and an unknown random password: login is by SSO),
 *   2. turns on plugin and theme auto-updates (core: `WP_AUTO_UPDATE_CORE`), the
 *      background updater being the one file change `DISALLOW_FILE_MODS` still allows,
 *   3. installs and activates openid-connect-generic from wordpress.org when
 *      it is missing (at most one try an hour; without internet the site works
 *      and the try is logged to the PHP error log),
 *   4. gives the administrator role to the user whose VERIFIED email is the
 *      association's admin email, at account creation and every login.
 */
import { isDisplayText, isEmail, MAX_DISPLAY_TEXT } from "./checks.js";

export interface WordpressOidc {
  /** `${issuerUrl}` of the tenant's realm, e.g. `https://sso.demo.localhost/realms/demo`. */
  issuerUrl: string;
  clientId: string;
  /** Env var the client secret is read from (never written into the PHP). */
  clientSecretEnv: string;
  /** `button`: a "Login with SSO" button on wp-login.php; `auto`: straight to the realm. */
  loginType: "button" | "auto";
}

export interface WordpressConfigExtraArgs {
  /** `https://<site>.assos.<domain>` */
  siteUrl: string;
  oidc?: WordpressOidc;
}

const SITE_URL_RE = /^https:\/\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const ISSUER_RE = /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?\/realms\/[a-z0-9-]+$/;
const CLIENT_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ENV_RE = /^[A-Z_][A-Z0-9_]*$/;
const ZIP_URL_RE = /^https:\/\/[a-z0-9.-]+\/[A-Za-z0-9._~\-/]+\.zip$/;
const PLUGIN_FILE_RE = /^[a-z0-9-]+\/[a-z0-9-]+\.php$/;

/** A PHP single-quoted string literal. */
export function phpString(v: string): string {
  return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export function validateWordpressConfigExtraArgs(a: WordpressConfigExtraArgs): void {
  if (!SITE_URL_RE.test(a.siteUrl))
    throw new Error(`wordpress config: siteUrl "${a.siteUrl}" is not https://<host>`);
  if (a.oidc) {
    if (!ISSUER_RE.test(a.oidc.issuerUrl)) {
      throw new Error(
        `wordpress config: issuerUrl "${a.oidc.issuerUrl}" is not https://<host>/realms/<realm>`,
      );
    }
    if (!CLIENT_RE.test(a.oidc.clientId))
      throw new Error(`wordpress config: clientId "${a.oidc.clientId}" is invalid`);
    if (!ENV_RE.test(a.oidc.clientSecretEnv)) {
      throw new Error(`wordpress config: clientSecretEnv "${a.oidc.clientSecretEnv}" is not an env var name`);
    }
    if (a.oidc.loginType !== "button" && a.oidc.loginType !== "auto") {
      throw new Error(`wordpress config: loginType "${String(a.oidc.loginType)}" is not button or auto`);
    }
  }
}

/** The Keycloak endpoints openid-connect-generic needs, derived from the issuer. */
export function keycloakEndpoints(
  issuerUrl: string,
): Record<"login" | "token" | "userinfo" | "logout", string> {
  const base = `${issuerUrl}/protocol/openid-connect`;
  return {
    login: `${base}/auth`,
    token: `${base}/token`,
    userinfo: `${base}/userinfo`,
    logout: `${base}/logout`,
  };
}

/** PHP statements for `WORDPRESS_CONFIG_EXTRA` (no opening tag: the image eval()s them). */
export function renderWordpressConfigExtra(a: WordpressConfigExtraArgs): string {
  validateWordpressConfigExtraArgs(a);
  const L = [
    "// Rendered by Socle (templates/wordpress-config.ts).",
    "// TLS ends at the reverse proxy, which sends X-Forwarded-Proto.",
    "if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && strpos($_SERVER['HTTP_X_FORWARDED_PROTO'], 'https') !== false) {",
    "    $_SERVER['HTTPS'] = 'on';",
    "}",
    `define('WP_HOME', ${phpString(a.siteUrl)});`,
    `define('WP_SITEURL', ${phpString(a.siteUrl)});`,
    "// Every core update (security, minor and major); plugins and themes: mu-plugins/socle.php.",
    "define('WP_AUTO_UPDATE_CORE', true);",
    "define('AUTOMATIC_UPDATER_DISABLED', false);",
    "define('FS_METHOD', 'direct');",
    "define('DISALLOW_FILE_EDIT', true);",
    "// Plugins and themes come from the deployment, never from wp-admin: no upload, install,",
    "// edit or deletion of PHP by the site's admins (automatic updates stay on: socle.php).",
    "define('DISALLOW_FILE_MODS', true);",
  ];
  if (a.oidc) {
    const ep = keycloakEndpoints(a.oidc.issuerUrl);
    L.push(
      "// openid-connect-generic, against the tenant's Keycloak realm.",
      `define('OIDC_CLIENT_ID', ${phpString(a.oidc.clientId)});`,
      `define('OIDC_CLIENT_SECRET', (string) getenv(${phpString(a.oidc.clientSecretEnv)}));`,
      `define('OIDC_ENDPOINT_LOGIN_URL', ${phpString(ep.login)});`,
      `define('OIDC_ENDPOINT_TOKEN_URL', ${phpString(ep.token)});`,
      `define('OIDC_ENDPOINT_USERINFO_URL', ${phpString(ep.userinfo)});`,
      `define('OIDC_ENDPOINT_LOGOUT_URL', ${phpString(ep.logout)});`,
      "define('OIDC_CLIENT_SCOPE', 'openid email profile');",
      `define('OIDC_LOGIN_TYPE', ${phpString(a.oidc.loginType)});`,
      "define('OIDC_CREATE_IF_DOES_NOT_EXIST', true);",
      "define('OIDC_LINK_EXISTING_USERS', true);",
      "define('OIDC_REDIRECT_USER_BACK', true);",
      "define('OIDC_ENFORCE_PRIVACY', false);",
    );
  }
  return L.join("\n") + "\n";
}

export interface WordpressMuPluginArgs {
  /** The association's admin email: gets the administrator role. */
  adminEmail: string;
  /** Site title used by the automatic install. */
  title: string;
  /** Login name of the account created by the automatic install. */
  adminLogin: string;
  /** openid-connect-generic zip (pinned version) and its main file. */
  pluginZipUrl: string;
  pluginFile: string;
}

export function validateWordpressMuPluginArgs(a: WordpressMuPluginArgs): void {
  if (!isEmail(a.adminEmail))
    throw new Error(`wordpress mu-plugin: adminEmail "${a.adminEmail}" is not an email`);
  if (!isDisplayText(a.title)) {
    throw new Error(
      `wordpress mu-plugin: title must be one non-empty line of at most ${MAX_DISPLAY_TEXT} characters, without control or bidirectional characters`,
    );
  }
  if (!/^[a-z0-9][a-z0-9._-]{0,59}$/.test(a.adminLogin)) {
    throw new Error(`wordpress mu-plugin: adminLogin "${a.adminLogin}" is not a login name`);
  }
  if (!ZIP_URL_RE.test(a.pluginZipUrl)) {
    throw new Error(`wordpress mu-plugin: pluginZipUrl "${a.pluginZipUrl}" is not an https:// .zip URL`);
  }
  if (!PLUGIN_FILE_RE.test(a.pluginFile)) {
    throw new Error(`wordpress mu-plugin: pluginFile "${a.pluginFile}" is not <dir>/<file>.php`);
  }
}

/** `wp-content/mu-plugins/socle.php` (a complete PHP file). */
export function renderWordpressMuPlugin(a: WordpressMuPluginArgs): string {
  validateWordpressMuPluginArgs(a);
  const email = phpString(a.adminEmail.toLowerCase());
  return `<?php
/**
 * Plugin Name: Socle
 * Description: Managed by Socle (templates/wordpress-config.ts); overwritten on every deployment.
 */

if (!defined('ABSPATH')) {
    exit;
}

const SOCLE_ADMIN_EMAIL = ${email};
const SOCLE_SITE_TITLE = ${phpString(a.title)};
const SOCLE_ADMIN_LOGIN = ${phpString(a.adminLogin)};
const SOCLE_OIDC_PLUGIN_ZIP = ${phpString(a.pluginZipUrl)};
const SOCLE_OIDC_PLUGIN_FILE = ${phpString(a.pluginFile)};

// 1. Automatic install: the first request to install.php installs the site.
add_action('wp_loaded', function () {
    if (!wp_installing() || is_blog_installed()) {
        return;
    }
    if (basename((string) ($_SERVER['SCRIPT_NAME'] ?? '')) !== 'install.php') {
        return;
    }
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    wp_install(SOCLE_SITE_TITLE, SOCLE_ADMIN_LOGIN, SOCLE_ADMIN_EMAIL, true, '', wp_generate_password(40, true, true));
    wp_safe_redirect(home_url('/'));
    exit;
});

// 2. Automatic plugin and theme updates (core: WP_AUTO_UPDATE_CORE in wp-config).
add_filter('auto_update_plugin', '__return_true');
add_filter('auto_update_theme', '__return_true');
// DISALLOW_FILE_MODS (wp-config) removes every file change from wp-admin; the background
// updater alone may still update what the deployment installed.
add_filter('file_mod_allowed', function ($allowed, $context) {
    return $context === 'automatic_updater' ? true : $allowed;
}, 10, 2);

// 3. openid-connect-generic: installed from wordpress.org when missing, then activated.
add_action('init', function () {
    if (wp_installing() || !is_blog_installed()) {
        return;
    }
    require_once ABSPATH . 'wp-admin/includes/plugin.php';
    if (!file_exists(WP_PLUGIN_DIR . '/' . SOCLE_OIDC_PLUGIN_FILE)) {
        if (get_transient('socle_oidc_install_try')) {
            return;
        }
        set_transient('socle_oidc_install_try', 1, HOUR_IN_SECONDS);
        require_once ABSPATH . 'wp-admin/includes/file.php';
        $zip = download_url(SOCLE_OIDC_PLUGIN_ZIP, 60);
        if (is_wp_error($zip)) {
            error_log('socle: cannot download ' . SOCLE_OIDC_PLUGIN_ZIP . ': ' . $zip->get_error_message());
            return;
        }
        WP_Filesystem();
        $done = unzip_file($zip, WP_PLUGIN_DIR);
        @unlink($zip);
        if (is_wp_error($done)) {
            error_log('socle: cannot unzip openid-connect-generic: ' . $done->get_error_message());
            return;
        }
    }
    if (!is_plugin_active(SOCLE_OIDC_PLUGIN_FILE)) {
        $err = activate_plugin(SOCLE_OIDC_PLUGIN_FILE);
        if (is_wp_error($err)) {
            error_log('socle: cannot activate openid-connect-generic: ' . $err->get_error_message());
        }
    }
});

// 4. The association's admin email (verified by the realm) is an administrator.
function socle_grant_admin($user, $user_claim)
{
    if (!($user instanceof WP_User) || !is_array($user_claim)) {
        return;
    }
    $email = strtolower(trim((string) ($user_claim['email'] ?? '')));
    $verified = !empty($user_claim['email_verified']);
    if ($verified && $email === SOCLE_ADMIN_EMAIL && !in_array('administrator', (array) $user->roles, true)) {
        $user->set_role('administrator');
    }
}
add_action('openid-connect-generic-user-create', 'socle_grant_admin', 10, 2);
add_action('openid-connect-generic-update-user-using-current-claim', 'socle_grant_admin', 10, 2);
`;
}

/** Where the mu-plugin is uploaded (inside the `/var/www/html` volume). */
export const WORDPRESS_MU_PLUGIN_PATH = "/var/www/html/wp-content/mu-plugins/socle.php";
