/**
 * The federation and follow jobs' gates: when the Docker provider reports a
 * non-zero exit code for `<tenant>-nextcloud-federation` or
 * `<tenant>-peertube-follow`, the program fails with the job's name, what it
 * was doing and how to recover; with exit 0 both `applied` outputs are true
 * and nothing fails. Each case in its own process (tests/unit/fixtures/
 * jobs-exit-run.ts): the mock engine is per process, and a failed gate is an
 * unhandled rejection under the mocks.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const runner = fileURLToPath(new URL("./fixtures/jobs-exit-run.ts", import.meta.url));
function run(code: number): { errors: string[]; applied: Record<string, boolean> } {
  const out = execFileSync(process.execPath, ["--import", "tsx", runner, String(code)], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as { errors: string[]; applied: Record<string, boolean> };
}

const recover = (job: string) =>
  `read \`docker logs ${job}\`, fix the cause, then \`docker rm ${job}\` and run \`pulumi up --refresh\``;

describe("one-shot federation jobs fail the deployment on a non-zero exit", () => {
  it("exit 1: both jobs' errors reach the program, no applied output resolves", () => {
    const r = run(1);
    // raised while the component's registered outputs are serialized (`federationApplied`, `followApplied`)
    const reg = 'error serializing property "outputs": ';
    expect(r.errors).toEqual([
      reg +
        "demo-nextcloud-federation: trusting the federation servers failed with exit code 1; " +
        recover("demo-nextcloud-federation"),
      reg +
        "demo-peertube-follow: following the sibling instances failed with exit code 1; " +
        recover("demo-peertube-follow"),
    ]);
    expect(r.applied).toEqual({});
  });

  it("exit 0: both applied, no error", () => {
    expect(run(0)).toEqual({ errors: [], applied: { nextcloud: true, peertube: true } });
  });
});
