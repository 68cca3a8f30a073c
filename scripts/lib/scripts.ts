/**
 * The shell scripts helper containers run (POSIX sh; they work with the
 * official restic image's busybox and with Debian's coreutils).
 */

/**
 * The sha256 command for a list of files (argv): OpenSSL's when the image has
 * it (SHA-NI: ≈5× faster than coreutils' sha256sum on this CI machine, which
 * matters because the checksum pass competes with restic for the cores),
 * else sha256sum (busybox or coreutils). Both print "<64 hex><2 chars><path>"
 * (`openssl dgst -r`: "<hex> *<path>", never escaped), so the path starts at
 * column 67 either way. Sets `$sha` (used unquoted: it is a command + flags).
 */
export const SHA_COMMAND = `if command -v openssl >/dev/null 2>&1; then sha="openssl dgst -sha256 -r"; else sha="sha256sum"; fi`;

/**
 * Volume backup: `restic backup` (args `$2…`) in the background while the
 * files are checksummed. sha256 is only recomputed for files whose
 * inode:size:mtime:ctime changed since the last run (cache file `$1`, in the
 * restic cache volume), so an incremental run reads only what changed. After
 * restic's JSON lines: a `--socle-sums--` line, then "<sha256> <size> <path>"
 * for every file, then (restic succeeded) `--socle-sums-end--`.
 */
export const VOLUME_BACKUP_SCRIPT = `set -u
cache="$1"; shift
mkdir -p "\${cache%/*}"; touch "$cache"
restic "$@" &
rpid=$!
herr=0
: >/tmp/hit; : >/tmp/miss; : >/tmp/hashed
${SHA_COMMAND}
find /volumes -type f -exec stat -c '%i:%s:%Y:%Z %s %n' {} + >/tmp/now || herr=1
awk -v hit=/tmp/hit -v miss=/tmp/miss '
  FILENAME == ARGV[1] { p = substr($0, length($1) + length($2) + length($3) + 4); c[p] = $1 " " $2; next }
  { p = substr($0, length($1) + length($2) + 3)
    if ((p in c) && index(c[p], $1 " ") == 1) { split(c[p], a, " "); print $1 " " a[2] " " $2 " " p > hit }
    else print $1 " " $2 " " p > miss }' "$cache" /tmp/now || herr=1
# shellcheck disable=SC2086
cut -d' ' -f3- /tmp/miss | tr '\\n' '\\0' | xargs -0 -r $sha >/tmp/hashed || herr=1
awk 'FILENAME == ARGV[1] { m[FNR] = $1; s[FNR] = $2; next }
  { print m[FNR] " " substr($0, 1, 64) " " s[FNR] " " substr($0, 67) }' /tmp/miss /tmp/hashed >/tmp/new || herr=1
cat /tmp/hit /tmp/new >"$cache.tmp" && mv "$cache.tmp" "$cache"
wait "$rpid"; rc=$?
echo "--socle-sums--"
cut -d' ' -f2- "$cache"
if [ "$herr" != 0 ]; then echo "socle: the checksum pass failed" >&2; exit 1; fi
[ "$rc" = 0 ] || exit "$rc"
echo "--socle-sums-end--"
# The same helper then writes the manifest (one container and one repository
# opening less): restic's args on stdin one a line, an empty line, then the
# manifest itself. Stdin closed without args (a step failed): no manifest.
set --
while IFS= read -r a && [ -n "$a" ]; do set -- "$@" "$a"; done
[ "$#" -gt 0 ] || exit 0
exec restic "$@"`;

export const SUMS_MARKER = "--socle-sums--";
export const SUMS_END_MARKER = "--socle-sums-end--";

/** Checksums of every file under /volumes: "<sha256> <size> <path>" lines. */
export const SUMS_SCRIPT = `set -eu
${SHA_COMMAND}
find /volumes -type f >/tmp/list
tr '\\n' '\\0' </tmp/list | xargs -0 -r stat -c '%s' >/tmp/sizes
# shellcheck disable=SC2086
tr '\\n' '\\0' </tmp/list | xargs -0 -r $sha | cut -c1-64 >/tmp/shas
paste -d' ' /tmp/shas /tmp/sizes /tmp/list`;

/**
 * The volume names of a restore (\`$@\`) one by one, never word-split: each
 * must be a plain Docker volume name (the label contract's grammar, checked
 * again here), else exit 2 before anything is touched. Then \`$@\` becomes
 * restic's \`--include /volumes/<name>\` pairs.
 */
const VOLUME_ARGS = `for v in "$@"; do
  case "$v" in
    '' | [!A-Za-z0-9]* | *[!A-Za-z0-9_.-]*) echo "socle: refusing volume name '$v'" >&2; exit 2 ;;
  esac
done`;
const INCLUDE_ARGS = `for v in "$@"; do set -- "$@" --include "/volumes/$v"; shift; done`;

/**
 * Restore volumes in place: empty each mounted /volumes/<name> (\`$1\` = snapshot,
 * \`$2…\` = volume names), then restore them from the snapshot.
 */
export const VOLUME_RESTORE_SCRIPT = `set -eu
snap="$1"; shift
${VOLUME_ARGS}
for v in "$@"; do find "/volumes/$v" -mindepth 1 -delete; done
${INCLUDE_ARGS}
exec restic restore --target / "$@" -- "$snap"`;

/** HTTP health probe from inside a container's network namespace (`$1` = URL). */
export const HTTP_PROBE_SCRIPT = `exec wget -q -O /dev/null -T 5 "$1"`;

/** Drill: restore a snapshot into scratch volumes mounted at /volumes/<name> (`$1` = snapshot, `$2…` = names), then checksum. */
export const DRILL_VOLUMES_SCRIPT = `set -eu
snap="$1"; shift
${VOLUME_ARGS}
${INCLUDE_ARGS}
restic restore --target / "$@" -- "$snap" >&2
${SUMS_SCRIPT.replace("set -eu\n", "")}`;

/** export-site: the site's wp-content as a tar stream (volume mounted at /site). */
export const WP_CONTENT_TAR_SCRIPT = `set -eu
test -d /site/wp-content || { echo "no wp-content directory in the site volume" >&2; exit 3; }
exec tar -cf - -C /site wp-content`;
