import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  OIDC_PLUGIN,
  PEERTUBE_FILES,
  renderPeertubeConfigure,
  renderPeertubeEntrypoint,
  renderPeertubeLocalConfig,
  validatePeertubeFederation,
  type PeertubeConfigureArgs,
} from "../../templates/peertube-config.js";
import { toolPath } from "./tools.js";

const tool = toolPath;

function check(script: string, shell: "bash" | "sh"): void {
  const dir = mkdtempSync(join(tmpdir(), "pt-"));
  const file = join(dir, "script.sh");
  writeFileSync(file, script, { mode: 0o755 });
  const syntax = spawnSync(shell, ["-n", file], { encoding: "utf8" });
  expect(syntax.stderr).toBe("");
  expect(syntax.status).toBe(0);
  const sc = tool("shellcheck");
  if (!sc) {
    console.warn("shellcheck not installed: skipping the lint (CI=true makes this a failure)");
    return;
  }
  const lint = spawnSync(sc, ["-s", shell, file], { encoding: "utf8" });
  expect(lint.stdout).toBe("");
  expect(lint.status).toBe(0);
}

const SELF = "video.demo.localhost";

describe("templates/peertube-config: production.yaml overrides", () => {
  it("parses back to the default federation (followers open, no auto-follow, no redundancy)", () => {
    const text = renderPeertubeLocalConfig({ follow: [], autoFollowBack: false, redundancy: false }, SELF);
    expect(text.startsWith("# Rendered by Socle")).toBe(true);
    expect(parse(text)).toEqual({
      followers: { instance: { enabled: true, manual_approval: false } },
      followings: {
        instance: {
          auto_follow_back: { enabled: false },
          auto_follow_index: { enabled: false, index_url: "" },
        },
      },
      redundancy: { videos: { check_interval: "1 hour", strategies: [] } },
      remote_redundancy: { videos: { accept_from: "nobody" } },
    });
  });

  it("parses back to a federated sibling setup with redundancy", () => {
    const text = renderPeertubeLocalConfig(
      {
        follow: ["video.b.fr", "video.a.fr"],
        autoFollowBack: true,
        redundancy: true,
        manualApproval: true,
        autoFollowIndex: "https://instances.joinpeertube.org/api/v1/instances/hosts",
        redundancySize: "50GB",
      },
      SELF,
    );
    expect(parse(text)).toEqual({
      followers: { instance: { enabled: true, manual_approval: true } },
      followings: {
        instance: {
          auto_follow_back: { enabled: true },
          auto_follow_index: {
            enabled: true,
            index_url: "https://instances.joinpeertube.org/api/v1/instances/hosts",
          },
        },
      },
      redundancy: {
        videos: {
          check_interval: "1 hour",
          strategies: [{ min_lifetime: "48 hours", min_views: 0, size: "50GB", strategy: "recently-added" }],
        },
      },
      remote_redundancy: { videos: { accept_from: "followings" } },
    });
  });

  it("is deterministic with sorted keys", () => {
    const f = { follow: [], autoFollowBack: true, redundancy: true };
    const text = renderPeertubeLocalConfig(f, SELF);
    expect(renderPeertubeLocalConfig(f, SELF)).toBe(text);
    const top = text.split("\n").filter((l) => /^[a-z_]+:/.test(l));
    expect(top).toEqual(["followers:", "followings:", "redundancy:", "remote_redundancy:"]);
  });

  it.each([
    [
      { follow: ["https://video.a.fr"] },
      'peertube federation: follow "https://video.a.fr" is not a host name (no scheme, lower case)',
    ],
    [{ follow: [SELF] }, `peertube federation: an instance cannot follow itself (${SELF})`],
    [{ follow: ["video.a.fr", "video.a.fr"] }, 'peertube federation: follow "video.a.fr" is listed twice'],
    [{ redundancySize: "10 GB" }, 'peertube federation: redundancySize "10 GB" is not a size like 10GB'],
    [
      { autoFollowIndex: "http://x.fr/" },
      'peertube federation: autoFollowIndex "http://x.fr/" is not an https:// URL',
    ],
  ])("refuses %j", (partial, message) => {
    const f = { follow: [], autoFollowBack: false, redundancy: false, ...partial };
    expect(() => validatePeertubeFederation(f, SELF)).toThrow(message);
    expect(() => renderPeertubeLocalConfig(f, SELF)).toThrow(message);
  });
});

const full: PeertubeConfigureArgs = {
  hostname: SELF,
  clientSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
  oidc: {
    discoveryUrl: "https://sso.demo.localhost/realms/demo/.well-known/openid-configuration",
    clientId: "peertube",
    displayName: "Connexion unique",
    pluginVersion: "1.0.2",
  },
};

describe("templates/peertube-config: entrypoint and configurator", () => {
  it("wraps the image's entrypoint", () => {
    expect(PEERTUBE_FILES).toEqual({
      localConfig: "/config/local-production.yaml",
      entrypoint: "/socle/entrypoint.sh",
      configure: "/socle/configure.sh",
      imageEntrypoint: "/usr/local/bin/entrypoint.sh",
    });
    const ep = renderPeertubeEntrypoint();
    expect(ep).toContain('"/socle/configure.sh" &\nexec /usr/local/bin/entrypoint.sh "$@"\n');
    check(ep, "sh");
  });

  it("renders a configurator that passes bash -n and shellcheck (full and minimal)", () => {
    check(renderPeertubeConfigure(full), "bash");
    check(renderPeertubeConfigure({ hostname: SELF, clientSecretEnv: "X" }), "bash");
  });

  it("quotes a button label with apostrophes and shell characters: bash -n passes and the shell reads it back exactly", () => {
    const label = `Connexion à Saint-Martin-d'Hères «$HOME» \`id\` \\`;
    const script = renderPeertubeConfigure({ ...full, oidc: { ...full.oidc!, displayName: label } });
    const dir = mkdtempSync(join(tmpdir(), "pt-"));
    writeFileSync(join(dir, "configure.sh"), script);
    expect(spawnSync("bash", ["-n", join(dir, "configure.sh")], { encoding: "utf8" }).status).toBe(0);
    const line = script.split("\n").find((l) => l.startsWith("export SOCLE_DISPLAY_NAME="))!;
    const echoed = spawnSync("bash", ["-c", `${line}; printf %s "$SOCLE_DISPLAY_NAME"`], {
      encoding: "utf8",
    });
    expect(echoed.stdout).toBe(label);
  });

  it("installs and configures the plugin, follows nobody (the follow job does), with no secret in the script", () => {
    const s = renderPeertubeConfigure(full);
    expect(OIDC_PLUGIN).toBe("peertube-plugin-auth-openid-connect");
    expect(s).toContain(`HOSTNAME_PT='${SELF}'`);
    expect(s).toContain(
      `api -X POST "$API/plugins/install" --data '{"npmName":"peertube-plugin-auth-openid-connect","pluginVersion":"1.0.2"}'`,
    );
    expect(s).toContain(`api -X PUT "$API/plugins/peertube-plugin-auth-openid-connect/settings"`);
    expect(s).toContain(
      "export SOCLE_DISCOVER_URL='https://sso.demo.localhost/realms/demo/.well-known/openid-configuration'",
    );
    expect(s).toContain("export SOCLE_CLIENT_ID='peertube'");
    expect(s).toContain("export SOCLE_SECRET_ENV='SOCLE_OIDC_CLIENT_SECRET'");
    expect(s).not.toContain("server/following");
    expect(s).toContain('--data-urlencode "password@$tmp/pw"');
    expect(s).not.toMatch(/client-secret": "[^"]/);
  });

  it("builds the plugin settings JSON from the environment (the node snippet really runs)", () => {
    const s = renderPeertubeConfigure(full);
    const start = s.indexOf("node -e '") + "node -e '".length;
    const end = s.indexOf(`' >"$tmp/settings.json"`);
    const js = s.slice(start, end);
    const r = spawnSync(process.execPath, ["-e", js], {
      encoding: "utf8",
      env: {
        SOCLE_DISCOVER_URL: "https://sso/x",
        SOCLE_CLIENT_ID: "peertube",
        SOCLE_DISPLAY_NAME: "Connexion unique",
        SOCLE_SECRET_ENV: "SOCLE_OIDC_CLIENT_SECRET",
        SOCLE_OIDC_CLIENT_SECRET: "s3cr3t",
      },
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      settings: {
        "auth-display-name": "Connexion unique",
        "discover-url": "https://sso/x",
        "client-id": "peertube",
        "client-secret": "s3cr3t",
        scope: "openid email profile",
        "username-property": "preferred_username",
        "mail-property": "email",
        "display-name-property": "name",
        "signature-algorithm": "RS256",
      },
    });
  });

  it("leaves the plugin alone without SSO", () => {
    const s = renderPeertubeConfigure({ hostname: SELF, clientSecretEnv: "X" });
    expect(s).not.toContain("plugins");
    expect(s).not.toContain("server/following");
  });

  it.each([
    [{ hostname: "Video.x" }, 'peertube configure: hostname "Video.x" is not a host name'],
    [{ clientSecretEnv: "a-b" }, 'peertube configure: clientSecretEnv "a-b" is not an env var name'],
    [
      { oidc: { ...full.oidc!, discoveryUrl: "http://sso/x" } },
      'peertube configure: discoveryUrl "http://sso/x" is not an https:// URL',
    ],
    [
      { oidc: { ...full.oidc!, displayName: "it\ns" } },
      'peertube configure: displayName "it\\ns" is not one line of display text',
    ],
    [
      { oidc: { ...full.oidc!, pluginVersion: "latest" } },
      'peertube configure: pluginVersion "latest" is not x.y.z',
    ],
  ])("refuses %j", (partial, message) => {
    expect(() => renderPeertubeConfigure({ ...full, ...partial })).toThrow(message);
  });
});
