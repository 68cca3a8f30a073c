/**
 * The follow job's script (templates/peertube-follow.ts): exact render (the
 * shared login block, then one follow request), exact refusals, bash -n +
 * shellcheck, and real runs (bash, curl, node) against a stand-in of
 * PeerTube's REST API that enforces the Host check, root's password grant
 * and bearer auth: the siblings are followed (sorted, de-duplicated), a re-run
 * asks again and still exits 0, a refused request is logged and not fatal,
 * a wrong root password exits 1 before asking anything.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPeertubeLogin } from "../../templates/peertube-config.js";
import {
  PEERTUBE_FOLLOW_ENV,
  PEERTUBE_FOLLOW_SCRIPT,
  renderPeertubeFollow,
  validatePeertubeFollowArgs,
  type PeertubeFollowArgs,
} from "../../templates/peertube-follow.js";

const HOST = "video.demo.localhost";
const ROOT_PW = "r00t pw&=+%";
const args: PeertubeFollowArgs = {
  hostname: HOST,
  api: "http://demo-peertube:9000/api/v1",
  follow: ["video.b.fr", "video.a.fr", "video.b.fr"],
};

function tool(name: string): string | undefined {
  const path = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (path) return path;
  if (process.env.CI === "true")
    throw new Error(`${name} is required under CI=true (apt-get install ${name})`);
  return undefined;
}

describe("templates/peertube-follow", () => {
  it("renders the shared login block, then one follow request (sorted, de-duplicated)", () => {
    expect(PEERTUBE_FOLLOW_SCRIPT).toBe("/socle/follow.sh");
    expect(PEERTUBE_FOLLOW_ENV).toEqual({ rootPassword: "PT_ROOT_PASSWORD" });
    expect(renderPeertubeFollow(args)).toBe(
      [
        "#!/bin/bash",
        "# Rendered by Socle (templates/peertube-follow.ts). Idempotent; run again when the list changes.",
        "# Secret from the environment: PT_ROOT_PASSWORD.",
        "set -euo pipefail",
        "HOSTNAME_PT='video.demo.localhost'",
        "API='http://demo-peertube:9000/api/v1'",
        'log() { echo "socle peertube follow: $*"; }',
        'tmp="$(mktemp -d)"',
        "trap 'rm -rf \"$tmp\"' EXIT",
        ...renderPeertubeLogin({ rootPasswordEnv: "PT_ROOT_PASSWORD", waitTries: 120 }),
        "",
        "# 3. follow the sibling instances (already-followed hosts are refused: not an error)",
        `if api -X POST "$API/server/following" --data '{"hosts":["video.a.fr","video.b.fr"]}' -o /dev/null; then`,
        '  log "following requested"',
        "else",
        '  log "follow request refused (already following?)"',
        "fi",
        'log "done"',
        "",
      ].join("\n"),
    );
    const reversed = { ...args, follow: [...args.follow].reverse() };
    expect(renderPeertubeFollow(reversed)).toBe(renderPeertubeFollow(args));
  });

  it.each([
    [{ hostname: "Video.x" }, 'peertube follow: hostname "Video.x" is not a host name'],
    [
      { api: "https://demo-peertube/api/v1" },
      'peertube follow: api "https://demo-peertube/api/v1" is not http://<container>:<port>/api/v1',
    ],
    [{ follow: [] }, "peertube follow: nothing to follow (no job is needed then)"],
    [{ follow: ["https://video.a.fr"] }, 'peertube follow: follow "https://video.a.fr" is not a host name'],
    [{ follow: [HOST] }, `peertube follow: an instance cannot follow itself (${HOST})`],
  ])("refuses %j", (partial, message) => {
    expect(() => validatePeertubeFollowArgs({ ...args, ...partial })).toThrow(message);
    expect(() => renderPeertubeFollow({ ...args, ...partial })).toThrow(message);
  });

  it("passes bash -n and shellcheck (real tools)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "pt-follow-")), "follow.sh");
    writeFileSync(file, renderPeertubeFollow(args));
    execFileSync("bash", ["-n", file]);
    const sc = tool("shellcheck");
    if (!sc) return console.warn("shellcheck not installed: skipped outside CI (apt-get install shellcheck)");
    const r = spawnSync(sc, ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

const state = { refuse: false, calls: [] as { method: string; path: string; body: string }[] };
function body(req: IncomingMessage): Promise<string> {
  return new Promise((r) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => r(b));
  });
}
let server: Server;
let script: string;
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
    if (path === "/api/v1/server/following" && req.method === "POST") {
      if (req.headers["content-type"] !== "application/json") return send(415);
      return state.refuse ? send(409, { error: "already following" }) : send(204);
    }
    return send(404);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  // The stand-in listens on 127.0.0.1 (the job reaches `<tenant>-peertube:9000` on socle-web).
  script = join(mkdtempSync(join(tmpdir(), "pt-follow-run-")), "follow.sh");
  writeFileSync(script, renderPeertubeFollow({ ...args, api }));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(rootPw = ROOT_PW): Promise<{ code: number; out: string }> {
  return new Promise((r) => {
    execFile(
      "bash",
      [script],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PT_ROOT_PASSWORD: rootPw }, timeout: 60_000 },
      (err, stdout, stderr) =>
        r({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}
const summary = () => state.calls.map((c) => `${c.method} ${c.path}`);

describe("the follow job runs against a PeerTube API stand-in (bash, curl, node)", () => {
  it("logs in as root and asks to follow the siblings, sorted", async () => {
    tool("curl");
    state.calls = [];
    const r = await run();
    expect(r.out).toBe("socle peertube follow: following requested\nsocle peertube follow: done\n");
    expect(r.code).toBe(0);
    expect(summary()).toEqual([
      "GET /api/v1/ping",
      "GET /api/v1/oauth-clients/local",
      "POST /api/v1/users/token",
      "POST /api/v1/server/following",
    ]);
    expect(JSON.parse(state.calls[3]!.body)).toEqual({ hosts: ["video.a.fr", "video.b.fr"] });
  });

  it("a refused request (already following) is logged, not fatal", async () => {
    state.refuse = true;
    const r = await run();
    state.refuse = false;
    expect(r.code).toBe(0);
    expect(r.out).toContain("socle peertube follow: follow request refused (already following?)\n");
  });

  it("fails with exit 1 when root's password no longer matches, before asking anything", async () => {
    state.calls = [];
    const r = await run("changed-in-the-ui");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "socle peertube follow: cannot log in as root (was its password changed in the UI?); nothing configured",
    );
    expect(summary()).not.toContain("POST /api/v1/server/following");
  });
});
