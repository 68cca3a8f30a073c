/**
 * The rendered /socle/configure.sh really runs (bash, curl, node, as in the
 * official image) against a stand-in of PeerTube's REST API that enforces
 * what the real one does: the local OAuth client only for the configured
 * Host, the password grant for root, bearer auth on the admin routes. Proves:
 * the plugin is installed once (idempotent), its settings carry the client
 * secret read from the environment, nothing else is asked (following the
 * siblings is the follow job's: peertube-follow-run.test.ts), and failures
 * (wrong root password, no npm registry) exit non-zero with a clear line.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OIDC_PLUGIN, renderPeertubeConfigure } from "../../templates/peertube-config.js";
import { peertubeStandIn, type PeertubeStandIn, type StandInCall } from "./peertube-stand-in.js";

const HOST = "video.demo.localhost";
const ROOT_PW = "r00t pw&=+%";
const SECRET = "client-s3cr3t";

let standIn: PeertubeStandIn;
const state = {
  installed: false,
  installFails: false,
  get calls(): StandInCall[] {
    return standIn.calls;
  },
};
let api: string;
beforeAll(async () => {
  standIn = await peertubeStandIn({
    host: HOST,
    rootPassword: ROOT_PW,
    routes: ({ method, path }, send) => {
      if (path === `/api/v1/plugins/${OIDC_PLUGIN}` && method === "GET")
        return send(state.installed ? 200 : 404);
      if (path === "/api/v1/plugins/install" && method === "POST") {
        if (state.installFails) return send(400, { error: "npm registry unreachable" });
        state.installed = true;
        return send(200);
      }
      if (path === `/api/v1/plugins/${OIDC_PLUGIN}/settings` && method === "PUT") return send(204);
    },
  });
  api = standIn.api;
});
afterAll(() => standIn.close());

const dir = mkdtempSync(join(tmpdir(), "pt-configure-"));
const script = join(dir, "configure.sh");
writeFileSync(
  script,
  renderPeertubeConfigure({
    hostname: HOST,
    clientSecretEnv: "SOCLE_OIDC_CLIENT_SECRET",
    oidc: {
      discoveryUrl: "https://sso.demo.localhost/realms/demo/.well-known/openid-configuration",
      clientId: "peertube",
      displayName: "Connexion unique",
    },
  }),
  { mode: 0o755 },
);

function run(rootPw = ROOT_PW): Promise<{ code: number; out: string }> {
  return new Promise((r) => {
    execFile(
      "bash",
      [script],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          SOCLE_PEERTUBE_API: api,
          PT_INITIAL_ROOT_PASSWORD: rootPw,
          SOCLE_OIDC_CLIENT_SECRET: SECRET,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        r({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

const summary = (calls: StandInCall[]) => calls.map((c) => `${c.method} ${c.path}`);

describe("templates/peertube-config: configure.sh against a PeerTube API stand-in", () => {
  it("installs the plugin and writes its settings with the secret from the env, nothing else", async () => {
    state.calls.length = 0;
    const r = await run();
    expect(r.out).toBe(
      [
        `socle configure: installed ${OIDC_PLUGIN}`,
        `socle configure: configured ${OIDC_PLUGIN} for peertube`,
        "socle configure: done",
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(0);
    expect(summary(state.calls)).toEqual([
      "GET /api/v1/ping",
      "GET /api/v1/oauth-clients/local",
      "POST /api/v1/users/token",
      `GET /api/v1/plugins/${OIDC_PLUGIN}`,
      "POST /api/v1/plugins/install",
      `PUT /api/v1/plugins/${OIDC_PLUGIN}/settings`,
    ]);
    expect(JSON.parse(state.calls[4]!.body)).toEqual({ npmName: OIDC_PLUGIN });
    expect(JSON.parse(state.calls[5]!.body)).toEqual({
      settings: {
        "auth-display-name": "Connexion unique",
        "discover-url": "https://sso.demo.localhost/realms/demo/.well-known/openid-configuration",
        "client-id": "peertube",
        "client-secret": SECRET,
        scope: "openid email profile",
        "username-property": "preferred_username",
        "mail-property": "email",
        "display-name-property": "name",
        "signature-algorithm": "RS256",
      },
    });
  });

  it("does not reinstall on the next start (idempotent), but rewrites the settings", async () => {
    state.calls.length = 0;
    const r = await run();
    expect(r.code).toBe(0);
    expect(summary(state.calls)).not.toContain("POST /api/v1/plugins/install");
    expect(summary(state.calls)).toContain(`PUT /api/v1/plugins/${OIDC_PLUGIN}/settings`);
  });

  it("fails clearly when root's password no longer matches", async () => {
    const r = await run("changed-in-the-ui");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "socle configure: cannot log in as root (was its password changed in the UI?); nothing configured",
    );
  });

  it("fails clearly when the plugin cannot be installed (no npm registry)", async () => {
    state.installed = false;
    state.installFails = true;
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `socle configure: cannot install ${OIDC_PLUGIN} (no access to the npm registry?); SSO is off until the next start`,
    );
    state.installFails = false;
  });
});
