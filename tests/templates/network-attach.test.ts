/**
 * The network jobs' script (templates/network-attach.ts) passes `sh -n` and
 * shellcheck, and refuses names it would have to quote (it is run for real
 * against the engine by tests/ops/network-isolation.test.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderNetworkScript, validateNetworkScriptArgs } from "../../templates/network-attach.js";
import { toolPath } from "./tools.js";

describe("templates/network-attach", () => {
  it("is POSIX sh that shellcheck accepts, and refuses unsafe names", () => {
    const text = renderNetworkScript({
      connect: [
        { container: "socle-proxy", network: "socle-t-a-web", ipv4Address: "172.30.2.2" },
        { container: "socle-postgres", network: "socle-t-a-back", alias: "postgres" },
      ],
      prune: { containers: ["socle-proxy"], keep: ["socle-t-a-web", "socle-t-a-back"] },
    });
    const root = mkdtempSync(join(tmpdir(), "socle-net-"));
    writeFileSync(join(root, "n.sh"), text);
    execFileSync("sh", ["-n", join(root, "n.sh")]);
    const sc = toolPath("shellcheck");
    if (sc) {
      const r = spawnSync(sc, ["--shell=sh", "--severity=style", join(root, "n.sh")], { encoding: "utf8" });
      expect(r.stdout + r.stderr).toBe("");
    }
    expect(() =>
      validateNetworkScriptArgs({ connect: [{ container: "x; rm -rf /", network: "n" }] }),
    ).toThrow('network script: "x; rm -rf /" is not a container, network or alias name');
    expect(() =>
      validateNetworkScriptArgs({ connect: [{ container: "c", network: "n", ipv4Address: "300.1.1.1" }] }),
    ).toThrow('network script: "300.1.1.1" is not an IPv4 address');
    expect(() => validateNetworkScriptArgs({ connect: [] })).toThrow(
      "network script: nothing to connect or prune",
    );
  });
});
