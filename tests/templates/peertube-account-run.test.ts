/**
 * The rendered account job really runs (bash, curl, node) against a stand-in
 * of PeerTube's REST API that enforces the Host check, root's password grant
 * and bearer auth: first run creates the town's user with its channel and
 * names the channel; the next run finds the user and resets its password and
 * email (idempotent); a wrong root password fails with exit 1.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPeertubeAccount } from "../../templates/peertube-account.js";

const HOST = "video.epci.example";
const ROOT_PW = "r00t&=+%";
const users: { id: number; username: string; email: string; password: string; channelName: string }[] = [];
const calls: string[] = [];
const channels: Record<string, unknown> = {};

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
    const url = new URL(req.url ?? "/", "http://x");
    calls.push(`${req.method} ${url.pathname}`);
    const send = (code: number, json?: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(json === undefined ? "" : JSON.stringify(json));
    };
    if (url.pathname === "/api/v1/ping") return send(200, "pong");
    if (req.headers.host !== HOST) return send(403);
    if (url.pathname === "/api/v1/oauth-clients/local")
      return send(200, { client_id: "cid", client_secret: "csec" });
    if (url.pathname === "/api/v1/users/token") {
      const f = new URLSearchParams(b);
      return f.get("username") === "root" && f.get("password") === ROOT_PW && f.get("client_id") === "cid"
        ? send(200, { access_token: "tok" })
        : send(400);
    }
    if (req.headers.authorization !== "Bearer tok") return send(401);
    if (url.pathname === "/api/v1/users" && req.method === "GET") {
      const q = url.searchParams.get("search") ?? "";
      return send(200, { total: 1, data: users.filter((u) => u.username.includes(q)) });
    }
    if (url.pathname === "/api/v1/users" && req.method === "POST") {
      const u = JSON.parse(b) as (typeof users)[number] & { role: number; videoQuota: number };
      if (u.role !== 2 || u.videoQuota !== -1) return send(400);
      users.push({
        id: users.length + 1,
        username: u.username,
        email: u.email,
        password: u.password,
        channelName: u.channelName,
      });
      return send(200, { user: { id: users.length } });
    }
    const m = /^\/api\/v1\/users\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "PUT") {
      const u = users.find((x) => x.id === Number(m[1]));
      if (!u) return send(404);
      Object.assign(u, JSON.parse(b));
      return send(204);
    }
    const c = /^\/api\/v1\/video-channels\/([a-z0-9_.]+)$/.exec(url.pathname);
    if (c && req.method === "PUT") {
      channels[c[1]!] = JSON.parse(b);
      return send(204);
    }
    return send(404);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(rootPw: string, password: string): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pt-account-"));
  const script = join(dir, "account.sh");
  writeFileSync(
    script,
    renderPeertubeAccount({
      hostname: HOST,
      api,
      username: "commune_001",
      email: "admin@commune-001.example",
      channel: "commune_001_videos",
      channelDisplayName: "Commune d’Aubier",
    }),
  );
  return new Promise((r) =>
    execFile(
      "bash",
      [script],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          PT_ROOT_PASSWORD: rootPw,
          SOCLE_ACCOUNT_PASSWORD: password,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        r({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

describe("templates/peertube-account: the job against a PeerTube API stand-in", () => {
  it("creates the town's user with its channel, then names the channel", async () => {
    const r = await run(ROOT_PW, "first-pw");
    expect(r.out).toContain("socle peertube account: created commune_001 with channel commune_001_videos");
    expect(r.code).toBe(0);
    expect(users).toEqual([
      {
        id: 1,
        username: "commune_001",
        email: "admin@commune-001.example",
        password: "first-pw",
        channelName: "commune_001_videos",
      },
    ]);
    expect(channels).toEqual({ commune_001_videos: { displayName: "Commune d’Aubier" } });
  });

  it("is idempotent: the next run resets the password to the stack's secret", async () => {
    calls.length = 0;
    const r = await run(ROOT_PW, "rotated-pw");
    expect(r.code).toBe(0);
    expect(r.out).toContain("socle peertube account: updated commune_001");
    expect(users).toHaveLength(1);
    expect(users[0]!.password).toBe("rotated-pw");
    expect(
      calls.filter((c) => c.startsWith("POST /api/v1/users") && c !== "POST /api/v1/users/token"),
    ).toEqual([]);
  });

  it("fails with exit 1 and a clear line when root's password is wrong", async () => {
    const r = await run("wrong", "x");
    expect(r.code).toBe(1);
    expect(r.out).toContain("cannot log in as root");
  });
});
