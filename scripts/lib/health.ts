/**
 * Waiting for a service to be up again: the container's Docker healthcheck
 * when it has one, and its `socle.health` label (`http:<port><path>` probed
 * from inside the container's network namespace by a helper, or
 * `cmd:<command>` run in the container).
 */
import type { HealthSpec } from "../../components/labels.js";
import { execSh, inspectOne } from "./docker.js";
import { runHelper, type HelperContext } from "./helper.js";
import { HTTP_PROBE_SCRIPT } from "./scripts.js";

export async function probe(ctx: HelperContext, container: string, spec: HealthSpec): Promise<boolean> {
  const c = await inspectOne(container);
  if (!c?.running) return false;
  if (c.health !== undefined && c.health !== "healthy") return false;
  if (spec.kind === "cmd") return (await execSh(container, spec.command)).code === 0;
  const r = await runHelper(ctx, "probe", {
    script: HTTP_PROBE_SCRIPT,
    args: [`http://127.0.0.1:${spec.port}${spec.path}`],
    network: `container:${container}`,
    noRepository: true,
  });
  return r.code === 0;
}

/** Polls until every check passes; returns the ones still failing at the deadline. */
export async function waitHealthy(
  ctx: HelperContext,
  checks: { container: string; spec: HealthSpec }[],
  timeoutMs: number,
): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  let failing = checks;
  // A restarted service is often up within a second: poll at 0.25 s, then
  // back off to every 2 s.
  let pause = 250;
  while (failing.length > 0) {
    const next: typeof checks = [];
    for (const c of failing) if (!(await probe(ctx, c.container, c.spec))) next.push(c);
    failing = next;
    if (failing.length === 0 || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 2000);
  }
  return failing.map((c) => c.container);
}
