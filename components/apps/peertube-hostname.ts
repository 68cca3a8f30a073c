/**
 * PeerTube's immutable hostname (pure): the guard the component applies to
 * the hostname its stack exported last time (components/apps/peertube.ts).
 */

/**
 * The hostname guard: PeerTube writes its host name into every actor,
 * video and federation URL, in the database and on remote instances. A new
 * one would break them all, so it is refused. Pure; exact message.
 */
export function checkPeertubeHostname(
  tenant: string,
  hostname: string,
  previous: string | undefined | null,
): void {
  if (previous === undefined || previous === null || previous === "" || previous === hostname) return;
  throw new Error(
    `PeerTube ${tenant}: the hostname cannot change ("${previous}" → "${hostname}"). ` +
      `PeerTube keeps it in every federated URL and in its database. ` +
      `Set the domain back to "${previous}", or deploy a new instance and move the videos by hand.`,
  );
}
