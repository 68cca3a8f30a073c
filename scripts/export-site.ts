/**
 * `socle export-site --tenant T --site S --out site.tar.gz`: an association
 * takes its WordPress site away as ONE archive: `database.sql` (plain SQL a
 * stock WordPress / MySQL imports), `wp-content/` (themes, plugins, uploads)
 * and `README.txt` (how to import). The site container is found by its labels
 * (tenant T, service `wordpress-<S>`, `socle.backup.dump=mariadb:<db>`); the
 * dump runs in `socle.backup.dump.container`, wp-content is read through a
 * read-only helper container.
 */
import {
  createWriteStream,
  openSync,
  closeSync,
  createReadStream,
  statSync,
  unlinkSync,
  renameSync,
} from "node:fs";
import { createGzip } from "node:zlib";
import { once } from "node:events";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import path from "node:path";
import { COMMON_OPTIONS, parseStrict, nameOption } from "./lib/args.js";
import { groupContainers } from "./lib/discovery.js";
import { dockerOk, listLabelled } from "./lib/docker.js";
import { EXIT, EXIT_HELP, SocleError, errorMessage, type ExitCode } from "./lib/errors.js";
import { spawnStream, tailLines } from "./lib/exec.js";
import { MARIADB_PLAIN_DUMP } from "./lib/db.js";
import { helperImage } from "./lib/helper.js";
import { createOutput, formatBytes, type Output } from "./lib/output.js";
import { WP_CONTENT_TAR_SCRIPT } from "./lib/scripts.js";
import { SANDBOX_LINE, tarEntry, tarHeader, tarPadding } from "./lib/tar.js";

export interface ExportSiteOptions {
  tenant: string;
  site: string;
  out: string;
  dryRun?: boolean;
  json?: boolean;
  output?: Output;
}

export interface ExportSiteResult {
  command: "export-site";
  ok: boolean;
  exitCode: ExitCode;
  tenant: string;
  site: string;
  archive?: string;
  databaseBytes?: number;
  archiveBytes?: number;
  tablePrefix?: string;
  plan?: string[];
  errors: string[];
  durationMs: number;
}

export const HELP = `Usage: socle export-site --tenant <slug> --site <slug> --out <file.tar.gz> [--dry-run] [--json]

Exports an association's WordPress site as one archive it can take to any host:
  database.sql   plain SQL (mariadb-dump --single-transaction; imports into MySQL or MariaDB)
  wp-content/    themes, plugins, uploads
  README.txt     how to import it
The site is the container labelled socle.tenant=<tenant>, socle.service=wordpress-<site>.
Needs no repository. Environment: DOCKER_HOST, SOCLE_HELPER_IMAGE.

${EXIT_HELP}`;

export function parseArgs(argv: string[]): ExportSiteOptions & { help?: boolean } {
  const { values: v } = parseStrict(argv, {
    json: COMMON_OPTIONS.json,
    "dry-run": COMMON_OPTIONS["dry-run"],
    help: COMMON_OPTIONS.help,
    tenant: { type: "string" },
    site: { type: "string" },
    out: { type: "string" },
  });
  if (v.help) return { help: true, tenant: "", site: "", out: "" };
  for (const k of ["tenant", "site", "out"] as const) {
    if (!v[k]) throw new SocleError(`--${k} is required`, EXIT.usage);
  }
  return {
    tenant: nameOption("tenant", v.tenant)!,
    site: nameOption("site", v.site)!,
    out: v.out!,
    dryRun: Boolean(v["dry-run"]),
    json: Boolean(v.json),
  };
}

export function readme(o: {
  tenant: string;
  site: string;
  database: string;
  prefix: string;
  date: string;
}): string {
  return `WordPress site export: ${o.site} (${o.tenant}), ${o.date}

Contents
  database.sql  the site's database "${o.database}" as plain SQL (tables prefixed "${o.prefix}")
  wp-content/   themes, plugins and uploads

Import on any WordPress host
  1. Install a fresh WordPress (same or newer version), or unpack wordpress.org's archive.
  2. Create an empty database and a user, then load the dump:
       mysql -u <user> -p <database> < database.sql
  3. In wp-config.php set DB_NAME / DB_USER / DB_PASSWORD / DB_HOST, and
       $table_prefix = '${o.prefix}';
  4. Replace the new site's wp-content/ with the one in this archive
     (files owned by the web server user, e.g. chown -R www-data: wp-content).
  5. If the address changes, update it, e.g. with WP-CLI:
       wp search-replace 'https://old.example' 'https://new.example' --all-tables
Users and passwords are in the database; log in with your usual account.
`;
}

export async function main(options: ExportSiteOptions): Promise<ExportSiteResult> {
  const started = Date.now();
  const out = options.output ?? createOutput({ json: options.json ?? false });
  const result: ExportSiteResult = {
    command: "export-site",
    ok: false,
    exitCode: EXIT.failed,
    tenant: options.tenant,
    site: options.site,
    errors: [],
    durationMs: 0,
  };
  const target = path.resolve(options.out);
  const part = `${target}.part`;
  const sqlTmp = `${target}.sql.part`;
  try {
    const service = `wordpress-${options.site}`;
    const [g] = groupContainers(await listLabelled(), { tenant: options.tenant, service });
    if (!g)
      throw new SocleError(`no container labelled socle.tenant=${options.tenant}, socle.service=${service}`);
    if (g.problems.length > 0)
      throw new SocleError(`${options.tenant}/${service}: its labels are wrong: ${g.problems.join("; ")}`);
    const dump = g.dumps.find((d) => d.engine === "mariadb");
    if (!dump)
      throw new SocleError(`${options.tenant}/${service}: no socle.backup.dump=mariadb:<database> label`);
    const site = g.containers.find((c) => c.name === dump.declaredBy) ?? g.containers[0]!;
    const volume = await siteVolume(site.name, g.volumes);
    result.plan = [
      `database ${dump.database}: mariadb-dump in ${dump.container}`,
      `wp-content from volume ${volume} (container ${site.name})`,
      `archive ${target}`,
    ];
    if (options.dryRun) {
      for (const l of result.plan) out.print(l);
      result.ok = true;
      result.exitCode = EXIT.ok;
      return result;
    }
    out.step(`${options.tenant}/${service}: dumping ${dump.database} in ${dump.container}`);
    const dbBytes = await dumpToFile(dump.container, dump.database, sqlTmp);
    const prefix = await tablePrefix(sqlTmp);
    result.databaseBytes = dbBytes;
    result.tablePrefix = prefix;
    out.step(`${options.tenant}/${service}: writing ${target}`);
    await writeArchive(
      part,
      sqlTmp,
      dbBytes,
      volume,
      readme({
        tenant: options.tenant,
        site: options.site,
        database: dump.database,
        prefix,
        date: new Date().toISOString(),
      }),
    );
    renameSync(part, target);
    result.archive = target;
    result.archiveBytes = statSync(target).size;
    result.ok = true;
    result.exitCode = EXIT.ok;
  } catch (e) {
    result.errors.push(errorMessage(e));
    result.exitCode = e instanceof SocleError ? e.exitCode : EXIT.failed;
  } finally {
    for (const f of [sqlTmp, part]) {
      try {
        unlinkSync(f);
      } catch {
        /* absent */
      }
    }
    result.durationMs = Date.now() - started;
  }
  return result;
}

/** The volume mounted at /var/www/html in the site container (else the only labelled one). */
async function siteVolume(container: string, labelled: string[]): Promise<string> {
  const mounts = JSON.parse(await dockerOk(["inspect", "--format", "{{json .Mounts}}", container])) as {
    Type: string;
    Name?: string;
    Destination: string;
  }[];
  const html = mounts.find(
    (m) => m.Type === "volume" && m.Destination === "/var/www/html" && labelled.includes(m.Name ?? ""),
  );
  if (html?.Name) return html.Name;
  if (labelled.length === 1) return labelled[0]!;
  throw new SocleError(
    `${container}: cannot tell which of ${labelled.join(", ") || "no volumes"} holds /var/www/html`,
  );
}

async function dumpToFile(container: string, database: string, file: string): Promise<number> {
  closeSync(openSync(file, "w", 0o600));
  const proc = spawnStream(["docker", "exec", container, "sh", "-c", MARIADB_PLAIN_DUMP, "sh", database]);
  let first = true;
  let bytes = 0;
  const strip = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      let c = chunk;
      if (first) {
        first = false;
        const m = SANDBOX_LINE.exec(c.toString("latin1", 0, Math.min(c.length, 200)));
        if (m) c = c.subarray(m[0].length);
      }
      bytes += c.length;
      cb(null, c);
    },
  });
  const write = pipeline(proc.stdout, strip, createWriteStream(file, { flags: "w", mode: 0o600 }));
  const [r] = await Promise.all([proc, write]);
  if (r.exitCode !== 0)
    throw new SocleError(`mariadb-dump of ${database} in ${container} failed: ${tailLines(r.stderr, 3)}`);
  return bytes;
}

async function tablePrefix(sqlFile: string): Promise<string> {
  const head = await new Promise<string>((resolve, reject) => {
    let acc = "";
    const s = createReadStream(sqlFile, { encoding: "utf8", end: 4 * 1024 * 1024 });
    s.on("data", (d) => {
      acc += d;
    });
    s.on("end", () => resolve(acc));
    s.on("error", reject);
  });
  return /CREATE TABLE `(\w*?)options`/.exec(head)?.[1] ?? "wp_";
}

async function writeArchive(
  file: string,
  sqlFile: string,
  sqlBytes: number,
  volume: string,
  readmeText: string,
): Promise<void> {
  const gzip = createGzip({ level: 6 });
  const sink = createWriteStream(file, { mode: 0o600 });
  const done = pipeline(gzip, sink);
  const write = async (b: Buffer) => {
    if (!gzip.write(b)) await once(gzip, "drain");
  };
  await write(tarEntry("README.txt", Buffer.from(readmeText)));
  await write(tarHeader("database.sql", sqlBytes));
  for await (const chunk of createReadStream(sqlFile)) await write(chunk as Buffer);
  await write(tarPadding(sqlBytes));
  const helper = spawnStream([
    "docker",
    "run",
    "--rm",
    "--network",
    "none",
    "--mount",
    `type=volume,source=${volume},target=/site,readonly`,
    "--entrypoint",
    "sh",
    helperImage(),
    "-c",
    WP_CONTENT_TAR_SCRIPT,
  ]);
  const tarStream = new PassThrough();
  helper.stdout.pipe(tarStream);
  for await (const chunk of tarStream) await write(chunk as Buffer);
  const r = await helper;
  if (r.exitCode !== 0)
    throw new SocleError(`reading wp-content from volume ${volume} failed: ${tailLines(r.stderr, 3)}`);
  gzip.end();
  await done;
}

export function report(r: ExportSiteResult): string[] {
  if (!r.ok || !r.archive) return [`export FAILED`];
  return [
    `exported ${r.tenant}/${r.site} to ${r.archive} (${formatBytes(r.archiveBytes ?? 0)}, database ${formatBytes(r.databaseBytes ?? 0)}, table prefix ${r.tablePrefix})`,
  ];
}
