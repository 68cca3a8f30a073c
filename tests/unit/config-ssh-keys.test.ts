/**
 * `socle:target.sshPublicKeys` against keys made by the real ssh-keygen:
 * ed25519, RSA of 3072 bits and ECDSA keys are accepted; truncated or
 * relabelled pastes, and RSA keys of 2048 bits, are refused.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isSshKey } from "../../stacks/config-checks.js";
import { sshKeyProblem } from "../../templates/checks.js";

const CI = process.env.CI === "true";
const HAVE = spawnSync("ssh-keygen", ["-?"]).error === undefined;
if (!HAVE && !CI)
  console.warn("skipping the ssh-keygen checks: not installed (CI=true makes this a failure)");

describe("sshPublicKeys against keys made by ssh-keygen", () => {
  const dir = mkdtempSync(join(tmpdir(), "socle-config-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.runIf(HAVE || CI)(
    "accepts ed25519, rsa (3072 bits) and ecdsa keys; rejects them truncated, relabelled, or RSA of 2048 bits",
    () => {
      const keys = (
        [
          ["ed25519", []],
          ["rsa", ["-b", "3072"]],
          ["ecdsa", ["-b", "384"]],
          ["rsa", ["-b", "2048"]],
        ] as const
      ).map(([type, bits], i) => {
        const file = join(dir, `id_${type}_${i}`);
        const r = spawnSync("ssh-keygen", [
          "-q",
          "-t",
          type,
          ...bits,
          "-N",
          "",
          "-C",
          "dsi@mairie.example",
          "-f",
          file,
        ]);
        if (r.error || r.status !== 0)
          throw new Error(`ssh-keygen -t ${type} failed: ${r.error?.message ?? r.stderr}`);
        return readFileSync(`${file}.pub`, "utf8").trim();
      });
      const weak = keys.pop()!;
      expect(keys.map((k) => k.split(" ")[0])).toEqual(["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp384"]);
      expect(keys.filter((k) => !isSshKey(k))).toEqual([]);
      expect(isSshKey(weak)).toBe(false); // RSA under 3072 bits
      expect(sshKeyProblem(weak)).toEqual({ rsaBits: 2048 });
      const [type, blob] = keys[1]!.split(" ") as [string, string];
      expect(isSshKey(`${type} ${blob.slice(0, blob.length - 40)}`)).toBe(false); // truncated paste
      expect(isSshKey(keys[0]!.replace("ssh-ed25519", "ssh-rsa"))).toBe(false); // relabelled
      expect(isSshKey(keys[2]!.replace("nistp384", "nistp256"))).toBe(false);
    },
  );
});
