/**
 * The update planner: a PURE function from current and target versions to an
 * ordered list of steps, following each service's upgrade rules.
 *
 * Rules (docs/updates.md has the table):
 * - same version: no step; a lower target: refused (`DowngradeError`).
 * - every `upgrade` and `dump-restore` step is immediately preceded by a
 *   `backup` step of that service; `note` steps come first for a service.
 * - Nextcloud: one major at a time, through the last patch of each major
 *   (the catalogue's `majors`); a crossed major without a known release is an
 *   error (`MissingIntermediateError`).
 * - PostgreSQL and MariaDB: a major change is one `dump-restore` (never the raw
 *   data directory); crossing into PostgreSQL 18 adds a note on the volume
 *   path change; a minor change is a plain `upgrade`.
 * - Keycloak: a note that the schema migration has no way back, then backup, upgrade.
 * - PeerTube: a note per crossed release with known IMPORTANT NOTES (or a
 *   pointer to the CHANGELOG), then backup, upgrade.
 * - WordPress: a note that core files in the volume are not upgraded by the image.
 * - Services are ordered databases → caches → SSO → apps → proxy.
 */
import { CATALOGUE } from "../../components/versions.js";
import {
  RELEASE_NOTES,
  catalogueKey,
  compareVersions,
  isVersion,
  majorOf,
  orderIndex,
  peertubeChangelogNote,
  type PlannerCatalogue,
  type ReleaseNotes,
} from "./catalogue.js";

export type StepAction = "backup" | "upgrade" | "dump-restore" | "note";

export interface Step {
  service: string;
  from: string;
  to: string;
  action: StepAction;
  note?: string;
}

export interface PlanInput {
  /** Deployed versions by service name (`nextcloud`, `wordpress-club`, `postgres` …). */
  current: Readonly<Record<string, string>>;
  /** Wanted versions; services absent here are left alone. */
  target: Readonly<Record<string, string>>;
  catalogue?: PlannerCatalogue;
  notes?: ReleaseNotes;
}

/** Base class of every planner refusal (the CLI exits with status 2 on these). */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class UnknownServiceError extends PlanError {}
export class MalformedVersionError extends PlanError {}
export class DowngradeError extends PlanError {}
export class MissingCurrentError extends PlanError {}
export class MissingIntermediateError extends PlanError {}

export function unknownServiceMessage(service: string): string {
  return `unknown service "${service}": not in the versions catalogue (components/versions.ts)`;
}
export function malformedVersionMessage(service: string, version: string): string {
  return `${service}: version "${version}" is malformed (expected 2 to 5 numbers separated by dots, e.g. 32.0.3)`;
}
export function downgradeMessage(service: string, from: string, to: string): string {
  return `${service}: downgrade from ${from} to ${to} refused (restore a backup taken before the upgrade instead)`;
}
export function missingCurrentMessage(service: string): string {
  return `${service}: no current version (not deployed, and not given with --current)`;
}

export const KEYCLOAK_NOTE = (from: string, to: string) =>
  `Keycloak migrates its database schema when ${to} first starts, and ${from} cannot use it afterwards: there is no way back except restoring the backup taken before this upgrade.`;
export const POSTGRES_18_NOTE =
  "From PostgreSQL 18 the official image keeps its data under /var/lib/postgresql (PGDATA /var/lib/postgresql/18/docker), no longer /var/lib/postgresql/data: the 18 server starts on a volume mounted at the new path and the dump is loaded into it; mounting the old path would silently lose data.";
export const WORDPRESS_NOTE = (to: string) =>
  `A new WordPress image does not upgrade the core files already in the site's volume: after the image change to ${to}, WordPress core updates itself (or run wp-cli core update).`;

/** Plans every service of `target`; throws a `PlanError` subclass with an exact message. */
export function plan(input: PlanInput): Step[] {
  const catalogue = input.catalogue ?? CATALOGUE;
  const notes = input.notes ?? RELEASE_NOTES;
  for (const versions of [input.current, input.target]) {
    for (const [service, version] of Object.entries(versions)) {
      if (catalogueKey(service, catalogue) === undefined) {
        throw new UnknownServiceError(unknownServiceMessage(service));
      }
      if (!isVersion(version)) throw new MalformedVersionError(malformedVersionMessage(service, version));
    }
  }
  const services = Object.keys(input.target).sort((a, b) => {
    const d = orderIndex(catalogueKey(a, catalogue)!) - orderIndex(catalogueKey(b, catalogue)!);
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  const steps: Step[] = [];
  for (const service of services) {
    const from = input.current[service];
    if (from === undefined) throw new MissingCurrentError(missingCurrentMessage(service));
    steps.push(
      ...planService(
        service,
        catalogueKey(service, catalogue)!,
        from,
        input.target[service]!,
        catalogue,
        notes,
      ),
    );
  }
  return steps;
}

function planService(
  service: string,
  key: string,
  from: string,
  to: string,
  catalogue: PlannerCatalogue,
  notes: ReleaseNotes,
): Step[] {
  const cmp = compareVersions(from, to);
  if (cmp === 0) return [];
  if (cmp > 0) throw new DowngradeError(downgradeMessage(service, from, to));
  const entry = catalogue[key]!;
  const note = (text: string, noteTo = to): Step => ({
    service,
    from,
    to: noteTo,
    action: "note",
    note: text,
  });
  const guarded = (a: string, b: string, action: "upgrade" | "dump-restore"): Step[] => [
    { service, from: a, to: b, action: "backup" },
    { service, from: a, to: b, action },
  ];
  const majorChange = majorOf(entry, from) !== majorOf(entry, to);

  switch (key) {
    case "nextcloud":
      return nextcloudChain(service, entry, from, to).flatMap(([a, b]) => guarded(a, b, "upgrade"));
    case "postgres": {
      if (!majorChange) return guarded(from, to, "upgrade");
      const crosses18 = Number(majorOf(entry, from)) < 18 && Number(majorOf(entry, to)) >= 18;
      return [...(crosses18 ? [note(POSTGRES_18_NOTE)] : []), ...guarded(from, to, "dump-restore")];
    }
    case "mariadb":
      return guarded(from, to, majorChange ? "dump-restore" : "upgrade");
    case "keycloak":
      return [note(KEYCLOAK_NOTE(from, to)), ...guarded(from, to, "upgrade")];
    case "peertube": {
      const known = Object.entries(notes[key] ?? {})
        .filter(([v]) => compareVersions(v, from) > 0 && compareVersions(v, to) <= 0)
        .sort(([a], [b]) => compareVersions(a, b));
      const noteSteps =
        known.length > 0 ? known.map(([v, text]) => note(text, v)) : [note(peertubeChangelogNote(to))];
      return [...noteSteps, ...guarded(from, to, "upgrade")];
    }
    case "wordpress":
      return [note(WORDPRESS_NOTE(to)), ...guarded(from, to, "upgrade")];
    default:
      return guarded(from, to, "upgrade");
  }
}

/**
 * Nextcloud's stepping stones from `from` to `to`: the last patch of `from`'s
 * major (when `from` is older), the last patch of every major in between,
 * then `to`. Returns the [from, to] pairs of each upgrade.
 */
function nextcloudChain(
  service: string,
  entry: PlannerCatalogue[string],
  from: string,
  to: string,
): [string, string][] {
  const fm = Number(majorOf(entry, from));
  const tm = Number(majorOf(entry, to));
  const stones: string[] = [from];
  const push = (v: string) => {
    if (compareVersions(v, stones[stones.length - 1]!) > 0 && compareVersions(v, to) < 0) stones.push(v);
  };
  if (fm !== tm) {
    const ownLast = entry.majors[String(fm)];
    if (ownLast !== undefined) push(ownLast);
    for (let m = fm + 1; m < tm; m++) {
      const last = entry.majors[String(m)];
      if (last === undefined) {
        throw new MissingIntermediateError(
          `${service}: cannot upgrade from ${from} to ${to}: no known release of major ${m} (Nextcloud upgrades one major at a time; add the last ${m}.x release to the catalogue's majors)`,
        );
      }
      push(last);
    }
  }
  stones.push(to);
  return stones.slice(1).map((v, i) => [stones[i]!, v]);
}

/**
 * Parses `svc=ver,svc=ver` (the CLI's `--current` / `--target`); throws exact
 * messages on an empty or repeated entry. Versions are checked by `plan`.
 */
export function parseVersionList(flag: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of value.split(",")) {
    const item = raw.trim();
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1) {
      throw new PlanError(`${flag}: "${item}" is not service=version`);
    }
    const service = item.slice(0, eq).trim();
    if (Object.hasOwn(out, service)) throw new PlanError(`${flag}: service "${service}" given twice`);
    out[service] = item.slice(eq + 1).trim();
  }
  return out;
}

/** A plain-text table of steps (the CLI's human output). */
export function formatSteps(steps: readonly (Step & { tenant?: string })[]): string {
  if (steps.length === 0) return "nothing to do: every service is at its target version";
  const withTenant = steps.some((s) => s.tenant !== undefined);
  const rows = steps.map((s, i) => [
    String(i + 1),
    ...(withTenant ? [s.tenant ?? ""] : []),
    s.service,
    s.action,
    s.from,
    s.to,
    s.note ?? "",
  ]);
  const head = ["#", ...(withTenant ? ["tenant"] : []), "service", "action", "from", "to", "note"];
  const widths = head.map((h, c) =>
    Math.max(h.length, ...rows.map((r) => (c === head.length - 1 ? 0 : r[c]!.length))),
  );
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}
