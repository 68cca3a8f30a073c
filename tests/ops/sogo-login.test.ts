/**
 * The real SOGo test: the SAME templates/sogo/Dockerfile the component builds,
 * here with Debian 12's `sogo` package on the debootstrap base, runs on the
 * started dockerd with real PostgreSQL, memcached and Postfix/Dovecot
 * containers (Debian packages), with Socle's rendered sogo.conf uploaded the
 * way the component uploads it. A test user logs in through SOGo's web login
 * and sees, in its Inbox, a message delivered through Postfix and Dovecot.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { renderSogoConf, type SogoConfArgs } from "../../templates/sogo-conf.js";
import { SOGO_DEFAULTS } from "../../components/apps/sogo.js";
import { renderRealmSyncEnv } from "../../components/apps/sogo-directory.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const q = $({ quiet: true });
const qn = $({ quiet: true, nothrow: true });

function dockerUsable(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const haveDocker = dockerUsable();
if (!haveDocker && process.env.CI === "true") {
  throw new Error("sogo-login: docker is not usable and CI=true: this real test cannot be skipped");
}
if (!haveDocker) console.warn("sogo-login: SKIPPED, no usable docker engine (start dockerd to run it)");

const RUN = `socle-sogo-test-${process.pid}`;
const NET = RUN;
const C = {
  pg: `${RUN}-pg`,
  mc: `${RUN}-memcached`,
  mail: `${RUN}-mail`,
  sogo: `${RUN}-sogo`,
  web: `${RUN}-web`,
  cron: `${RUN}-cron`,
};
const USER = "alice";
const PASSWORD = randomBytes(12).toString("hex");
const DB_PASSWORD = randomBytes(12).toString("hex");
const SUBJECT = `Conseil municipal ${randomBytes(4).toString("hex")}`;
const PUBLIC_HOST = "mail.example.test";

/** The test's values through Socle's renderer: SOGo 5.8 (Debian), SQL user source, no OIDC. */
export const TEST_CONF_ARGS: SogoConfArgs = {
  version: "5.8.0",
  database: { host: "pg", port: 5432, name: "sogo", user: "sogo", password: DB_PASSWORD },
  memcached: { host: "memcached", port: 11211 },
  imap: { host: "mailstore", port: 143 },
  smtp: { host: "mailstore", port: 25 },
  smtpAuth: false,
  sieve: { host: "mailstore", port: 4190 },
  mailDomain: "example.test",
  auth: { kind: "sql" },
};

function ssha256(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash("sha256")
    .update(Buffer.concat([Buffer.from(password), salt]))
    .digest();
  return `{SSHA256}${Buffer.concat([digest, salt]).toString("base64")}`;
}

async function ipOf(container: string): Promise<string> {
  const out =
    await q`docker inspect -f ${"{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"} ${container}`;
  return out.stdout.trim();
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, seconds = 120): Promise<T> {
  const end = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** One SMTP transaction, line by line, checking each reply code. */
function smtpSend(host: string, lines: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(25, host);
    const replies: string[] = [];
    let buf = "";
    let step = -1; // -1: banner
    sock.setTimeout(20_000, () => sock.destroy(new Error(`smtp timeout after ${replies.join(" | ")}`)));
    sock.on("error", reject);
    sock.on("data", (d) => {
      buf += d.toString();
      while (/\r?\n/.test(buf)) {
        const i = buf.search(/\r?\n/);
        const line = buf.slice(0, i);
        buf = buf.slice(buf.indexOf("\n", i) + 1);
        if (/^\d{3}-/.test(line)) continue; // multi-line reply
        replies.push(line);
        if (!/^[23]\d\d /.test(line)) {
          sock.destroy();
          reject(new Error(`smtp refused: ${line}`));
          return;
        }
        step++;
        if (step < lines.length) sock.write(lines[step]!.map((l) => `${l}\r\n`).join(""));
        else {
          sock.end();
          resolve(replies);
        }
      }
    });
  });
}

/** sogod's last log lines, for an assertion message when a request through the front fails. */
async function sogodLog(): Promise<string> {
  const r = await qn`docker logs --tail 40 ${C.sogo}`;
  return `sogod log:\n${r.stdout}${r.stderr}`;
}

async function loginCookies(base: string): Promise<{ cookie: string; "x-xsrf-token": string }> {
  const login = await fetch(`${base}/SOGo/connect`, {
    method: "POST",
    headers: { "content-type": "application/json", host: PUBLIC_HOST },
    body: JSON.stringify({ userName: USER, password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login: HTTP ${login.status}`);
  const cookies = login.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const xsrf = cookies.find((c) => c.startsWith("XSRF-TOKEN=")) ?? "XSRF-TOKEN=";
  return { cookie: cookies.join("; "), "x-xsrf-token": xsrf.slice("XSRF-TOKEN=".length) };
}

describe.skipIf(!haveDocker)("SOGo 5.8 (Debian) with Socle's sogo.conf: real login and mailbox", () => {
  let sogoIp = "";
  let webIp = "";
  let mailIp = "";
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = Date.now();
    await q`bash ${join(ROOT, "tests/ops/images/build-base.sh")}`;
    await q`env DOCKER_BUILDKIT=0 docker build -q -t socle-test/pg ${join(ROOT, "tests/ops/images/pg")}`;
    await q`env DOCKER_BUILDKIT=0 docker build -q -t socle-test/mailstore ${join(ROOT, "tests/ops/images/mailstore")}`;
    await q`bash ${join(ROOT, "tests/ops/images/sogo/build.sh")}`;
    figures.imagesSeconds = (Date.now() - t0) / 1000;

    const t1 = Date.now();
    await q`docker network create ${NET}`;
    const run = (name: string, alias: string, memory: string, rest: string[]) =>
      q`docker run -d --name ${name} --network ${NET} --network-alias ${alias} --memory ${memory} ${rest}`;
    await run(C.pg, "pg", "256m", [
      "-e",
      `POSTGRES_PASSWORD=${randomBytes(12).toString("hex")}`,
      "socle-test/pg",
    ]);
    await run(C.mc, "memcached", "64m", [
      ...["--no-healthcheck", "--entrypoint", "memcached", "socle-test/sogo"],
      ...["-u", "nobody", "-l", "0.0.0.0", "-m", "48"],
    ]);
    await run(C.mail, "mailstore", "128m", [
      "-e",
      `MAIL_USER=${USER}`,
      "-e",
      `MAIL_PASSWORD=${PASSWORD}`,
      "socle-test/mailstore",
    ]);

    // The database as PostgresDatabase makes it: its own role, its own database.
    await until("postgres", async () =>
      (await qn`docker exec ${C.pg} pg_isready -q -U postgres`).exitCode === 0 ? true : undefined,
    );
    const sql = `CREATE ROLE sogo LOGIN PASSWORD '${DB_PASSWORD}';\nCREATE DATABASE sogo OWNER sogo;\n`;
    await $({ quiet: true, input: sql })`docker exec -i ${C.pg} psql -v ON_ERROR_STOP=1 -q -U postgres`;

    // SOGo as the component declares it: sogo.conf uploaded before start, then sogod.
    const dir = mkdtempSync(join(tmpdir(), "socle-sogo-"));
    const confPath = join(dir, "sogo.conf");
    writeFileSync(confPath, renderSogoConf(TEST_CONF_ARGS));
    for (const [name, mode] of [
      [C.sogo, "sogod"],
      [C.cron, "cron"],
    ] as const) {
      // The same environment the component gives these containers.
      const env = [`SOGO_WAIT_FOR=pg:5432 memcached:11211 mailstore:143 mailstore:25`];
      if (mode === "sogod") {
        env.push(`SOGO_USER_TABLE=${SOGO_DEFAULTS.userTable}`, "PGHOST=pg", "PGPORT=5432", "PGDATABASE=sogo");
        env.push("PGUSER=sogo", `PGPASSWORD=${DB_PASSWORD}`);
      }
      const alias = mode === "sogod" ? "sogo" : "sogo-cron";
      const envArgs = env.flatMap((e) => ["-e", e]);
      await q`docker create --name ${name} --network ${NET} --network-alias ${alias} --memory 512m ${envArgs} socle-test/sogo ${mode}`;
      await q`docker cp ${confPath} ${name}:${SOGO_DEFAULTS.confPath}`;
      await q`docker start ${name}`;
    }
    await q`docker run -d --name ${C.web} --network ${NET} --memory 64m -e SOGO_UPSTREAM=sogo:20000 socle-test/sogo web`;
    [sogoIp, webIp, mailIp] = await Promise.all([ipOf(C.sogo), ipOf(C.web), ipOf(C.mail)]);
    await until("sogod", async () =>
      (await fetch(`http://${sogoIp}:20000/SOGo/`)).status === 200 ? true : undefined,
    );
    // The front too, through to sogod, as the platform's proxy reaches it: the tests below go
    // through it, and under load it answered 502 before both ends were up.
    await until("the SOGo front", async () =>
      (await fetch(`http://${webIp}:20080/SOGo/`, { headers: { host: PUBLIC_HOST } })).status === 200
        ? true
        : undefined,
    );
    // The user source: the table the image's entrypoint created, filled as the directory would be.
    const user = `INSERT INTO ${SOGO_DEFAULTS.userTable} VALUES ('${USER}', '${USER}', '${ssha256(PASSWORD)}', 'Alice Martin', '${USER}@example.test');`;
    await $({
      quiet: true,
      input: user,
    })`docker exec -i -e PGPASSWORD=${DB_PASSWORD} ${C.pg} psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -U sogo sogo`;
    figures.startSeconds = (Date.now() - t1) / 1000;
    console.log(`sogo-login figures: ${JSON.stringify(figures)}`);
  });

  afterAll(async () => {
    if (process.env.SOCLE_KEEP_CONTAINERS === "1") return;
    await qn`docker rm -f ${Object.values(C)}`;
    await qn`docker network rm ${NET}`;
  });

  it("built SOGo 5.8 from Debian's package with the component's Dockerfile", async () => {
    const env = (await q`docker exec ${C.sogo} cat /etc/socle-sogo.env`).stdout;
    expect(env).toMatch(/^SOGO_SOURCE=debian$/m);
    expect(env).toMatch(/^SOGO_PACKAGE_VERSION=5\.8\.0-/m);
  });

  it("accepts Socle's rendered sogo.conf, both flavours, with GNUstep's own plist parser", async () => {
    const openid = renderSogoConf({
      ...TEST_CONF_ARGS,
      version: "5.12.3",
      auth: {
        kind: "openid",
        discoveryUrl: "https://sso.example.test/realms/demo/.well-known/openid-configuration",
        clientId: "sogo",
        clientSecret: 's3cr"et',
      },
    });
    // plparse exits 0 either way: a clean parse prints exactly one line on stderr.
    const parse = async (content: string) => {
      const r = await $({
        quiet: true,
        input: content,
      })`docker run --rm -i --entrypoint sh socle-test/sogo -c ${"cat >/tmp/c.conf && plparse /tmp/c.conf"}`;
      return `${r.stdout}${r.stderr}`.trim();
    };
    expect(await parse(renderSogoConf(TEST_CONF_ARGS))).toBe("Parsing '/tmp/c.conf' - a dictionary");
    expect(await parse(openid)).toBe("Parsing '/tmp/c.conf' - a dictionary");
    expect(await parse("{ WOPort = 1 }")).toContain("Missing semicolon in dictionary");
  });

  it("delivers a message through Postfix to the user's Dovecot maildir", async () => {
    const replies = await smtpSend(mailIp, [
      ["HELO socle-test"],
      ["MAIL FROM:<mairie@example.test>"],
      [`RCPT TO:<${USER}@example.test>`],
      ["DATA"],
      [
        `From: mairie@example.test`,
        `To: ${USER}@example.test`,
        `Subject: ${SUBJECT}`,
        "",
        "Ordre du jour.",
        ".",
      ],
      ["QUIT"],
    ]);
    expect(replies.some((r) => r.startsWith("250 2.0.0 Ok: queued"))).toBe(true);
    await until("delivery", async () => {
      const r = await qn`docker exec ${C.mail} sh -c ${`ls /home/${USER}/Maildir/new | wc -l`}`;
      return Number(r.stdout.trim()) > 0 ? true : undefined;
    });
  });

  it("refuses a wrong password at /SOGo/connect", async () => {
    const r = await fetch(`http://${webIp}:20080/SOGo/connect`, {
      method: "POST",
      headers: { "content-type": "application/json", host: PUBLIC_HOST },
      body: JSON.stringify({ userName: USER, password: "wrong" }),
    });
    expect(r.status).toBe(403);
  });

  it("logs the user in through the front and lists the Inbox holding the delivered message", async () => {
    const base = `http://${webIp}:20080`;
    // The front: / redirects to /SOGo, static files come from the image.
    const root = await fetch(`${base}/`, { redirect: "manual", headers: { host: PUBLIC_HOST } });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/SOGo");
    const css = await fetch(`${base}/SOGo.woa/WebServerResources/css/styles.css`, {
      headers: { host: PUBLIC_HOST },
    });
    expect(css.status).toBe(200);
    const page = await (await fetch(`${base}/SOGo/`, { headers: { host: PUBLIC_HOST } })).text();
    expect(page).toContain("/SOGo.woa/WebServerResources/css/styles.css");

    const t = Date.now();
    const login = await fetch(`${base}/SOGo/connect`, {
      method: "POST",
      headers: { "content-type": "application/json", host: PUBLIC_HOST },
      body: JSON.stringify({ userName: USER, password: PASSWORD }),
    });
    figures.loginMs = Date.now() - t;
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ cn: "Alice Martin" });
    const cookies = login.headers.getSetCookie().map((c) => c.split(";")[0]!);
    const session = cookies.find((c) => c.startsWith("0xHIGHFLYxSOGo="));
    const xsrf = cookies.find((c) => c.startsWith("XSRF-TOKEN="));
    expect(session).toBeDefined();
    expect(xsrf).toBeDefined();
    const headers = {
      cookie: cookies.join("; "),
      "x-xsrf-token": xsrf!.slice("XSRF-TOKEN=".length),
      host: PUBLIC_HOST,
      "content-type": "application/json",
    };

    const accounts = await fetch(`${base}/SOGo/so/${USER}/Mail/0/view`, { headers });
    expect(accounts.status).toBe(200);
    const { mailboxes } = (await accounts.json()) as { mailboxes: { path: string; type: string }[] };
    expect(mailboxes.map((m) => m.type)).toContain("inbox");

    const inbox = await fetch(`${base}/SOGo/so/${USER}/Mail/0/folderINBOX/view`, {
      method: "POST",
      headers,
      body: JSON.stringify({ sortingAttributes: { sort: "arrival", asc: 0 } }),
    });
    expect(inbox.status).toBe(200);
    const list = (await inbox.json()) as { headers: unknown[][]; uids: number[]; unseenCount: number };
    const [fields, ...rows] = list.headers;
    const subjectAt = (fields as string[]).indexOf("Subject");
    expect(rows.map((row) => row[subjectAt])).toContain(SUBJECT);
    expect(list.unseenCount).toBeGreaterThanOrEqual(1);
    console.log(`sogo-login figures: ${JSON.stringify(figures)}`);
  });

  it("runs the backup hook of the label contract and the cron jobs' commands", async () => {
    // Fresh install: nobody has calendars or contacts yet, the hook still succeeds.
    const empty = await qn`docker exec ${C.sogo} sh -c ${SOGO_DEFAULTS.backupPre}`;
    expect(empty.exitCode, empty.stderr).toBe(0);
    expect(empty.stdout).toContain("no user data to back up yet");
    // The user opens the calendar (SOGo creates the personal calendar), then the hook saves it.
    const cookies = await loginCookies(`http://${webIp}:20080`);
    const cal = await fetch(`http://${webIp}:20080/SOGo/so/${USER}/Calendar/calendarslist`, {
      headers: { ...cookies, host: PUBLIC_HOST },
    });
    expect(cal.status, cal.status === 200 ? "" : await sogodLog()).toBe(200);
    const pre = await qn`docker exec ${C.sogo} sh -c ${SOGO_DEFAULTS.backupPre}`;
    expect(pre.exitCode, pre.stderr).toBe(0);
    const files = (await q`docker exec ${C.sogo} ls ${SOGO_DEFAULTS.backupDir}`).stdout.split("\n");
    expect(files).toContain(USER);
    expect((await q`docker exec ${C.cron} cat /run/socle-sogo.mode`).stdout.trim()).toBe("cron");
    expect((await qn`docker exec ${C.cron} pidof cron`).exitCode).toBe(0);
    expect((await qn`docker exec ${C.cron} runuser -u sogo -- sogo-ealarms-notify`).exitCode).toBe(0);
    expect((await qn`docker exec ${C.cron} runuser -u sogo -- sogo-tool expire-sessions 60`).exitCode).toBe(
      0,
    );
  });

  it("copies the realm's users into SOGo's user source (realm-sync against a fake Keycloak admin API)", async () => {
    let realm = [
      { username: "bob", email: "Bob@Example.test", firstName: "Bob", lastName: "Durand", enabled: true },
      { username: "carol", email: "carol@example.test", enabled: false },
      { username: "dave", enabled: true },
      { username: "alice", email: "other@example.test", enabled: true },
      { username: "eve", email: "eve@example.test", enabled: true },
    ];
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      if (req.method === "POST" && url.pathname === "/realms/demo/protocol/openid-connect/token") {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
          const p = new URLSearchParams(body);
          const ok = p.get("grant_type") === "client_credentials" && p.get("client_secret") === "sync-secret";
          res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
          res.end(JSON.stringify(ok ? { access_token: "tok" } : { error: "unauthorized_client" }));
        });
        return;
      }
      if (url.pathname === "/admin/realms/demo/users" && req.headers.authorization === "Bearer tok") {
        const first = Number(url.searchParams.get("first"));
        const max = Number(url.searchParams.get("max"));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(realm.slice(first, first + max)));
        return;
      }
      res.writeHead(403).end();
    });
    await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
    try {
      const port = (server.address() as { port: number }).port;
      const gw = (
        await q`docker network inspect -f ${"{{(index .IPAM.Config 0).Gateway}}"} ${NET}`
      ).stdout.trim();
      // The file the component uploads (SogoDirectory), pointed at the fake realm; small pages.
      const env =
        renderRealmSyncEnv({
          issuerUrl: `http://${gw}:${port}/realms/demo`,
          clientId: "sogo-directory",
          clientSecret: "sync-secret",
          database: { host: "pg", port: 5432, name: "sogo", user: "sogo", password: DB_PASSWORD },
          userTable: SOGO_DEFAULTS.userTable,
        }) + "REALM_SYNC_PAGE=2\n";
      const dir = mkdtempSync(join(tmpdir(), "socle-sync-"));
      writeFileSync(join(dir, "realm-sync.env"), env);
      await q`docker cp ${join(dir, "realm-sync.env")} ${C.cron}:/etc/sogo/realm-sync.env`;
      const rows = async () =>
        (
          await $({
            quiet: true,
            input: `SELECT c_uid, c_password = '!', c_cn, mail FROM sogo_users ORDER BY c_uid;`,
          })`docker exec -i -e PGPASSWORD=${DB_PASSWORD} ${C.pg} psql -tA -h 127.0.0.1 -U sogo sogo`
        ).stdout
          .trim()
          .split("\n");
      const sync = await qn`docker exec ${C.cron} /usr/local/lib/socle/realm-sync.sh`;
      expect(sync.exitCode, sync.stderr).toBe(0);
      expect(sync.stdout.trim()).toBe("realm-sync: 3 users from the realm");
      expect(seen.filter((s) => s.startsWith("GET"))).toEqual([
        "GET /admin/realms/demo/users?briefRepresentation=true&first=0&max=2",
        "GET /admin/realms/demo/users?briefRepresentation=true&first=2&max=2",
        "GET /admin/realms/demo/users?briefRepresentation=true&first=4&max=2",
      ]);
      // alice was added by hand (with a password): untouched; bob and eve come from the realm.
      expect(await rows()).toEqual([
        "alice|f|Alice Martin|alice@example.test",
        "bob|t|Bob Durand|bob@example.test",
        "eve|t|eve|eve@example.test",
      ]);
      // bob leaves the realm: removed at the next run; alice still there.
      realm = realm.filter((u) => u.username !== "bob");
      expect((await qn`docker exec ${C.cron} /usr/local/lib/socle/realm-sync.sh`).exitCode).toBe(0);
      expect(await rows()).toEqual(["alice|f|Alice Martin|alice@example.test", "eve|t|eve|eve@example.test"]);
      // A wrong client secret changes nothing and fails loudly.
      await $({
        quiet: true,
        input: env.replace("'sync-secret'", "'wrong'"),
      })`docker exec -i ${C.cron} sh -c ${"cat > /etc/sogo/realm-sync.env"}`;
      expect((await qn`docker exec ${C.cron} /usr/local/lib/socle/realm-sync.sh`).exitCode).not.toBe(0);
      expect(await rows()).toEqual(["alice|f|Alice Martin|alice@example.test", "eve|t|eve|eve@example.test"]);
    } finally {
      server.close();
    }
  });
});
