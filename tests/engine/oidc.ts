/**
 * A small HTTPS client for the single sign-on tests: every `*.localhost` name
 * dialled on 127.0.0.1 (where the proxy publishes 443), the server's
 * certificate verified against the deployment's own CA (Caddy's internal
 * root, read from the proxy), cookies kept per jar. Enough to walk Keycloak's
 * login form the way a browser does (authorization-code flow), and to call
 * the admin REST API with a user's token.
 */
import { request } from "node:https";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly ca: string) {}

  async send(
    method: string,
    url: string,
    opts: { form?: Record<string, string>; bearer?: string } = {},
  ): Promise<Reply> {
    const u = new URL(url);
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const headers: Record<string, string> = { Accept: "*/*" };
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (body) headers["Content-Type"] = "application/x-www-form-urlencoded";
    if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`;
    const reply = await new Promise<Reply>((done, fail) => {
      const req = request(
        {
          method,
          host: u.hostname,
          port: u.port || 443,
          path: u.pathname + u.search,
          servername: u.hostname,
          ca: this.ca,
          headers,
          lookup: (_h, _o, cb) => cb(null, [{ address: "127.0.0.1", family: 4 }]),
        },
        (res) => {
          let data = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (data += d));
          res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        },
      );
      req.on("error", fail);
      if (body) req.write(body);
      req.end();
    });
    for (const c of [reply.headers["set-cookie"] ?? []].flat()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return reply;
  }
}

/** The claims of a JWT (not verified here: the tests compare them with what the realm must issue). */
export function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

export interface CodeFlow {
  /** The page Keycloak answered the login with (when no code came back). */
  page?: Reply;
  code?: string;
}

/**
 * The authorization-code flow as a browser walks it: the authorization
 * endpoint renders the login form, the form is posted with the user's
 * credentials, and Keycloak redirects to redirect_uri with a code (or
 * renders the form again with an error).
 */
export async function login(
  b: Browser,
  issuer: string,
  client: { id: string; redirectUri: string },
  user: { username: string; password: string },
): Promise<CodeFlow> {
  const auth = new URL(`${issuer}/protocol/openid-connect/auth`);
  auth.search = new URLSearchParams({
    client_id: client.id,
    redirect_uri: client.redirectUri,
    response_type: "code",
    scope: "openid",
    state: "socle-test-state",
    nonce: "socle-test-nonce",
  }).toString();
  const form = await b.send("GET", auth.toString());
  if (form.status !== 200) return { page: form };
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/s.exec(form.body)?.[1];
  if (!action) return { page: form };
  const posted = await b.send("POST", action.replaceAll("&amp;", "&"), {
    form: { username: user.username, password: user.password, credentialId: "" },
  });
  const location = String(posted.headers.location ?? "");
  if (posted.status !== 302 || !location.startsWith(client.redirectUri)) return { page: posted };
  const back = new URL(location);
  if (back.searchParams.get("state") !== "socle-test-state") throw new Error(`state lost: ${location}`);
  return { code: back.searchParams.get("code") ?? undefined };
}

/** Exchanges a code at the token endpoint with the confidential client's secret. */
export async function exchange(
  b: Browser,
  issuer: string,
  client: { id: string; secret: string; redirectUri: string },
  code: string,
): Promise<Record<string, string>> {
  const r = await b.send("POST", `${issuer}/protocol/openid-connect/token`, {
    form: {
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirectUri,
      client_id: client.id,
      client_secret: client.secret,
    },
  });
  if (r.status !== 200) throw new Error(`token endpoint: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as Record<string, string>;
}
