import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderPeertubeAccount, type PeertubeAccountArgs } from "../../templates/peertube-account.js";
import { haveTool } from "./tools.js";

const args: PeertubeAccountArgs = {
  hostname: "video.epci.example",
  api: "http://shared-peertube:9000/api/v1",
  username: "commune_001",
  email: "admin@commune-001.example",
  channel: "commune_001_videos",
  channelDisplayName: "Commune d’Aubier",
};

describe("PeerTube account job", () => {
  const script = renderPeertubeAccount(args);

  it("holds no secret, reads both passwords from the environment, and targets the shared instance", () => {
    expect(script).toContain(`HOSTNAME_PT='video.epci.example'`);
    expect(script).toContain(`API='http://shared-peertube:9000/api/v1'`);
    expect(script).toContain(`printf '%s' "$PT_ROOT_PASSWORD" >"$tmp/pw"`);
    expect(script).toContain("password: e.SOCLE_ACCOUNT_PASSWORD");
    expect(script).toContain("role: 2, videoQuota: -1, videoQuotaDaily: -1,");
    expect(script).toContain('api -X POST "$API/users" --data @"$tmp/user.json" -o /dev/null');
    expect(script).toContain('api -X PUT "$API/users/$id" --data @"$tmp/update.json" -o /dev/null');
    expect(script).toContain('api -X PUT "$API/video-channels/$SOCLE_CHANNEL"');
  });

  it("passes bash -n and shellcheck", () => {
    const dir = mkdtempSync(join(tmpdir(), "socle-pt-account-"));
    const file = join(dir, "account.sh");
    writeFileSync(file, script);
    execFileSync("bash", ["-n", file]);
    if (haveTool("shellcheck")) execFileSync("shellcheck", ["-s", "bash", file]);
  });

  it("refuses bad arguments with exact messages", () => {
    const cases: [Partial<PeertubeAccountArgs>, string][] = [
      [{ hostname: "x y" }, 'peertube account: hostname "x y" is not a host name'],
      [
        { api: "https://a/api" },
        'peertube account: api "https://a/api" is not http://<container>:<port>/api/v1',
      ],
      [{ username: "Bad-Name" }, 'peertube account: username "Bad-Name" must match [a-z0-9_.]{1,50}'],
      [{ channel: "commune_001" }, 'peertube account: channel "commune_001" must differ from the username'],
      [{ email: "nope" }, 'peertube account: email "nope" is not an address'],
      [
        { channelDisplayName: "a\nb" },
        'peertube account: channelDisplayName "a\\nb" is not one line of display text',
      ],
      [
        { channelDisplayName: " " },
        'peertube account: channelDisplayName " " is not one line of display text',
      ],
    ];
    for (const [patch, message] of cases)
      expect(() => renderPeertubeAccount({ ...args, ...patch })).toThrow(message);
  });
});
