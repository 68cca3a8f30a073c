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
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OIDC_PLUGIN, renderPeertubeConfigure } from "../../templates/peertube-config.js";

const HOST = "video.demo.localhost";
const ROOT_PW = "r00t pw&=+%";
const SECRET = "client-s3cr3t";

interface Call {
  method: string;
  path: string;
  body: string;
}
const state = { installed: false, installFails: false, calls: [] as Call[] };

function body(req: IncomingMessage): Promise<string> {
  return new Promise((r) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => r(b));
  });
}

let server: Server;
let api: string;
beforeAll(async () => {
  server = createServer(async (req, res) => {
    const b = await body(req);
    const path = req.url ?? "";
    state.calls.push({ method: req.method ?? "", path, body: b });
    const send = (code: number, json?: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(json === undefined ? "" : JSON.stringify(json));
    };
    if (path === "/api/v1/ping") return send(200, "pong");
    if (req.headers.host !== HOST) return send(403, { error: "wrong host" });
    if (path === "/api/v1/oauth-clients/local") return send(200, { client_id: "cid", client_secret: "csec" });
    if (path === "/api/v1/users/token") {
      const f = new URLSearchParams(b);
      const ok =
        f.get("client_id") === "cid" &&
        f.get("client_secret") === "csec" &&
        f.get("grant_type") === "password" &&
        f.get("username") === "root" &&
        f.get("password") === ROOT_PW;
      return ok ? send(200, { access_token: "tok" }) : send(400, { error: "invalid_grant" });
    }
    if (req.headers.authorization !== "Bearer tok") return send(401);
    if (path === `/api/v1/plugins/${OIDC_PLUGIN}` && req.method === "GET")
      return send(state.installed ? 200 : 404);
    if (path === "/api/v1/plugins/install" && req.method === "POST") {
      if (state.installFails) return send(400, { error: "npm registry unreachable" });
      state.installed = true;
      return send(200);
    }
    if (path === `/api/v1/plugins/${OIDC_PLUGIN}/settings` && req.method === "PUT") return send(204);
    return send(404);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

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

const summary = (calls: Call[]) => calls.map((c) => `${c.method} ${c.path}`);

describe("templates/peertube-config: configure.sh against a PeerTube API stand-in", () => {
  it("installs the plugin and writes its settings with the secret from the env, nothing else", async () => {
    state.calls = [];
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
    state.calls = [];
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
