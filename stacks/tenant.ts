/**
 * One tenant's services on its host: realm, Nextcloud (+ Collabora), SOGo
 * (+ its mail server), PeerTube (own instance, or a channel on the EPCI's
 * shared one) and one WordPress site per association.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { KeycloakRealm } from "../components/apps/keycloak-realm.js";
import { Nextcloud, memoryMbFor as nextcloudMemory } from "../components/apps/nextcloud.js";
import { PeerTube, memoryMbFor as peertubeMemory } from "../components/apps/peertube.js";
import { PeerTubeChannel } from "../components/apps/peertube-channel.js";
import { Sogo, memoryMbFor as sogoMemory } from "../components/apps/sogo.js";
import {
  WordPressSite,
  memoryMbFor as wordpressMemory,
  wordpressSiteDomain,
} from "../components/apps/wordpress-site.js";
import type { Platform } from "../components/platform/platform.js";
import type { Route } from "../components/platform/route.js";
import { Mail, memoryMbFor as mailMemory } from "../components/apps/mail.js";
import type { Tenant } from "./config.js";

/** Declared memory of a tenant's containers, MiB: what placement packs (before any resource). */
export function tenantMemoryMb(t: Tenant): number {
  const s = t.services;
  let mb = 0;
  if (s.nextcloud) mb += nextcloudMemory({ office: s.nextcloud.office ? {} : false });
  if (s.sogo) mb += sogoMemory({}) + (s.sogo.mail ? 0 : mailMemory({ tls: true }));
  if (s.peertube && !s.peertube.shared) mb += peertubeMemory({});
  // A channel job runs once on the shared instance's host; it is not placed with the tenant.
  for (const _ of s.wordpress?.sites ?? []) mb += wordpressMemory({});
  return mb;
}

export interface TenantContext {
  tenant: Tenant;
  platform: Platform;
  realm: KeycloakRealm;
  /** Sibling tenants' Nextcloud / PeerTube hosts, for federation (EPCI). */
  siblings: { nextcloud: string[]; peertube: string[] };
  /** The EPCI's shared PeerTube and its host's platform (for `peertube: {shared: true}`). */
  sharedPeertube?: { instance: PeerTube; platform: Platform };
  /** The tenant → hostname map the stack exported last time (PeerTube's immutable hostname). */
  previousPeertube: pulumi.Output<Record<string, string>>;
  /** Deployment-wide pins of the caches (`socle:versions.redis`, `.memcached`). */
  caches?: { redis?: string; memcached?: string };
}

export interface TenantOutputs {
  urls: Record<string, string>;
  admins: Record<string, string>;
  secrets: Record<string, pulumi.Output<string>>;
  dns?: pulumi.Output<unknown>;
  peertubeHostname?: pulumi.Output<string>;
}

export interface DeclaredTenant {
  routes: Route[];
  outputs: TenantOutputs;
  memoryMb: number;
}

const sub = (label: string, domain: string) => `${label}.${domain}`;

/**
 * The public names a tenant serves (the hosts of its routes), computed from the
 * config before any resource: its containers resolve them to their proxy.
 */
export function tenantPublicNames(t: Tenant): string[] {
  const s = t.services;
  const names: string[] = [];
  if (s.nextcloud) {
    names.push(sub(s.nextcloud.subdomain, t.domain));
    if (s.nextcloud.office) names.push(sub(s.nextcloud.officeSubdomain, t.domain));
  }
  if (s.sogo) names.push(sub(s.sogo.subdomain, t.domain));
  if (s.peertube && !s.peertube.shared) names.push(sub(s.peertube.subdomain, t.domain));
  for (const site of s.wordpress?.sites ?? []) {
    names.push(site.subdomain ? sub(site.subdomain, t.domain) : wordpressSiteDomain(site.slug, t.domain));
  }
  return names;
}

export function declareTenant(ctx: TenantContext): DeclaredTenant {
  const { tenant: t, platform, realm } = ctx;
  const s = t.services;
  // Split horizon: the tenant's containers on its web network resolve its own names
  // (and the deployment-wide ones) to their proxy; never another tenant's.
  const names = tenantPublicNames(t);
  platform.setTenantNames(t.slug, names);
  const routes: Route[] = [];
  const out: TenantOutputs = { urls: {}, admins: {}, secrets: {} };
  let memoryMb = 0;
  const federation = t.federation;

  if (s.nextcloud) {
    const nc = new Nextcloud(`${t.slug}-nextcloud`, {
      tenant: t.slug,
      domain: sub(s.nextcloud.subdomain, t.domain),
      platform,
      realm,
      ...(t.versions.nextcloud ? { version: t.versions.nextcloud } : {}),
      ...(ctx.caches?.redis ? { redisVersion: ctx.caches.redis } : {}),
      office: s.nextcloud.office
        ? {
            domain: sub(s.nextcloud.officeSubdomain, t.domain),
            ...(t.versions.collabora ? { version: t.versions.collabora } : {}),
          }
        : false,
      ...(federation && ctx.siblings.nextcloud.length > 0
        ? { federation: { trustedServers: ctx.siblings.nextcloud } }
        : {}),
    });
    routes.push(...nc.routes);
    memoryMb += nc.memoryMb;
    out.urls.nextcloud = nc.url;
    out.admins.nextcloud = nc.adminUser;
    out.secrets.nextcloudAdminPassword = nc.adminPassword;
    if (nc.collabora) {
      out.urls.collabora = nc.collabora.url;
      out.admins.collabora = nc.collabora.adminUser;
      out.secrets.collaboraAdminPassword = nc.collabora.adminPassword;
    }
  }

  let smtp: { host: string; port: number; from: string } | undefined;
  if (s.sogo) {
    let mailServers: ConstructorParameters<typeof Sogo>[1]["mail"];
    if (s.sogo.mail) {
      mailServers = {
        imap: hostPort(s.sogo.mail.imap),
        smtp: hostPort(s.sogo.mail.smtp),
        ...(s.sogo.mail.sieve ? { sieve: hostPort(s.sogo.mail.sieve) } : {}),
      };
    } else {
      const mail = new Mail(`${t.slug}-mail`, {
        tenant: t.slug,
        hostname: sub(s.sogo.subdomain, t.domain),
        mailDomain: t.domain,
        platform,
        realm,
        // The proxy's certificate for the mail host (SOGo's route), copied alone into the mail server's volume.
        tls: platform.proxyCertificate(sub(s.sogo.subdomain, t.domain)),
        ...(t.versions.mailserver ? { version: t.versions.mailserver } : {}),
      });
      mailServers = mail.endpoints;
      memoryMb += mail.memoryMb;
      out.dns = mail.dnsRecords;
      smtp = { host: mail.endpoints.smtp.host, port: mail.endpoints.smtp.port, from: `noreply@${t.domain}` };
    }
    const sogo = new Sogo(`${t.slug}-sogo`, {
      tenant: t.slug,
      domain: sub(s.sogo.subdomain, t.domain),
      mailDomain: t.domain,
      platform,
      mail: mailServers,
      realm,
      ...(t.versions.sogo ? { version: t.versions.sogo } : {}),
      ...(ctx.caches?.memcached ? { memcachedVersion: ctx.caches.memcached } : {}),
    });
    routes.push(...sogo.routes);
    memoryMb += sogo.memoryMb;
    out.urls.sogo = sogo.url;
  }

  if (s.peertube && !s.peertube.shared) {
    const domain = sub(s.peertube.subdomain, t.domain);
    const pt = new PeerTube(`${t.slug}-peertube`, {
      tenant: t.slug,
      domain,
      platform,
      adminEmail: `admin@${t.domain}`,
      previousHostname: ctx.previousPeertube.apply((m) => m[t.slug]),
      realm,
      instanceName: t.name,
      ...(smtp ? { smtp } : {}),
      ...(t.versions.peertube ? { version: t.versions.peertube } : {}),
      ...(ctx.caches?.redis ? { redisVersion: ctx.caches.redis } : {}),
      federation: {
        follow: federation ? ctx.siblings.peertube : [],
        autoFollowBack: federation,
        // not tied to the siblings' count: a second town must not change the first one's instance
        redundancy: federation,
      },
    });
    routes.push(...pt.routes);
    memoryMb += pt.memoryMb;
    out.urls.peertube = pt.url;
    out.admins.peertube = pt.adminUser;
    out.secrets.peertubeAdminPassword = pt.adminPassword;
    out.peertubeHostname = pt.hostname;
  }

  if (s.peertube?.shared) {
    if (!ctx.sharedPeertube)
      throw new Error(`socle:tenants: ${t.slug} asks for the shared PeerTube, which is not configured`);
    const ch = new PeerTubeChannel(`${t.slug}-peertube-channel`, {
      tenant: t.slug,
      name: t.name,
      email: `admin@${t.domain}`,
      instance: ctx.sharedPeertube.instance,
      platform: ctx.sharedPeertube.platform,
    });
    out.urls.peertube = ch.url;
    out.admins.peertube = ch.username;
    out.secrets.peertubePassword = ch.password;
  }

  for (const site of s.wordpress?.sites ?? []) {
    const wp = new WordPressSite(`${t.slug}-assos-${site.slug}`, {
      tenant: t.slug,
      site: site.slug,
      title: site.title,
      admin: site.admin,
      domain: site.subdomain ? sub(site.subdomain, t.domain) : wordpressSiteDomain(site.slug, t.domain),
      platform,
      realm,
      ...(t.versions.wordpress ? { version: t.versions.wordpress } : {}),
    });
    routes.push(...wp.routes);
    memoryMb += wp.memoryMb;
    out.urls[`wordpress-${site.slug}`] = wp.url;
    out.admins[`wordpress-${site.slug}`] = site.admin;
  }
  const unnamed = routes.filter((r) => !names.includes(r.host)).map((r) => r.host);
  if (unnamed.length > 0)
    throw new Error(`tenant ${t.slug}: routes outside its public names: ${unnamed.join(", ")}`);
  return { routes, outputs: out, memoryMb };
}

function hostPort(value: string) {
  const i = value.lastIndexOf(":");
  const port = Number(value.slice(i + 1));
  // Implicit TLS on the submissions and IMAPS ports, STARTTLS elsewhere.
  return {
    host: value.slice(0, i),
    port,
    tls: port === 465 || port === 993 ? ("tls" as const) : ("starttls" as const),
  };
}
