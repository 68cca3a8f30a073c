/**
 * The federation job's script (templates/nextcloud-federation.ts): exact
 * render, exact refusals, bash -n + shellcheck, php -l on both PHP snippets,
 * and a real run (bash; the readiness check through the real php) with occ
 * stubbed: it waits for installed/not-in-maintenance/no-upgrade, gives up
 * after the bound, then enables federation and trusts each server once.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  NEXTCLOUD_FEDERATION_DEFAULTS,
  NEXTCLOUD_FEDERATION_SCRIPT,
  NEXTCLOUD_READY_PHP,
  NEXTCLOUD_TRUST_SERVER_PHP,
  renderNextcloudFederation,
  validateNextcloudFederationInput,
  type NextcloudFederationInput,
} from "../../templates/nextcloud-federation.js";
import { shellQuote } from "../../templates/nextcloud-hooks.js";
import { expectCleanBash, toolPath } from "./tools.js";

const input: NextcloudFederationInput = {
  url: "https://cloud.demo.localhost",
  trustedServers: ["https://cloud.b.fr", "https://cloud.a.fr", "https://cloud.b.fr"],
};

const tool = toolPath;

function writeScript(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "nc-fed-")), "nextcloud-federation.sh");
  writeFileSync(file, content, { mode: 0o755 });
  return file;
}

describe("templates/nextcloud-federation", () => {
  it("renders the job's script exactly (servers de-duplicated and sorted)", () => {
    expect(NEXTCLOUD_FEDERATION_SCRIPT).toBe("/socle/nextcloud-federation.sh");
    expect(NEXTCLOUD_FEDERATION_DEFAULTS).toEqual({ waitTries: 120, intervalSeconds: 5 });
    expect(renderNextcloudFederation(input)).toBe(`#!/bin/bash
# Socle: trusted federation servers of https://cloud.demo.localhost
# Rendered by templates/nextcloud-federation.ts. Run as www-data by the one-shot job
# <tenant>-nextcloud-federation (the app's image, volumes and database env), again
# whenever the list changes. Idempotent: a server already trusted is left alone.
set -euo pipefail

occ() {
  php /var/www/html/occ --no-interaction "$@"
}
log() { echo "socle nextcloud federation: $*"; }

# Installed, not in maintenance, no database upgrade pending (read from occ status).
ready() {
  local status
  status="$(occ status --output=json 2>/dev/null)" || return 1
  # shellcheck disable=SC2016 # PHP code, not shell expansions
  printf '%s' "$status" | php -r '$s=json_decode((string)stream_get_contents(STDIN),true);exit(is_array($s)&&($s["installed"]??null)===true&&($s["maintenance"]??null)===false&&($s["needsDbUpgrade"]??null)===false?0:1);'
}

# 1. wait for the app container to install (or upgrade) Nextcloud
i=0
until ready; do
  i=$((i + 1))
  if [ "$i" -ge 120 ]; then
    log "Nextcloud is not installed and ready after 120 checks 5 s apart; nothing trusted"
    exit 1
  fi
  sleep 5
done

# 2. the federation app (shipped with Nextcloud) and the servers
occ app:enable federation >/dev/null
trust_server() {
  # shellcheck disable=SC2016 # PHP code, not shell expansions
  php -r 'require "/var/www/html/lib/base.php";
    $t = \\OCP\\Server::get(\\OCA\\Federation\\TrustedServers::class);
    if (!$t->isTrustedServer($argv[1])) { $t->addServer($argv[1]); }' -- "$1"
}
trust_server 'https://cloud.a.fr'
trust_server 'https://cloud.b.fr'
log "2 trusted server(s) in place"
`);
  });

  it("is deterministic in the order of the servers", () => {
    const reversed = { ...input, trustedServers: [...input.trustedServers].reverse() };
    expect(renderNextcloudFederation(reversed)).toBe(renderNextcloudFederation(input));
  });

  it.each([
    [{ url: "http://cloud.x.fr" }, 'nextcloud federation: url "http://cloud.x.fr" is not an https URL'],
    [{ trustedServers: [] }, "nextcloud federation: trustedServers is empty (no job is needed then)"],
    [
      { trustedServers: ["https://a.fr'$(x)"] },
      'nextcloud federation: trusted server "https://a.fr\'$(x)" is not an https URL',
    ],
    [
      { trustedServers: ["https://cloud.demo.localhost"] },
      "nextcloud federation: a server cannot trust itself (https://cloud.demo.localhost)",
    ],
    [{ waitTries: 0 }, "nextcloud federation: waitTries must be an integer from 1 to 10000, got 0"],
  ])("refuses %j", (partial, message) => {
    expect(() => validateNextcloudFederationInput({ ...input, ...partial })).toThrow(message);
    expect(() => renderNextcloudFederation({ ...input, ...partial })).toThrow(message);
  });

  it("passes bash -n and shellcheck (real tools)", () => {
    const file = writeScript(renderNextcloudFederation(input));
    expectCleanBash(file);
  });

  it("both PHP snippets parse (php -l), exactly as the script holds them", () => {
    const script = renderNextcloudFederation(input);
    const snippets = [...script.matchAll(/php -r '([^']*)'/g)].map((m) => m[1]!);
    expect(snippets).toEqual([NEXTCLOUD_READY_PHP, NEXTCLOUD_TRUST_SERVER_PHP]);
    const php = tool("php");
    if (!php) return console.warn("php not installed: php -l skipped outside CI (apt-get install php-cli)");
    for (const code of snippets) {
      const file = join(mkdtempSync(join(tmpdir(), "nc-php-")), "snippet.php");
      writeFileSync(file, `<?php\n${code}\n`);
      const r = spawnSync(php, ["-l", file], { encoding: "utf8" });
      expect(r.stdout, code).toContain("No syntax errors detected");
      expect(r.status).toBe(0);
    }
    expect(NEXTCLOUD_TRUST_SERVER_PHP).toContain(
      "if (!$t->isTrustedServer($argv[1])) { $t->addServer($argv[1]); }",
    );
  });
});

/**
 * A PATH with a stub `php` (occ answers `status` from a list, one line per
 * call; `-r` readiness code runs in the REAL php; the trust snippet is logged)
 * and a stub `sleep` (logged, instant).
 */
function stubs(realPhp: string, answers: string[]) {
  const bin = mkdtempSync(join(tmpdir(), "nc-fed-bin-"));
  const log = join(bin, "calls.log");
  writeFileSync(join(bin, "answers"), answers.join("\n") + "\n");
  const q = shellQuote;
  writeFileSync(
    join(bin, "php"),
    [
      "#!/bin/bash",
      'if [ "$1" = -r ]; then',
      '  case "$2" in',
      `    *TrustedServers*) printf 'trust %s\\n' "$4" >>${q(log)}; exit 0 ;;`,
      `    *) exec ${q(realPhp)} "$@" ;;`,
      "  esac",
      "fi",
      `printf 'occ %s\\n' "\${*:3}" >>${q(log)}`,
      'if [ "$3" = status ]; then',
      `  n=$(cat ${q(bin)}/n 2>/dev/null || echo 0); echo $((n + 1)) >${q(bin)}/n`,
      `  line=$(sed -n "$((n + 1))p" ${q(bin)}/answers)`,
      '  if [ "$line" = FAIL ]; then echo "Could not open input file: /var/www/html/occ"; exit 1; fi',
      '  printf "%s\\n" "$line"',
      "fi",
      "",
    ].join("\n"),
  );
  writeFileSync(join(bin, "sleep"), `#!/bin/bash\nprintf 'sleep %s\\n' "$1" >>${q(log)}\n`);
  chmodSync(join(bin, "php"), 0o755);
  chmodSync(join(bin, "sleep"), 0o755);
  return { env: { PATH: `${bin}:/usr/bin:/bin` }, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

describe("the federation job runs (bash, real php for the readiness check, occ stubbed)", () => {
  const ready =
    '{"installed":true,"version":"32.0.3.2","versionstring":"32.0.3","edition":"","maintenance":false,' +
    '"needsDbUpgrade":false,"productname":"Nextcloud","extendedSupport":false}';

  it("waits through not-copied, not-installed, maintenance and upgrade, then trusts each server", () => {
    const php = tool("php");
    if (!php) return console.warn("php not installed: run skipped outside CI (apt-get install php-cli)");
    const s = stubs(php, [
      "FAIL",
      '{"installed":false,"maintenance":false,"needsDbUpgrade":false}',
      '{"installed":true,"maintenance":true,"needsDbUpgrade":false}',
      '{"installed":true,"maintenance":false,"needsDbUpgrade":true}',
      ready,
    ]);
    const out = execFileSync("bash", [writeScript(renderNextcloudFederation(input))], {
      env: s.env,
      encoding: "utf8",
    });
    expect(out).toBe("socle nextcloud federation: 2 trusted server(s) in place\n");
    expect(s.calls()).toEqual([
      ...Array.from({ length: 4 }, () => ["occ status --output=json", "sleep 5"]).flat(),
      "occ status --output=json",
      "occ app:enable federation",
      "trust https://cloud.a.fr",
      "trust https://cloud.b.fr",
    ]);
  });

  it("gives up after the bound with exit 1 and trusts nothing", () => {
    const php = tool("php");
    if (!php) return console.warn("php not installed: run skipped outside CI (apt-get install php-cli)");
    const s = stubs(
      php,
      Array.from({ length: 5 }, () => '{"installed":false}'),
    );
    const file = writeScript(renderNextcloudFederation({ ...input, waitTries: 3 }));
    const r = spawnSync("bash", [file], { env: s.env, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      "socle nextcloud federation: Nextcloud is not installed and ready after 3 checks 5 s apart; nothing trusted\n",
    );
    expect(s.calls()).toEqual([
      "occ status --output=json",
      "sleep 5",
      "occ status --output=json",
      "sleep 5",
      "occ status --output=json",
    ]);
  });
});
