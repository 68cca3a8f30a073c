/**
 * The rendered account job really runs (bash, curl, node) against a stand-in
 * of PeerTube's REST API that enforces the Host check, root's password grant
 * and bearer auth: first run creates the town's user with its channel and
 * names the channel; the next run finds the user and resets its password and
 * email (idempotent); a wrong root password fails with exit 1.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPeertubeAccount } from "../../templates/peertube-account.js";
import { peertubeStandIn, type PeertubeStandIn } from "./peertube-stand-in.js";

const HOST = "video.epci.example";
const ROOT_PW = "r00t&=+%";
const users: { id: number; username: string; email: string; password: string; channelName: string }[] = [];
const channels: Record<string, unknown> = {};

let standIn: PeertubeStandIn;
let api: string;
beforeAll(async () => {
  standIn = await peertubeStandIn({
    host: HOST,
    rootPassword: ROOT_PW,
    routes: ({ method, url, body: b }, send) => {
      if (url.pathname === "/api/v1/users" && method === "GET") {
        const q = url.searchParams.get("search") ?? "";
        return send(200, { total: 1, data: users.filter((u) => u.username.includes(q)) });
      }
      if (url.pathname === "/api/v1/users" && method === "POST") {
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
      if (m && method === "PUT") {
        const u = users.find((x) => x.id === Number(m[1]));
        if (!u) return send(404);
        Object.assign(u, JSON.parse(b));
        return send(204);
      }
      const c = /^\/api\/v1\/video-channels\/([a-z0-9_.]+)$/.exec(url.pathname);
      if (c && method === "PUT") {
        channels[c[1]!] = JSON.parse(b);
        return send(204);
      }
    },
  });
  api = standIn.api;
});
afterAll(() => standIn.close());
/** `<method> <path without the query>` of every request so far. */
const calls = () => standIn.calls.map((c) => `${c.method} ${new URL(c.path, "http://x").pathname}`);

function run(
  rootPw: string,
  password: string,
  town = { username: "commune_001", name: "Commune d’Aubier" },
): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pt-account-"));
  const script = join(dir, "account.sh");
  writeFileSync(
    script,
    renderPeertubeAccount({
      hostname: HOST,
      api,
      username: town.username,
      email: `admin@${town.username.replace(/_/g, "-")}.example`,
      channel: `${town.username}_videos`,
      channelDisplayName: town.name,
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
    standIn.calls.length = 0;
    const r = await run(ROOT_PW, "rotated-pw");
    expect(r.code).toBe(0);
    expect(r.out).toContain("socle peertube account: updated commune_001");
    expect(users).toHaveLength(1);
    expect(users[0]!.password).toBe("rotated-pw");
    expect(
      calls().filter((c) => c.startsWith("POST /api/v1/users") && c !== "POST /api/v1/users/token"),
    ).toEqual([]);
  });

  it("a town's name with a straight apostrophe, accents, quotes and shell characters reaches PeerTube exactly", async () => {
    const name = `Saint-Martin-d'Hères «$HOME» \`id\` $(id) \\ "x" ’`;
    const r = await run(ROOT_PW, "pw", { username: "saint_martin", name });
    expect(r.code).toBe(0);
    expect(channels.saint_martin_videos).toEqual({ displayName: name });
  });

  it("fails with exit 1 and a clear line when root's password is wrong", async () => {
    const r = await run("wrong", "x");
    expect(r.code).toBe(1);
    expect(r.out).toContain("cannot log in as root");
  });
});
