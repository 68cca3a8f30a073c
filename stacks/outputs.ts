/**
 * Stack outputs: per tenant its host, URLs, admin user names and secrets
 * (Pulumi secrets, never printed in clear), the Keycloak admin, the capacity
 * table (EPCI report), host addresses, the PeerTube hostnames the next
 * update checks against (a PeerTube hostname can never change), and each
 * tenant's network slot per host (kept by the next update: its subnets never move).
 */
import * as pulumi from "@pulumi/pulumi";
import { renderCapacityTable } from "../templates/capacity-report.js";
import { hostOutputs } from "./hosts.js";
import type { ProgramResult } from "./program.js";

export function stackOutputs(result: ProgramResult) {
  const tenants = Object.fromEntries(
    Object.entries(result.tenants).map(([slug, t]) => [
      slug,
      {
        host: t.host,
        urls: t.urls,
        admins: t.admins,
        secrets: pulumi.secret(pulumi.output(t.secrets)),
        ...(t.dns ? { dns: t.dns } : {}),
      },
    ]),
  );
  return {
    tenants,
    keycloak: {
      url: result.keycloak.url,
      adminUser: result.keycloak.adminUser,
      adminPassword: pulumi.secret(result.keycloak.adminPassword),
    },
    hosts: hostOutputs(result.hosts),
    capacity: result.capacity,
    capacityTable: renderCapacityTable(result.capacity),
    peertubeHostnames: result.peertubeHostnames,
    networkSlots: result.networkSlots,
  };
}
