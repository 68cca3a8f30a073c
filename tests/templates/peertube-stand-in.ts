/**
 * A stand-in of PeerTube's REST API (node:http on 127.0.0.1) for the tests that
 * run the rendered jobs for real (configure.sh, the follow job, the account job).
 * It enforces what the real API does before any admin route: `/api/v1/ping`
 * answers anyone; every other route only for the configured Host; the local
 * OAuth client (`cid`/`csec`); the password grant for `root` with the expected
 * password (client id and secret, `grant_type=password`) → token `tok`; bearer
 * auth. The test's `routes` answers the admin routes; anything else is a 404.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as received (`path` is the raw request target, query included). */
export interface StandInCall {
  method: string;
  path: string;
  body: string;
}

export interface StandInRequest extends StandInCall {
  url: URL;
  headers: IncomingHttpHeaders;
}

export type Send = (code: number, json?: unknown) => void;

export interface PeertubeStandIn {
  /** `http://127.0.0.1:<port>/api/v1`. */
  api: string;
  /** Every request, in order (tests may reset it: `calls.length = 0`). */
  calls: StandInCall[];
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((r) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => r(b));
  });
}

export async function peertubeStandIn(opts: {
  host: string;
  rootPassword: string;
  /** Answers an authenticated admin request (a request it does not answer gets a 404). */
  routes: (req: StandInRequest, send: Send) => void;
}): Promise<PeertubeStandIn> {
  const calls: StandInCall[] = [];
  const server = createServer(async (req, res) => {
    const b = await body(req);
    const path = req.url ?? "";
    calls.push({ method: req.method ?? "", path, body: b });
    const send: Send = (code, json) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(json === undefined ? "" : JSON.stringify(json));
    };
    if (path === "/api/v1/ping") return send(200, "pong");
    if (req.headers.host !== opts.host) return send(403, { error: "wrong host" });
    if (path === "/api/v1/oauth-clients/local") return send(200, { client_id: "cid", client_secret: "csec" });
    if (path === "/api/v1/users/token") {
      const f = new URLSearchParams(b);
      const ok =
        f.get("client_id") === "cid" &&
        f.get("client_secret") === "csec" &&
        f.get("grant_type") === "password" &&
        f.get("username") === "root" &&
        f.get("password") === opts.rootPassword;
      return ok ? send(200, { access_token: "tok" }) : send(400, { error: "invalid_grant" });
    }
    if (req.headers.authorization !== "Bearer tok") return send(401);
    const request: StandInRequest = {
      method: req.method ?? "",
      path,
      body: b,
      url: new URL(path, "http://x"),
      headers: req.headers,
    };
    opts.routes(request, send);
    if (!res.headersSent) send(404);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    api: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
