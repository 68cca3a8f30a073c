import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import { KEYCLOAK_ADMIN_REALM, isDisplayText } from "../../templates/checks.js";

/**
 * What a realm needs from its Keycloak: the public URL (issuer base) and the
 * admin-API provider. `Keycloak` (keycloak.ts) satisfies it; the structural
 * type keeps this file free of the container/platform imports.
 */
export interface KeycloakServer {
  readonly url: string;
  readonly provider: keycloak.Provider;
}

export interface KeycloakRealmArgs {
  keycloak: KeycloakServer;
  /** Realm name: the tenant slug. */
  realm: string;
  /** Shown on the login page (the tenant's name). */
  displayName: string;
}

export const REALM_DEFAULTS = {
  adminsGroup: "admins",
  /**
   * What a town's `admins` group may do in Keycloak's admin console, in its own
   * realm only (roles of that realm's `realm-management` client): manage the
   * town's users and groups. Realm settings, clients and other realms stay the
   * operators' (see KeycloakOperators).
   */
  adminsRealmRoles: ["manage-users", "query-groups", "query-users", "view-users"],
  locales: ["fr", "en"],
  defaultLocale: "fr",
} as const;

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Pure validation; exact messages. */
export function validateKeycloakRealmArgs(args: { realm: string; displayName: string }): void {
  if (!SLUG.test(args.realm)) {
    throw new Error(`KeycloakRealm: realm "${args.realm}" must be a tenant slug ([a-z0-9-], 1-63 chars)`);
  }
  if (args.realm === KEYCLOAK_ADMIN_REALM) {
    throw new Error(`KeycloakRealm: realm "${KEYCLOAK_ADMIN_REALM}" is Keycloak's own admin realm`);
  }
  if (args.displayName.trim() === "") {
    throw new Error(`KeycloakRealm: displayName of realm "${args.realm}" is empty`);
  }
  if (!isDisplayText(args.displayName)) {
    throw new Error(
      `KeycloakRealm: displayName of realm "${args.realm}" is not one line of display text (${JSON.stringify(args.displayName)})`,
    );
  }
}

/**
 * KeycloakRealm — one realm per tenant (name = tenant slug) with an `admins`
 * group, managed through the `@pulumi/keycloak` provider so later changes
 * (new clients, new settings) are applied on every `pulumi up`.
 *
 * Type token `socle:apps:KeycloakRealm`; children `${name}-realm`
 * (keycloak.Realm) and `${name}-admins` (keycloak.Group). `opts.dependsOn` is
 * forwarded to the children (the composition passes the reverse proxy, which
 * must be serving `sso.…` before the provider can reach the admin API).
 */
export class KeycloakRealm extends pulumi.ComponentResource {
  readonly realm: string;
  readonly issuerUrl: string;
  readonly discoveryUrl: string;
  readonly adminsGroup: string;
  readonly provider: keycloak.Provider;
  /** The realm's id on the provider (equals `realm`, known once the realm exists). */
  readonly realmId: pulumi.Output<string>;
  /** The `admins` group's id (apps grant it their admin client roles). */
  readonly adminsGroupId: pulumi.Output<string>;
  /** Dependencies forwarded to every child and to the clients of this realm. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];

  constructor(name: string, args: KeycloakRealmArgs, opts?: pulumi.ComponentResourceOptions) {
    validateKeycloakRealmArgs(args);
    super("socle:apps:KeycloakRealm", name, {}, opts);
    this.realm = args.realm;
    this.issuerUrl = `${args.keycloak.url}/realms/${args.realm}`;
    this.discoveryUrl = `${this.issuerUrl}/.well-known/openid-configuration`;
    this.adminsGroup = REALM_DEFAULTS.adminsGroup;
    this.provider = args.keycloak.provider;
    this.dependsOn = toList(opts?.dependsOn);

    const childOpts = { parent: this, provider: this.provider, dependsOn: this.dependsOn };
    const realm = new keycloak.Realm(
      `${name}-realm`,
      {
        realm: args.realm,
        displayName: args.displayName,
        enabled: true,
        sslRequired: "external",
        loginWithEmailAllowed: true,
        duplicateEmailsAllowed: false,
        resetPasswordAllowed: true,
        registrationAllowed: false,
        internationalization: {
          supportedLocales: [...REALM_DEFAULTS.locales],
          defaultLocale: REALM_DEFAULTS.defaultLocale,
        },
      },
      childOpts,
    );
    this.realmId = realm.id;
    const admins = new keycloak.Group(
      `${name}-admins`,
      { realmId: realm.id, name: this.adminsGroup },
      childOpts,
    );
    this.adminsGroupId = admins.id;
    // Delegated administration: the town's admins manage the town's users, in this realm only.
    const management = keycloak.openid.getClientOutput(
      { realmId: realm.id, clientId: "realm-management" },
      { parent: this, provider: this.provider },
    );
    new keycloak.GroupRoles(
      `${name}-admins-roles`,
      {
        realmId: realm.id,
        groupId: admins.id,
        roleIds: REALM_DEFAULTS.adminsRealmRoles.map(
          (role) =>
            keycloak.getRoleOutput(
              { realmId: realm.id, clientId: management.id, name: role },
              { parent: this, provider: this.provider },
            ).id,
        ),
        exhaustive: true,
      },
      childOpts,
    );

    this.registerOutputs({ realm: this.realm, issuerUrl: this.issuerUrl, realmId: this.realmId });
  }
}

function toList(
  d: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined,
): pulumi.Input<pulumi.Resource>[] {
  if (d === undefined) return [];
  if (Array.isArray(d)) return d as pulumi.Input<pulumi.Resource>[];
  return [d as pulumi.Input<pulumi.Resource>];
}
