import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  NEXTCLOUD_HOOK_PATHS,
  OIDC_SECRET_ENV,
  renderNextcloudHook,
  shellQuote,
  validateNextcloudHooksInput,
  type NextcloudHooksInput,
} from "../../templates/nextcloud-hooks.js";
import { expectCleanBash } from "./tools.js";

const full: NextcloudHooksInput = {
  url: "https://cloud.demo.localhost",
  phoneRegion: "FR",
  insecureTls: true,
  office: { wopiUrl: "https://office.demo.localhost", wopiAllowlist: ["172.18.0.0/16"] },
  oidc: {
    provider: "keycloak",
    clientId: "nextcloud",
    discoveryUri: "https://sso.demo.localhost/realms/demo/.well-known/openid-configuration",
  },
};
const minimal: NextcloudHooksInput = { url: "https://cloud.ville.fr", phoneRegion: "FR" };
const production: NextcloudHooksInput = {
  url: "https://cloud.ville.fr",
  phoneRegion: "FR",
  office: { wopiUrl: "https://office.ville.fr", wopiAllowlist: ["172.18.0.0/16", "10.0.0.5"] },
  oidc: {
    provider: "keycloak",
    clientId: "nextcloud",
    discoveryUri: "https://sso.ville.fr/realms/ville/.well-known/openid-configuration",
  },
};

function writeScript(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "nc-hook-"));
  const file = join(dir, "50-socle-config.sh");
  writeFileSync(file, content, { mode: 0o755 });
  return file;
}

describe("templates/nextcloud-hooks", () => {
  it("uploads to post-installation and before-starting", () => {
    expect(NEXTCLOUD_HOOK_PATHS).toEqual([
      "/docker-entrypoint-hooks.d/post-installation/50-socle-config.sh",
      "/docker-entrypoint-hooks.d/before-starting/50-socle-config.sh",
    ]);
    expect(OIDC_SECRET_ENV).toBe("SOCLE_OIDC_CLIENT_SECRET");
  });

  it("renders the full configuration exactly", () => {
    expect(renderNextcloudHook(full)).toBe(`#!/bin/bash
# Socle: configuration of https://cloud.demo.localhost
# Rendered by templates/nextcloud-hooks.ts. Run by the image's entrypoint as www-data,
# after installation and before every start. Idempotent: safe to re-run.
set -euo pipefail

occ() {
  php /var/www/html/occ --no-interaction "$@"
}

# Installs an app from the app store unless present, then enables it.
app_on() {
  if ! occ app:getpath "$1" >/dev/null 2>&1; then
    occ app:install "$1"
  fi
  occ app:enable "$1"
}

# Background jobs: the cron container runs cron.php every 5 minutes.
occ background:cron
occ config:system:set default_phone_region --value='FR'

# Federated sharing, both ways.
occ config:app:set files_sharing outgoing_server2server_share_enabled --value=yes
occ config:app:set files_sharing incoming_server2server_share_enabled --value=yes

# Collabora Online.
app_on richdocuments
occ config:app:set richdocuments wopi_url --value='https://office.demo.localhost'
occ config:app:set richdocuments wopi_allowlist --value='172.18.0.0/16'
occ config:app:set richdocuments disable_certificate_verification --value=yes
# Collabora may still be starting: the URL is set, discovery is fetched again on first use.
if ! occ richdocuments:activate-config; then
  echo "socle: Collabora at https://office.demo.localhost not reachable yet; will retry on next start" >&2
fi

# Single sign-on through Keycloak (secret read from the environment).
app_on user_oidc
occ config:system:set user_oidc httpclient.allowselfsigned --type=boolean --value=true
occ user_oidc:provider 'keycloak' \\
  --clientid='nextcloud' \\
  --clientsecret="\${SOCLE_OIDC_CLIENT_SECRET:?SOCLE_OIDC_CLIENT_SECRET is not set}" \\
  --discoveryuri='https://sso.demo.localhost/realms/demo/.well-known/openid-configuration' \\
  --unique-uid=0 \\
  --mapping-uid=preferred_username \\
  --mapping-display-name=name \\
  --mapping-email=email \\
  --group-provisioning=1 \\
  --mapping-groups=groups
`);
  });

  it("office: false renders no richdocuments step; production renders no TLS bypass", () => {
    const m = renderNextcloudHook(minimal);
    expect(m).not.toContain("richdocuments");
    expect(m).not.toContain("user_oidc");
    // Trusted servers are the federation job's (templates/nextcloud-federation.ts), never the hook's.
    for (const input of [full, minimal, production]) {
      expect(renderNextcloudHook(input)).not.toMatch(/trust_server|TrustedServers|app_on federation/);
    }
    const p = renderNextcloudHook(production);
    expect(p).toContain("occ config:app:set richdocuments wopi_allowlist --value='172.18.0.0/16,10.0.0.5'\n");
    expect(p).not.toContain("disable_certificate_verification");
    expect(p).not.toContain("allowselfsigned");
  });

  it("is deterministic and holds no secret", () => {
    expect(renderNextcloudHook(full)).toBe(renderNextcloudHook({ ...full }));
    expect(renderNextcloudHook(full)).not.toMatch(/clientsecret='/);
  });

  it("refuses bad inputs with exact messages", () => {
    const cases: [NextcloudHooksInput, string][] = [
      [{ ...minimal, url: "http://cloud.x" }, 'nextcloud hooks: url "http://cloud.x" is not an https URL'],
      [{ ...minimal, phoneRegion: "fr" }, 'nextcloud hooks: phoneRegion "fr" is not an ISO country code'],
      [
        { ...minimal, office: { wopiUrl: "https://o.x", wopiAllowlist: [] } },
        "nextcloud hooks: wopiAllowlist is empty (Collabora could not reach the WOPI endpoints)",
      ],
      [
        { ...minimal, office: { wopiUrl: "https://o.x", wopiAllowlist: ["1.2.3.4; rm -rf /"] } },
        'nextcloud hooks: wopiAllowlist entry "1.2.3.4; rm -rf /" is not an IP or CIDR',
      ],
      [
        { ...minimal, oidc: { provider: "key cloak", clientId: "nc", discoveryUri: "https://s.x/d" } },
        'nextcloud hooks: oidc provider "key cloak" must match [A-Za-z0-9._-]',
      ],
    ];
    for (const [input, msg] of cases) expect(() => validateNextcloudHooksInput(input)).toThrow(msg);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it("passes bash -n and shellcheck (real tools)", () => {
    for (const input of [full, minimal, production]) expectCleanBash(writeScript(renderNextcloudHook(input)));
  });

  it("runs: occ calls in order, secret from the environment, re-run safe (fake php on PATH)", () => {
    const file = writeScript(renderNextcloudHook(production));
    const bin = mkdtempSync(join(tmpdir(), "nc-bin-"));
    const log = join(bin, "calls.log");
    // app:getpath fails for richdocuments the first time (not installed), succeeds for user_oidc.
    writeFileSync(
      join(bin, "php"),
      `#!/bin/bash\nprintf '%s\\n' "$*" >> ${shellQuote(log)}\n` +
        `if [ "$3" = app:getpath ] && [ "$4" = richdocuments ] && [ ! -e ${shellQuote(bin)}/installed ]; then exit 1; fi\n` +
        `if [ "$3" = app:install ]; then touch ${shellQuote(bin)}/installed; fi\nexit 0\n`,
    );
    chmodSync(join(bin, "php"), 0o755);
    const env = { PATH: `${bin}:/usr/bin:/bin`, [OIDC_SECRET_ENV]: "s3cr3t-from-env" };
    execFileSync("bash", [file], { env });
    const calls = readFileSync(log, "utf8").trim().split("\n");
    const occ = "/var/www/html/occ --no-interaction ";
    expect(calls).toEqual([
      `${occ}background:cron`,
      `${occ}config:system:set default_phone_region --value=FR`,
      `${occ}config:app:set files_sharing outgoing_server2server_share_enabled --value=yes`,
      `${occ}config:app:set files_sharing incoming_server2server_share_enabled --value=yes`,
      `${occ}app:getpath richdocuments`,
      `${occ}app:install richdocuments`,
      `${occ}app:enable richdocuments`,
      `${occ}config:app:set richdocuments wopi_url --value=https://office.ville.fr`,
      `${occ}config:app:set richdocuments wopi_allowlist --value=172.18.0.0/16,10.0.0.5`,
      `${occ}richdocuments:activate-config`,
      `${occ}app:getpath user_oidc`,
      `${occ}app:enable user_oidc`,
      `${occ}user_oidc:provider keycloak --clientid=nextcloud --clientsecret=s3cr3t-from-env ` +
        `--discoveryuri=https://sso.ville.fr/realms/ville/.well-known/openid-configuration --unique-uid=0 ` +
        `--mapping-uid=preferred_username --mapping-display-name=name --mapping-email=email ` +
        `--group-provisioning=1 --mapping-groups=groups`,
    ]);
    // Second run (before-starting on the next start): nothing is installed again.
    execFileSync("bash", [file], { env });
    const again = readFileSync(log, "utf8").trim().split("\n").slice(calls.length);
    expect(again.filter((c) => c.includes("app:install"))).toEqual([]);
    // Without the secret in the environment the script stops before configuring the provider.
    const r = spawnSync("bash", [file], { env: { PATH: env.PATH }, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("SOCLE_OIDC_CLIENT_SECRET is not set");
  });
});
