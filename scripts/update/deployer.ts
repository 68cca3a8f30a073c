/**
 * How `socle update apply` changes what runs: one small interface, so the
 * orchestration does not care whether Pulumi or a test double recreates the
 * containers.
 *
 * `PulumiDeployer` is the real one: it writes the version into the stack
 * config (`socle:tenants[i].versions.<service>`, or `socle:versions.<service>`
 * for the shared platform) and runs `pulumi up` through the Automation API.
 * It needs the Pulumi CLI, which these test machines do not have: its config
 * writes are unit-tested against a fake stack, its `up` is not run here.
 */
import type { ConfigValue, UpOptions } from "@pulumi/pulumi/automation/index.js";
import { catalogueKey } from "./catalogue.js";
import { PLATFORM_TENANT } from "../../components/labels.js";

export interface Deployer {
  /** Records the version a tenant's service should run (nothing changes until `deploy`). */
  setVersion(tenant: string, service: string, version: string): Promise<void>;
  /** Makes the recorded versions real for these tenants; rejects when the deployment fails. */
  deploy(tenants: string[]): Promise<void>;
}

/** The tenant slug the shared platform containers carry (`socle-postgres`, `socle-proxy` …). */
export { PLATFORM_TENANT };

/** The part of an Automation API `Stack` the deployer uses (a fake one in unit tests). */
export interface StackLike {
  getConfig(key: string, path?: boolean): Promise<ConfigValue>;
  setConfig(key: string, value: ConfigValue, path?: boolean): Promise<void>;
  up(opts?: UpOptions): Promise<{ summary: { result: string } }>;
}

export interface PulumiDeployerOptions {
  /** Stack name (`pulumi stack ls`), e.g. `prod`. */
  stackName: string;
  /** The project directory (where Pulumi.yaml is). */
  workDir: string;
  /** Receives `pulumi up`'s output, line by line. */
  onOutput?: (out: string) => void;
  /** Config namespace; default `socle`. */
  namespace?: string;
}

/** Services a tenant pins in `socle:tenants[i].versions` (as stacks/config-tenants.ts accepts them). */
export const TENANT_VERSIONED: readonly string[] = [
  "nextcloud",
  "collabora",
  "sogo",
  "mailserver",
  "peertube",
  "wordpress",
];

/**
 * The config key a version is written to. Tenant apps: `socle:tenants[<i>].versions.<key>`
 * where `<i>` is the tenant's index in `socle:tenants` and `<key>` the catalogue
 * name (`wordpress-<site>` → `wordpress`, `mail` → `mailserver`). Deployment-wide
 * services (Keycloak, PostgreSQL, MariaDB, Redis, memcached, Caddy) and the
 * platform: `socle:versions.<key>`.
 */
export function versionConfigPath(
  namespace: string,
  tenants: readonly { slug?: unknown }[],
  tenant: string,
  service: string,
): string {
  const key = catalogueKey(service);
  if (key === undefined) throw new Error(`unknown service "${service}": not in the versions catalogue`);
  if (tenant === PLATFORM_TENANT || !TENANT_VERSIONED.includes(key)) return `${namespace}:versions.${key}`;
  const index = tenants.findIndex((t) => t.slug === tenant);
  if (index === -1) throw new Error(`${namespace}:tenants: no tenant with slug "${tenant}"`);
  return `${namespace}:tenants[${index}].versions.${key}`;
}

export class PulumiDeployer implements Deployer {
  private tenantsCache: { slug?: unknown }[] | undefined;

  constructor(
    private readonly stack: StackLike,
    private readonly onOutput: (out: string) => void = () => {},
    private readonly namespace = "socle",
  ) {}

  /** Selects an existing stack of a local project (needs the `pulumi` CLI on PATH). */
  static async open(opts: PulumiDeployerOptions): Promise<PulumiDeployer> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
    const stack = await LocalWorkspace.selectStack({ stackName: opts.stackName, workDir: opts.workDir });
    return new PulumiDeployer(stack, opts.onOutput, opts.namespace);
  }

  private async tenants(): Promise<{ slug?: unknown }[]> {
    if (this.tenantsCache) return this.tenantsCache;
    const raw = await this.stack.getConfig(`${this.namespace}:tenants`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.value);
    } catch {
      throw new Error(
        `${this.namespace}:tenants: not a JSON list (got ${JSON.stringify(raw.value.slice(0, 40))})`,
      );
    }
    if (!Array.isArray(parsed)) throw new Error(`${this.namespace}:tenants: not a list`);
    this.tenantsCache = parsed as { slug?: unknown }[];
    return this.tenantsCache;
  }

  async setVersion(tenant: string, service: string, version: string): Promise<void> {
    const key = catalogueKey(service);
    const perTenant = tenant !== PLATFORM_TENANT && key !== undefined && TENANT_VERSIONED.includes(key);
    const tenants = perTenant ? await this.tenants() : [];
    const configKey = versionConfigPath(this.namespace, tenants, tenant, service);
    await this.stack.setConfig(configKey, { value: version, secret: false }, true);
  }

  async deploy(tenants: string[]): Promise<void> {
    // One `pulumi up` of the whole stack: only the services whose version changed
    // in the config differ, so only those containers are replaced.
    const result = await this.stack.up({
      onOutput: this.onOutput,
      message: `socle update: ${tenants.join(", ")}`,
    });
    if (result.summary.result !== "succeeded") {
      throw new Error(`pulumi up for ${tenants.join(", ")} ended with "${result.summary.result}"`);
    }
  }
}
