/**
 * The name patterns shared by the components and templates (one definition, so
 * every check accepts and refuses the same names).
 */

/** A host name (FQDN): at least two RFC 1123 labels (1 to 63 of a-z, 0-9, -), 253 at most. */
export const HOST_RE =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** A tenant or site slug: a-z, 0-9 and -, not starting or ending with -. */
export const SLUG_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
