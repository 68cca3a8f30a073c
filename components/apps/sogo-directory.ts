import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import type { KeycloakRealm } from "./keycloak-realm.js";
import { confidentialClient } from "./oidc-client.js";
import { shellQuote } from "../../templates/shell.js";

export const SOGO_DIRECTORY_DEFAULTS = {
  clientId: "sogo-directory",
  /** The realm-management role that lets the service account list users. */
  role: "view-users",
  envPath: "/etc/sogo/realm-sync.env",
  secretLength: 32,
} as const;

export interface RealmSyncEnvArgs {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  database: { host: string; port: number; name: string; user: string; password: string };
  userTable: string;
}

/** `https://sso…/realms/demo` → `https://sso…/admin/realms/demo/users` (Keycloak's admin API). */
export function keycloakUsersUrl(issuerUrl: string): string {
  const m = /^(https?:\/\/[^/]+(?:\/[^/]+)*)\/realms\/([^/]+)$/.exec(issuerUrl);
  if (!m) throw new Error(`SogoDirectory: issuer "${issuerUrl}" is not <keycloak>/realms/<realm>`);
  return `${m[1]}/admin/realms/${m[2]}/users`;
}

/**
 * `/etc/sogo/realm-sync.env`, sourced by the image's realm-sync.sh: the token and
 * users endpoints, the service-account client, libpq's PG* variables and the table.
 * Sorted keys, shell-quoted values. Holds two secrets: upload it as a secret.
 */
export function renderRealmSyncEnv(args: RealmSyncEnvArgs): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(args.userTable)) {
    throw new Error(`SogoDirectory: userTable "${args.userTable}" is not a plain SQL identifier`);
  }
  const env: Record<string, string> = {
    KC_CLIENT_ID: args.clientId,
    KC_CLIENT_SECRET: args.clientSecret,
    KC_TOKEN_URL: `${args.issuerUrl}/protocol/openid-connect/token`,
    KC_USERS_URL: keycloakUsersUrl(args.issuerUrl),
    PGDATABASE: args.database.name,
    PGHOST: args.database.host,
    PGPASSWORD: args.database.password,
    PGPORT: String(args.database.port),
    PGUSER: args.database.user,
    SOGO_USER_TABLE: args.userTable,
  };
  return `${Object.keys(env)
    .sort()
    .map((k) => `${k}=${shellQuote(env[k]!)}`)
    .join("\n")}\n`;
}

export interface SogoDirectoryArgs {
  realm: KeycloakRealm;
  /** SOGo's database, where the user-source table lives. */
  database: { host: string; port: number; name: string; user: string; password: pulumi.Input<string> };
  userTable: string;
  clientId?: string;
}

/**
 * SogoDirectory — keeps SOGo's user source fed from the tenant's realm
 * (`socle:apps:SogoDirectory`): a confidential client with a service account
 * and no login flow, allowed `realm-management/view-users`, and the secret
 * `realm-sync.env` the SOGo cron container uploads (realm-sync.sh runs at its
 * start and every 5 minutes). Only for OIDC mode (SOGo >= 5.12).
 *
 * Children: `${name}-secret` (RandomPassword), `${name}-client`
 * (keycloak.openid.Client), `${name}-view-users` (ClientServiceAccountRole).
 */
export class SogoDirectory extends pulumi.ComponentResource {
  readonly clientId: string;
  readonly clientSecret: pulumi.Output<string>;
  /** Secret: the content of /etc/sogo/realm-sync.env. */
  readonly env: pulumi.Output<string>;

  constructor(name: string, args: SogoDirectoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:apps:SogoDirectory", name, {}, opts);
    this.clientId = args.clientId ?? SOGO_DIRECTORY_DEFAULTS.clientId;
    const { client, secret } = confidentialClient(
      name,
      {
        realm: args.realm,
        clientId: this.clientId,
        secretLength: SOGO_DIRECTORY_DEFAULTS.secretLength,
        flow: "serviceAccount",
      },
      this,
    );
    this.clientSecret = secret;
    const kcOpts = { parent: this, provider: args.realm.provider, dependsOn: args.realm.dependsOn };
    const realmManagement = keycloak.openid.getClientOutput(
      { realmId: args.realm.realmId, clientId: "realm-management" },
      { parent: this, provider: args.realm.provider },
    );
    new keycloak.openid.ClientServiceAccountRole(
      `${name}-view-users`,
      {
        realmId: args.realm.realmId,
        serviceAccountUserId: client.serviceAccountUserId,
        clientId: realmManagement.id,
        role: SOGO_DIRECTORY_DEFAULTS.role,
      },
      kcOpts,
    );
    const realm = args.realm;
    const db = args.database;
    this.env = pulumi.secret(
      pulumi.all([this.clientSecret, db.password]).apply(([clientSecret, password]) =>
        renderRealmSyncEnv({
          issuerUrl: realm.issuerUrl,
          clientId: this.clientId,
          clientSecret,
          database: { host: db.host, port: db.port, name: db.name, user: db.user, password },
          userTable: args.userTable,
        }),
      ),
    );
    this.registerOutputs({ clientId: this.clientId });
  }
}
