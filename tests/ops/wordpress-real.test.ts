/**
 * The rendered WORDPRESS_CONFIG_EXTRA and socle.php mu-plugin in a REAL
 * WordPress: Debian 12's `wordpress` package (6.1, the official image cannot
 * be pulled here) with MariaDB, in a container built from the debootstrap base.
 * A stand-in wp-config.php does what the official image's wp-config-docker.php
 * does with the env (`eval(getenv('WORDPRESS_CONFIG_EXTRA'))`). Proves: the
 * first request to install.php installs the site (title, https site URL, the
 * admin account with the association's email), install.php then answers 200
 * (the health path), auto-updates are on while the admin can install, upload
 * or edit no plugin, theme or core file (DISALLOW_FILE_MODS), the OIDC secret comes from the env,
 * the admin role goes to the verified admin email only, and a failed plugin
 * download (no internet) is logged and retried at most hourly.
 *
 * Image `socle-test/wordpress-check`, built here from `socle-test/debian:12`
 * (cached by Docker after the first run). No docker: skipped outside CI, a
 * failure under CI=true.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { WORDPRESS_DEFAULTS } from "../../components/apps/wordpress-site.js";
import { renderWordpressConfigExtra, renderWordpressMuPlugin } from "../../templates/wordpress-config.js";

function dockerUsable(): boolean {
  try {
    execFileSync("docker", ["image", "inspect", "socle-test/debian:12"], {
      stdio: "ignore",
      timeout: 20_000,
    });
    return true;
  } catch {
    return false;
  }
}
const haveDocker = dockerUsable();
if (!haveDocker && process.env.CI === "true") {
  throw new Error(
    "wordpress-real: docker or the socle-test/debian:12 base is missing and CI=true: cannot skip",
  );
}
if (!haveDocker)
  console.warn("wordpress-real: SKIPPED, no usable docker engine or no socle-test/debian:12 base");
const real = haveDocker ? describe : describe.skip;

const IMAGE = "socle-test/wordpress-check";
const DOCKERFILE = `FROM socle-test/debian:12
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \\
    wordpress php-cli php-mysql mariadb-server curl ca-certificates && rm -rf /var/lib/apt/lists/*
`;

const WP_CONFIG = `<?php
// Stand-in for the official image's wp-config-docker.php (same eval of WORDPRESS_CONFIG_EXTRA).
define('DB_NAME', 'wp'); define('DB_USER', 'wp'); define('DB_PASSWORD', 'wp'); define('DB_HOST', '127.0.0.1');
define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $k) {
    define($k, 'test-' . $k);
}
$table_prefix = 'wp_';
if ($configExtra = getenv('WORDPRESS_CONFIG_EXTRA')) {
    eval($configExtra);
}
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;

const PROBE = `<?php
$_SERVER['HTTP_HOST'] = 'club-echecs.assos.demo.localhost';
require '/var/www/html/wp-load.php';
$out = [];
$out['installed'] = is_blog_installed();
$out['blogname'] = html_entity_decode(get_option('blogname'), ENT_QUOTES);
$out['siteurl'] = get_option('siteurl');
$admin = get_user_by('login', 'admin-club-echecs');
$out['admin'] = $admin ? [$admin->user_email, $admin->roles] : null;
$out['auto_update_plugin'] = apply_filters('auto_update_plugin', false, (object) []);
$out['auto_update_theme'] = apply_filters('auto_update_theme', false, (object) []);
$out['core'] = [WP_AUTO_UPDATE_CORE, DISALLOW_FILE_EDIT, DISALLOW_FILE_MODS];
wp_set_current_user($admin->ID);
$caps = ['install_plugins', 'upload_plugins', 'edit_plugins', 'update_plugins', 'delete_plugins', 'install_themes', 'upload_themes', 'edit_themes', 'update_core'];
$out['admin_file_caps'] = array_values(array_filter($caps, 'current_user_can'));
$out['file_mods'] = [wp_is_file_mod_allowed('capability_update_core'), wp_is_file_mod_allowed('automatic_updater')];
require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
$out['updater_disabled'] = (new WP_Automatic_Updater())->is_disabled();
wp_set_current_user(0);
$out['oidc'] = [OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ENDPOINT_TOKEN_URL, OIDC_LOGIN_TYPE];
$uid = wp_insert_user(['user_login' => 'jdupont', 'user_email' => 'jdupont@x.fr', 'user_pass' => wp_generate_password(), 'role' => 'subscriber']);
do_action('openid-connect-generic-user-create', new WP_User($uid), ['email' => 'presidence@club-echecs.fr', 'email_verified' => false]);
$out['unverified'] = (new WP_User($uid))->roles;
do_action('openid-connect-generic-update-user-using-current-claim', new WP_User($uid), ['email' => ' Presidence@club-echecs.fr', 'email_verified' => true]);
$out['verified'] = (new WP_User($uid))->roles;
$uid2 = wp_insert_user(['user_login' => 'autre', 'user_email' => 'autre@x.fr', 'user_pass' => wp_generate_password(), 'role' => 'subscriber']);
do_action('openid-connect-generic-user-create', new WP_User($uid2), ['email' => 'autre@x.fr', 'email_verified' => true]);
$out['other'] = (new WP_User($uid2))->roles;
$out['install_try'] = get_transient('socle_oidc_install_try');
echo json_encode($out, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\\n";
`;

const RUN = `#!/bin/bash
set -euo pipefail
mkdir -p /run/mysqld && chown mysql /run/mysqld
mysqld_safe >/dev/null 2>&1 &
for _ in $(seq 1 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
mysql -e "CREATE DATABASE wp; CREATE USER 'wp'@'127.0.0.1' IDENTIFIED BY 'wp'; GRANT ALL ON wp.* TO 'wp'@'127.0.0.1';"
rm -rf /var/www/html && mkdir -p /var/www && cp -rL /usr/share/wordpress /var/www/html
cp /w/wp-config.php /var/www/html/wp-config.php
mkdir -p /var/www/html/wp-content/mu-plugins && cp /w/socle.php /var/www/html/wp-content/mu-plugins/socle.php
WORDPRESS_CONFIG_EXTRA="$(cat /w/extra.php)"
export WORDPRESS_CONFIG_EXTRA SOCLE_OIDC_CLIENT_SECRET=s3cr3t-from-env
php -S 127.0.0.1:80 -t /var/www/html >/tmp/php.log 2>&1 &
for _ in $(seq 1 30); do curl -s -o /dev/null http://127.0.0.1/readme.html && break; sleep 0.5; done
echo "TABLES_BEFORE=$(mysql -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='wp'")"
echo "INSTALL=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'X-Forwarded-Proto: https' http://127.0.0.1/wp-admin/install.php)"
echo "HEALTH=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/wp-admin/install.php)"
echo "HOME=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' http://127.0.0.1/)"
echo "HOME2=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' http://127.0.0.1/)"
echo "PROBE=$(php /w/probe.php)"
echo "DOWNLOAD_TRIES=$(grep -c 'socle: cannot download' /tmp/php.log || true)"
`;

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    input,
    timeout: 900_000,
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

real("WordPress (Debian 6.1) with Socle's CONFIG_EXTRA and mu-plugin", () => {
  let out: Record<string, string> = {};
  beforeAll(() => {
    sh("docker", ["build", "-q", "-t", IMAGE, "-"], DOCKERFILE);
    const dir = mkdtempSync(join(tmpdir(), "socle-wp-"));
    chmodSync(dir, 0o755);
    const siteUrl = "https://club-echecs.assos.demo.localhost";
    writeFileSync(
      join(dir, "extra.php"),
      renderWordpressConfigExtra({
        siteUrl,
        oidc: {
          issuerUrl: "https://sso.demo.localhost/realms/demo",
          clientId: "wordpress-club-echecs",
          clientSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
          loginType: "button",
        },
      }),
    );
    writeFileSync(
      join(dir, "socle.php"),
      renderWordpressMuPlugin({
        adminEmail: "presidence@club-echecs.fr",
        title: "Club d'échecs",
        adminLogin: "admin-club-echecs",
        pluginZipUrl: WORDPRESS_DEFAULTS.oidcPluginZip,
        pluginFile: WORDPRESS_DEFAULTS.oidcPluginFile,
      }),
    );
    writeFileSync(join(dir, "wp-config.php"), WP_CONFIG);
    writeFileSync(join(dir, "probe.php"), PROBE);
    writeFileSync(join(dir, "run.sh"), RUN, { mode: 0o755 });
    const stdout = sh("docker", [
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      `${dir}:/w:ro`,
      IMAGE,
      "/w/run.sh",
    ]);
    out = Object.fromEntries(
      stdout
        .split("\n")
        .filter((l) => /^[A-Z_0-9]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  }, 900_000);

  it("installs the site on the first request to install.php, then install.php answers 200", () => {
    expect(out.TABLES_BEFORE).toBe("0");
    expect(out.INSTALL).toBe("302 https://club-echecs.assos.demo.localhost/");
    expect(out.HEALTH).toBe("200");
    expect(out.HOME).toBe("200");
  });

  it("configures what the templates promise, and maps the admin role on the verified email only", () => {
    expect(JSON.parse(out.PROBE!)).toEqual({
      installed: true,
      blogname: "Club d'échecs",
      siteurl: "https://club-echecs.assos.demo.localhost",
      admin: ["presidence@club-echecs.fr", ["administrator"]],
      auto_update_plugin: true,
      auto_update_theme: true,
      core: [true, true, true],
      // DISALLOW_FILE_MODS: the association's admin can add, upload or edit no code ...
      admin_file_caps: [],
      // ... while the background updater still updates what the deployment installed
      file_mods: [false, true],
      updater_disabled: false,
      oidc: [
        "wordpress-club-echecs",
        "s3cr3t-from-env",
        "https://sso.demo.localhost/realms/demo/protocol/openid-connect/token",
        "button",
      ],
      unverified: ["subscriber"],
      verified: ["administrator"],
      other: ["subscriber"],
      install_try: "1",
    });
  });

  it("logs the failed plugin download without internet and does not retry on every request", () => {
    expect(out.HOME2).toBe("200");
    expect(out.DOWNLOAD_TRIES).toBe("1");
  });
});
