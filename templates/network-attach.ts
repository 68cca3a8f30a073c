/**
 * The script of the network jobs (components/platform/network-job.ts): one-shot
 * containers with the Docker CLI and the engine's socket that attach a SHARED
 * container (the proxy, a database server) to a tenant's network without
 * changing that container's declaration (the Docker provider would replace a
 * container whose `networks_advanced` change, and does not read attachments
 * made afterwards, so the shared container's inputs never move).
 *
 * `connect` lines are idempotent: a container already on the network with the
 * wanted static address is left alone; one with another address is
 * disconnected and connected again. `prune` disconnects the given containers
 * from every network labelled `socle.network` (a tenant's) that is not in
 * `keep`: the networks of a removed tenant, so that they can then be deleted.
 * Any failed docker command exits non-zero (the job fails the deployment).
 */
import { LABELS } from "../components/labels.js";

export interface NetworkAttachment {
  /** Container name (`socle-proxy`, `socle-postgres`). */
  container: string;
  /** Network name. */
  network: string;
  /** Static IPv4 address on the network (the proxy on a tenant's web network). */
  ipv4Address?: string;
  /** DNS alias on the network (`postgres`). */
  alias?: string;
}

export interface NetworkScriptArgs {
  connect: NetworkAttachment[];
  /** Containers to disconnect from tenant networks not in `keep`. */
  prune?: { containers: string[]; keep: string[] };
}

/** A tenant's database job: `server` on the tenant's back-end network, under its alias. */
export function databaseAttachment(
  server: { containerName: string; hostname: string },
  backNetwork: string,
): NetworkScriptArgs {
  return { connect: [{ container: server.containerName, network: backNetwork, alias: server.hostname }] };
}

/**
 * The host's job: the proxy on each tenant's web network at its static address
 * (tenants sorted by web network), and the proxy and database servers off every
 * tenant network not listed.
 */
export function hostNetworks(a: {
  proxy: string;
  tenants: { web: string; back: string; proxyAddress: string }[];
  servers: string[];
}): NetworkScriptArgs {
  const tenants = [...a.tenants].sort((x, y) => (x.web < y.web ? -1 : x.web > y.web ? 1 : 0));
  return {
    connect: tenants.map((t) => ({ container: a.proxy, network: t.web, ipv4Address: t.proxyAddress })),
    prune: { containers: [a.proxy, ...a.servers], keep: tenants.flatMap((t) => [t.web, t.back]) },
  };
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function validateNetworkScriptArgs(a: NetworkScriptArgs): void {
  const names = [
    ...a.connect.flatMap((c) => [c.container, c.network, ...(c.alias !== undefined ? [c.alias] : [])]),
    ...(a.prune ? [...a.prune.containers, ...a.prune.keep] : []),
  ];
  for (const n of names) {
    if (!NAME_RE.test(n)) throw new Error(`network script: "${n}" is not a container, network or alias name`);
  }
  for (const c of a.connect) {
    const m = c.ipv4Address !== undefined ? IPV4_RE.exec(c.ipv4Address) : null;
    if (c.ipv4Address !== undefined && (!m || m.slice(1).some((o) => Number(o) > 255))) {
      throw new Error(`network script: "${c.ipv4Address}" is not an IPv4 address`);
    }
  }
  if (a.connect.length === 0 && !a.prune) throw new Error("network script: nothing to connect or prune");
}

/** The job's `/bin/sh` script (POSIX sh: the docker CLI image is Alpine's busybox). */
export function renderNetworkScript(a: NetworkScriptArgs): string {
  validateNetworkScriptArgs(a);
  const q = (s: string) => `'${s}'`;
  const lines = [
    "#!/bin/sh",
    "# Rendered by Socle (templates/network-attach.ts): attaches shared containers to",
    "# tenant networks (idempotent); run by a one-shot job with the engine's socket.",
    "set -eu",
    "log() { printf 'socle-networks: %s\\n' \"$*\"; }",
    "",
    "# connect <container> <network> <static IPv4 or ''> <alias or ''>",
    "connect() {",
    '  fmt="{{with index .NetworkSettings.Networks \\"$2\\"}}on {{with .IPAMConfig}}{{.IPv4Address}}{{end}}{{else}}off{{end}}"',
    '  state=$(docker inspect --format "$fmt" "$1")',
    '  if [ "$state" = "on $3" ]; then',
    '    log "$1 already on $2 ${3:-(dynamic address)}"',
    "    return 0",
    "  fi",
    '  if [ "$state" != "off" ]; then',
    "    log \"$1 is on $2 with address '${state#on }': connecting it again\"",
    '    docker network disconnect "$2" "$1"',
    "  fi",
    '  if [ -n "$3" ] && [ -n "$4" ]; then docker network connect --ip "$3" --alias "$4" "$2" "$1"',
    '  elif [ -n "$3" ]; then docker network connect --ip "$3" "$2" "$1"',
    '  elif [ -n "$4" ]; then docker network connect --alias "$4" "$2" "$1"',
    '  else docker network connect "$2" "$1"',
    "  fi",
    '  log "$1 connected to $2 ${3:-(dynamic address)}"',
    "}",
    "",
  ];
  if (a.prune) {
    lines.push(
      "# prune <container>: off every tenant network (label socle.network) not in KEEP",
      `KEEP=${q(` ${[...a.prune.keep].sort().join(" ")} `)}`,
      "prune() {",
      "  nets=$(docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' \"$1\")",
      "  for n in $nets; do",
      '    case "$KEEP" in *" $n "*) continue ;; esac',
      `    kind=$(docker network inspect --format '{{index .Labels "${LABELS.network}"}}' "$n" 2>/dev/null || true)`,
      '    [ -n "$kind" ] || continue',
      '    docker network disconnect "$n" "$1"',
      '    log "$1 disconnected from $n (no tenant of this host uses it)"',
      "  done",
      "}",
      "",
    );
  }
  for (const c of a.connect) {
    lines.push(`connect ${q(c.container)} ${q(c.network)} ${q(c.ipv4Address ?? "")} ${q(c.alias ?? "")}`);
  }
  for (const c of a.prune?.containers ?? []) lines.push(`prune ${q(c)}`);
  lines.push(`log "done: ${a.connect.length} attachment(s) in place"`);
  return lines.join("\n") + "\n";
}
