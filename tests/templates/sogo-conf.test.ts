/**
 * sogo.conf, the SOGo image's files and the front's Caddyfile through real checks:
 * the exact rendered text (SOGo 5.8 flavour), both flavours parsed back with a small
 * OpenStep-plist parser (GNUstep's own parser runs in tests/ops/sogo-login.test.ts),
 * `caddy validate` for the front and `shellcheck` for the image's scripts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareVersions,
  renderSogoConf,
  sogoConfSettings,
  sogoSupportsOidc,
  validateSogoConfArgs,
  type Plist,
  type SogoConfArgs,
} from "../../templates/sogo-conf.js";
import { sogoBuildContext } from "../../components/apps/sogo.js";
import { haveTool } from "./tools.js";

const ARGS: SogoConfArgs = {
  version: "5.8.0",
  database: { host: "postgres", port: 5432, name: "demo_sogo", user: "demo_sogo", password: "p@ss/word" },
  memcached: { host: "demo-sogo-memcached", port: 11211 },
  imap: { host: "demo-mail", port: 143, tls: "starttls" },
  smtp: { host: "demo-mail", port: 587, tls: "starttls" },
  sieve: { host: "demo-mail", port: 4190, tls: "starttls" },
  mailDomain: "demo.fr",
  auth: { kind: "sql" },
};
const OIDC: SogoConfArgs = {
  ...ARGS,
  version: "5.12.3",
  auth: {
    kind: "openid",
    discoveryUrl: "https://sso.demo.fr/realms/demo/.well-known/openid-configuration",
    clientId: "sogo",
    clientSecret: 'se"cr\\et',
  },
};

/** A small OpenStep property-list parser: dictionaries, arrays, quoted and bare strings. */
export function parsePlist(text: string): Plist {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect1 = (c: string) => {
    ws();
    if (text[i] !== c) throw new Error(`plist: expected "${c}" at ${i}, got "${text[i] ?? "end"}"`);
    i++;
  };
  const value = (): Plist => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: Record<string, Plist> = {};
      for (;;) {
        ws();
        if (text[i] === "}") {
          i++;
          return out;
        }
        const k = value();
        if (typeof k !== "string") throw new Error(`plist: key at ${i} is not a string`);
        if (k in out) throw new Error(`plist: duplicate key ${k}`);
        expect1("=");
        out[k] = value();
        expect1(";");
      }
    }
    if (c === "(") {
      i++;
      const out: Plist[] = [];
      ws();
      if (text[i] === ")") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ",") i++;
        else {
          expect1(")");
          return out;
        }
      }
    }
    if (c === '"') {
      i++;
      let s = "";
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error("plist: unterminated string");
        if (text[i] === "\\") {
          i++;
          s += text[i] === "n" ? "\n" : text[i];
        } else s += text[i];
        i++;
      }
      i++;
      return s;
    }
    const m = /^[A-Za-z0-9_.$/:-]+/.exec(text.slice(i));
    if (!m) throw new Error(`plist: unexpected "${c ?? "end"}" at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`plist: trailing text at ${i}`);
  return v;
}

/** What the parser gives back for a value: booleans as YES/NO, numbers as text. */
function asParsed(v: Plist): Plist {
  if (typeof v === "boolean") return v ? "YES" : "NO";
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return v.map(asParsed);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asParsed(x)]));
  return v;
}

describe("renderSogoConf", () => {
  it("renders SOGo 5.8's sogo.conf exactly (sorted keys, encoded password, STARTTLS URLs)", () => {
    expect(renderSogoConf(ARGS)).toBe(
      [
        "{",
        '  OCSAclURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_acl";',
        '  OCSCacheFolderURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_cache_folder";',
        '  OCSEMailAlarmsFolderURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_alarms_folder";',
        '  OCSFolderInfoURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_folder_info";',
        '  OCSSessionsFolderURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_sessions_folder";',
        '  OCSStoreURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_store";',
        "  SOGoAppointmentSendEMailNotifications = YES;",
        '  SOGoDraftsFolderName = "Drafts";',
        "  SOGoEnableEMailAlarms = YES;",
        "  SOGoForwardEnabled = YES;",
        "  SOGoIMAPAclConformsToIMAPExt = YES;",
        '  SOGoIMAPServer = "imap://demo-mail:143/?tls=YES";',
        "  SOGoInternalSyncInterval = 30;",
        '  SOGoJunkFolderName = "Junk";',
        '  SOGoLanguage = "French";',
        "  SOGoMailAuxiliaryUserAccountsEnabled = NO;",
        '  SOGoMailDomain = "demo.fr";',
        "  SOGoMailShowSubscribedFoldersOnly = NO;",
        '  SOGoMailingMechanism = "smtp";',
        "  SOGoMaximumPingInterval = 3540;",
        "  SOGoMaximumSyncInterval = 3540;",
        '  SOGoMemcachedHost = "demo-sogo-memcached:11211";',
        '  SOGoPageTitle = "SOGo";',
        "  SOGoPasswordChangeEnabled = NO;",
        '  SOGoProfileURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_user_profile";',
        '  SOGoSMTPAuthenticationType = "PLAIN";',
        '  SOGoSMTPServer = "smtp://demo-mail:587/?tls=YES";',
        '  SOGoSentFolderName = "Sent";',
        "  SOGoSieveScriptsEnabled = YES;",
        '  SOGoSieveServer = "sieve://demo-mail:4190/?tls=YES";',
        '  SOGoTimeZone = "Europe/Paris";',
        '  SOGoTrashFolderName = "Trash";',
        "  SOGoUserSources = (",
        "    {",
        "      canAuthenticate = YES;",
        '      displayName = "Annuaire";',
        '      id = "users";',
        "      isAddressBook = YES;",
        '      type = "sql";',
        '      userPasswordAlgorithm = "ssha256";',
        '      viewURL = "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_users";',
        "    }",
        "  );",
        "  SOGoVacationEnabled = YES;",
        '  SOGoZipPath = "/usr/bin/zip";',
        '  WOLogFile = "-";',
        '  WOPort = "0.0.0.0:20000";',
        "  WOWatchDogRequestTimeout = 60;",
        "  WOWorkersCount = 3;",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("parses back to exactly the settings, for both flavours, and is deterministic", () => {
    for (const args of [ARGS, OIDC]) {
      const text = renderSogoConf(args);
      expect(parsePlist(text)).toEqual(asParsed(sogoConfSettings(args)));
      expect(renderSogoConf(args)).toBe(text);
    }
  });

  it("adds exactly the OIDC keys with SOGo >= 5.12", () => {
    const sql = parsePlist(renderSogoConf(ARGS)) as Record<string, Plist>;
    const oidc = parsePlist(renderSogoConf(OIDC)) as Record<string, Plist>;
    const added = Object.keys(oidc).filter((k) => !(k in sql));
    expect(added.sort()).toEqual([
      "NGImap4AuthMechanism",
      "OCSOpenIdURL",
      "SOGoAuthenticationType",
      "SOGoForceExternalLoginWithEmail",
      "SOGoOpenIdClient",
      "SOGoOpenIdClientSecret",
      "SOGoOpenIdConfigUrl",
      "SOGoOpenIdEmailParam",
      "SOGoOpenIdEnableRefreshToken",
      "SOGoOpenIdLogoutEnabled",
      "SOGoOpenIdScope",
      "SOGoXSRFValidationEnabled",
    ]);
    expect(oidc.SOGoAuthenticationType).toBe("openid");
    expect(oidc.SOGoXSRFValidationEnabled).toBe("NO");
    expect(oidc.SOGoOpenIdClientSecret).toBe('se"cr\\et');
    expect(oidc.SOGoOpenIdScope).toBe("openid profile email");
    expect(oidc.SOGoSMTPAuthenticationType).toBe("xoauth2");
    expect(oidc.OCSOpenIdURL).toBe(
      "postgresql://demo_sogo:p%40ss%2Fword@postgres:5432/demo_sogo/sogo_openid",
    );
  });

  it("compares versions numerically", () => {
    expect(compareVersions("5.8.0", "5.12")).toBe(-1);
    expect(compareVersions("5.12.3", "5.12")).toBe(1);
    expect(compareVersions("5.12", "5.12.0")).toBe(0);
    expect(sogoSupportsOidc("5.8.0-2+deb12u3")).toBe(false);
    expect(sogoSupportsOidc("5.12.1")).toBe(true);
  });

  it.each([
    [{ version: "latest" }, 'sogo.conf: version "latest" is not a SOGo version (e.g. 5.12.3)'],
    [
      { version: "5.8.0", auth: OIDC.auth },
      'sogo.conf: SOGo 5.8.0 has no OpenID Connect (needs 5.12 or newer); use auth "sql"',
    ],
    [{ userTable: "users; drop" }, 'sogo.conf: userTable "users; drop" is not a plain SQL identifier'],
    [{ imap: { host: "m", port: 0 } }, "sogo.conf: imap port 0 is not a TCP port"],
    [{ smtp: { host: "a b", port: 25 } }, 'sogo.conf: smtp host "a b" is not a host name'],
  ])("refuses %j", (patch, message) => {
    expect(() => validateSogoConfArgs({ ...ARGS, ...(patch as Partial<SogoConfArgs>) })).toThrow(message);
  });

  it("the parser refuses broken plists", () => {
    expect(() => parsePlist("{ a = 1 }")).toThrow('plist: expected ";"');
    expect(() => parsePlist('{ a = "x; }')).toThrow("plist: unterminated string");
    expect(() => parsePlist("{ a = 1; a = 2; }")).toThrow("plist: duplicate key a");
  });
});

function tool(name: string): boolean {
  const found = haveTool(name);
  if (!found) console.warn(`sogo templates: ${name} not installed, its check is SKIPPED`);
  return found;
}

describe("templates/sogo (the image)", () => {
  const dir = sogoBuildContext();
  const read = (f: string) => readFileSync(join(dir, f), "utf8");

  it("Dockerfile: base image, source and version are build args; modes through one entrypoint", () => {
    const df = read("Dockerfile");
    expect(df).toMatch(/^ARG BASE_IMAGE=debian:12-slim\nFROM \$\{BASE_IMAGE\}$/m);
    expect(df).toContain("ARG SOGO_SOURCE=alinto");
    expect(df).toContain("ARG SOGO_VERSION=");
    expect(df).toContain("ARG ALINTO_REPOSITORY=https://packages.sogo.nu/nightly/5/debian/");
    expect(df).toContain('ENTRYPOINT ["/usr/local/bin/socle-sogo"]');
    expect(df).toContain('CMD ["sogod"]');
    expect(df).toContain("EXPOSE 20000 20080");
    expect(df).not.toMatch(/:latest/);
    const install = read("install-sogo.sh");
    expect(install).toContain('dpkg --compare-versions "$installed" ge 5.12');
    expect(install).toContain("signed-by=/usr/share/keyrings/sogo-alinto.gpg");
  });

  it("cron: alarms every minute; sessions, auto-replies and the realm's users every 5 minutes", () => {
    const lines = read("sogo.cron")
      .split("\n")
      .filter((l) => /^[*0-9]/.test(l));
    expect(lines.map((l) => l.split(" ").slice(0, 6).join(" "))).toEqual([
      "* * * * * root",
      "*/5 * * * * root",
      "*/5 * * * * root",
      "*/5 * * * * root",
    ]);
    expect(lines[0]).toContain("sogo-ealarms-notify");
    expect(lines[1]).toContain("sogo-tool expire-sessions 60");
    expect(lines[2]).toContain("sogo-tool update-autoreply -p /etc/sogo/sieve.creds");
    expect(lines[3]).toContain("/usr/local/lib/socle/realm-sync.sh");
  });

  it.skipIf(!tool("caddy"))("front Caddyfile passes caddy validate and sets the x-webobjects headers", () => {
    const r = spawnSync(
      "caddy",
      ["validate", "--adapter", "caddyfile", "--config", join(dir, "sogo-web.Caddyfile")],
      {
        encoding: "utf8",
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const cf = read("sogo-web.Caddyfile");
    for (const h of [
      "header_up x-webobjects-server-protocol HTTP/1.0",
      "header_up x-webobjects-server-name {host}",
      "header_up x-webobjects-server-port {$SOGO_PUBLIC_PORT:443}",
      "header_up x-webobjects-server-url {$SOGO_PUBLIC_SCHEME:https}://{host}",
    ]) {
      expect(cf).toContain(h);
    }
    expect(cf).toContain("rewrite /Microsoft-Server-ActiveSync* /SOGo{uri}");
  });

  it.skipIf(!tool("shellcheck"))("entrypoint, install and realm-sync scripts pass shellcheck", () => {
    const r = spawnSync("shellcheck", [join(dir, "entrypoint.sh"), join(dir, "install-sogo.sh")], {
      encoding: "utf8",
    });
    expect(r.status, r.stdout).toBe(0);
  });
});
