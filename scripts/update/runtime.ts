/**
 * The real side effects of `socle update`: deployed versions from the
 * `socle.version` labels, the Pulumi deployer, restic backups and restores
 * through the backup scripts, Docker health and version probes, the update lock.
 */
import { groupContainers } from "../lib/discovery.js";
import { listLabelled } from "../lib/docker.js";
import type { ApplyCommandOptions, Deployed } from "../update.js";
import { ApplyError, type UpdateDeps } from "./apply.js";
import { backupAdapter, type BackupAdapter } from "./backup-adapter.js";
import { PulumiDeployer, type Deployer } from "./deployer.js";
import { acquireUpdateLock } from "./lock.js";
import { reportedVersion, waitHealthy } from "./probe.js";

/** tenant → service → version, from the labels of the containers on the engine. */
export async function discoverVersions(): Promise<{ deployed: Deployed; warnings: string[] }> {
  const deployed: Deployed = {};
  const warnings: string[] = [];
  for (const g of groupContainers(await listLabelled())) {
    if (g.version === "unknown") {
      warnings.push(`${g.tenant}/${g.service}: no socle.version label, left alone`);
      continue;
    }
    (deployed[g.tenant] ??= {})[g.service] = g.version;
  }
  return { deployed, warnings };
}

export interface RuntimeOverrides {
  deployer?: Deployer;
  backups?: BackupAdapter;
}

/** The side effects of `apply`; tests replace the deployer (no Pulumi CLI here) and keep the rest real. */
export async function realDeps(
  options: ApplyCommandOptions,
  log: (line: string) => void,
  overrides: RuntimeOverrides = {},
): Promise<UpdateDeps> {
  const deployer =
    overrides.deployer ??
    (options.dryRun
      ? dryRunDeployer
      : await PulumiDeployer.open({
          stackName: requireStack(options),
          workDir: options.workDir,
          onOutput: (out) => log(out.trimEnd()),
        }));
  const backups = overrides.backups ?? backupAdapter(options, log);
  return {
    deployer,
    backup: (ref) => backups.backup(ref),
    restore: (ref, snapshot) => backups.restore(ref, snapshot),
    waitHealthy: (ref, timeoutMs) => waitHealthy(ref, timeoutMs),
    reportedVersion,
    lock: () => acquireUpdateLock(),
    log,
  };
}

function requireStack(options: ApplyCommandOptions): string {
  if (!options.stack)
    throw new ApplyError("update apply: --stack <name> is needed to deploy (the Pulumi stack to update)");
  return options.stack;
}

const dryRunDeployer: Deployer = {
  setVersion: async () => {
    throw new Error("dry run: setVersion must not be called");
  },
  deploy: async () => {
    throw new Error("dry run: deploy must not be called");
  },
};
