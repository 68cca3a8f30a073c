/**
 * The follow job's script (templates/peertube-follow.ts): exact render (the
 * shared login block, then one follow request), exact refusals, bash -n +
 * shellcheck, and real runs (bash, curl, node) against a stand-in of
 * PeerTube's REST API that enforces the Host check, root's password grant
 * and bearer auth: the siblings are followed (sorted, de-duplicated), a re-run
 * asks again and still exits 0, a refused request is logged and not fatal,
 * a wrong root password exits 1 before asking anything.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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
import { peertubeStandIn, type PeertubeStandIn, type StandInCall } from "./peertube-stand-in.js";
import { expectCleanBash, toolPath } from "./tools.js";

const HOST = "video.demo.localhost";
const ROOT_PW = "r00t pw&=+%";
const args: PeertubeFollowArgs = {
  hostname: HOST,
  api: "http://demo-peertube:9000/api/v1",
  follow: ["video.b.fr", "video.a.fr", "video.b.fr"],
};

const tool = toolPath;

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
    expectCleanBash(file);
  });
});

let standIn: PeertubeStandIn;
const state = {
  refuse: false,
  get calls(): StandInCall[] {
    return standIn.calls;
  },
};
let script: string;
beforeAll(async () => {
  standIn = await peertubeStandIn({
    host: HOST,
    rootPassword: ROOT_PW,
    routes: ({ method, path, headers }, send) => {
      if (path === "/api/v1/server/following" && method === "POST") {
        if (headers["content-type"] !== "application/json") return send(415);
        return state.refuse ? send(409, { error: "already following" }) : send(204);
      }
    },
  });
  // The stand-in listens on 127.0.0.1 (the job reaches `<tenant>-peertube:9000` on socle-web).
  script = join(mkdtempSync(join(tmpdir(), "pt-follow-run-")), "follow.sh");
  writeFileSync(script, renderPeertubeFollow({ ...args, api: standIn.api }));
});
afterAll(() => standIn.close());

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
    state.calls.length = 0;
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
    state.calls.length = 0;
    const r = await run("changed-in-the-ui");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "socle peertube follow: cannot log in as root (was its password changed in the UI?); nothing configured",
    );
    expect(summary()).not.toContain("POST /api/v1/server/following");
  });
});
