/**
 * The mail server's certificate copier (templates/mail-cert-sync.ts), run for
 * real with /bin/sh on temporary directories standing in for the proxy's data
 * volume and the mail server's TLS volume: it waits for the certificate, copies
 * exactly the mail host's certificate and key (key 0600), follows a renewal,
 * copies nothing else, and stops at once on TERM.
 */
import { spawn, execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderMailCertSync, validateMailCertSyncArgs } from "../../templates/mail-cert-sync.js";
import { toolPath } from "./tools.js";

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("templates/mail-cert-sync", () => {
  it("copies the mail host's pair only, follows a renewal, stops on TERM", async () => {
    const root = mkdtempSync(join(tmpdir(), "socle-certs-"));
    const host = join(root, "proxy/caddy/certificates/local/mail.demo.fr");
    const other = join(root, "proxy/caddy/certificates/local/cloud.demo.fr");
    const target = join(root, "mail-tls");
    mkdirSync(target, { recursive: true });
    const script = join(root, "sync.sh");
    writeFileSync(
      script,
      renderMailCertSync({
        sourceCert: `${host}/mail.demo.fr.crt`,
        sourceKey: `${host}/mail.demo.fr.key`,
        targetDir: target,
        intervalSeconds: 1,
      }),
    );
    execFileSync("sh", ["-n", script]);
    const child = spawn("sh", [script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes("waiting for the proxy's certificate"));
      mkdirSync(host, { recursive: true });
      mkdirSync(other, { recursive: true });
      writeFileSync(`${other}/cloud.demo.fr.key`, "OTHER KEY");
      writeFileSync(`${host}/mail.demo.fr.key`, "KEY 1", { mode: 0o600 });
      writeFileSync(`${host}/mail.demo.fr.crt`, "CERT 1");
      await until(() => out.includes(`updated ${target}/cert.pem`));
      expect(readFileSync(`${target}/cert.pem`, "utf8")).toBe("CERT 1");
      expect(readFileSync(`${target}/key.pem`, "utf8")).toBe("KEY 1");
      expect(statSync(`${target}/key.pem`).mode & 0o777).toBe(0o600);
      writeFileSync(`${host}/mail.demo.fr.crt`, "CERT 2 (renewed)");
      await until(() => readFileSync(`${target}/cert.pem`, "utf8") === "CERT 2 (renewed)");
      expect(readdirSync(target).sort()).toEqual(["cert.pem", "key.pem"]);
      expect(out.match(/updated .*key\.pem/g)).toHaveLength(1);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(0);
  }, 30_000);

  it("passes shellcheck and refuses bad paths", () => {
    const sc = toolPath("shellcheck");
    const text = renderMailCertSync({ sourceCert: "/a/c.crt", sourceKey: "/a/c.key", targetDir: "/t" });
    if (sc) {
      const r = spawnSync(sc, ["--shell=sh", "--severity=style", "-"], { input: text, encoding: "utf8" });
      expect(r.stdout + r.stderr).toBe("");
    }
    expect(() => validateMailCertSyncArgs({ sourceCert: "c.crt", sourceKey: "/k", targetDir: "/t" })).toThrow(
      'mail cert sync: "c.crt" is not an absolute path',
    );
    expect(() =>
      validateMailCertSyncArgs({ sourceCert: "/c", sourceKey: "/k", targetDir: "/t", intervalSeconds: 0 }),
    ).toThrow("mail cert sync: intervalSeconds 0 is not between 1 and 86400");
  });
});
