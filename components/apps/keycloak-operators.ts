import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import type { KeycloakServer } from "./keycloak-realm.js";

export interface KeycloakOperatorsArgs {
  keycloak: KeycloakServer;
  /** Group name in the `master` realm; default `operators`. */
  group?: string;
}

export const OPERATORS_DEFAULTS = {
  group: "operators",
  /** Realm-admin role of the master realm: every tenant realm, clients and settings included. */
  role: "admin",
} as const;

/**
 * KeycloakOperators — the deployment's operators (a town's DSI, an EPCI's ops
 * team): a group in Keycloak's `master` realm holding the master realm's
 * `admin` role, so its members administer every tenant realm. Towns' own
 * admins never get it: they hold only user management in their own realm
 * (KeycloakRealm's `admins` group). Members are added in the admin console
 * (or by the DSI's identity process); none is created here.
 *
 * Type token `socle:apps:KeycloakOperators`; children `${name}-group`, `${name}-roles`.
 */
export class KeycloakOperators extends pulumi.ComponentResource {
  readonly group: string;
  readonly groupId: pulumi.Output<string>;

  constructor(name: string, args: KeycloakOperatorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("socle:apps:KeycloakOperators", name, {}, opts);
    this.group = args.group ?? OPERATORS_DEFAULTS.group;
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(this.group)) {
      throw new Error(`KeycloakOperators: group "${this.group}" must match [a-z][a-z0-9-]{0,62}`);
    }
    // Like KeycloakRealm: the admin API is reached through the proxy, so the
    // component's dependsOn (the proxy) is forwarded to every child.
    const childOpts = { parent: this, provider: args.keycloak.provider, dependsOn: opts?.dependsOn ?? [] };
    const group = new keycloak.Group(`${name}-group`, { realmId: "master", name: this.group }, childOpts);
    const admin = keycloak.getRoleOutput(
      { realmId: "master", name: OPERATORS_DEFAULTS.role },
      { parent: this, provider: args.keycloak.provider },
    );
    new keycloak.GroupRoles(
      `${name}-roles`,
      { realmId: "master", groupId: group.id, roleIds: [admin.id], exhaustive: true },
      childOpts,
    );
    this.groupId = group.id;
    this.registerOutputs({ group: this.group });
  }
}
