#!/usr/bin/env bash
# build_python_twins.sh - CPython "twins" from Debian 13 (trixie)'s python3.13 source package:
# one free-threaded build (--disable-gil) and one GIL build, with otherwise identical configure
# flags, so that single-thread costs and threading behaviour can be compared on the same sources.
#
# usage: build_python_twins.sh [--cache DIR] [--jobs N] [--refresh]
#   --cache DIR  where sources and installs live
#                (default: ${XDG_CACHE_HOME:-$HOME/.cache}/showdown/python)
#   --jobs N     parallel make jobs (default: nproc)
#   --refresh    ask the Debian archive again for trixie's current python3.13 source
#                (otherwise the last downloaded one is reused, so a cached run needs no network)
#
# Layout of the cache:
#   apt/                                 private apt state (the system's apt setup is never touched)
#   src/<debian version>/                the downloaded source package (.dsc, orig and debian tarballs)
#   src/current                          which of those the next run builds
#   <upstream>-<sha256[:12]>-<flags[:12]>/{gil,nogil}/
#                                        one install prefix per twin; complete iff it has build.json
#
# Environment: SHOWDOWN_DEBIAN_MIRROR=URL overrides the archive derived from the system's apt sources.
set -euo pipefail

PROG=build_python_twins
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/showdown/python"
JOBS=""
REFRESH=0
SUITE=trixie
SRC_PACKAGE=python3.13

# No PGO/LTO: they roughly triple the build time and would make the twins differ by profile runs.
# Only --disable-gil may differ between the twins; anything added here changes the cache key of both.
COMMON_FLAGS=()
GIL_FLAGS=()
NOGIL_FLAGS=(--disable-gil)

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() { sed -n '6,11s/^# \{0,1\}//p' "$0"; }

while (($#)); do
    case "$1" in
        --cache) [[ $# -ge 2 ]] || die "--cache needs a directory"; CACHE="$2"; shift 2 ;;
        --cache=*) CACHE="${1#*=}"; shift ;;
        --jobs) [[ $# -ge 2 ]] || die "--jobs needs a number"; JOBS="$2"; shift 2 ;;
        --jobs=*) JOBS="${1#*=}"; shift ;;
        --refresh) REFRESH=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -n "$JOBS" ]] || JOBS="$(nproc)"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive integer, got '$JOBS'"

for tool in apt-get tar xz make cc sha256sum flock; do
    command -v "$tool" >/dev/null || die "'$tool' not found; it is needed to fetch and build CPython"
done

mkdir -p "$CACHE" || die "cannot create the cache directory $CACHE"
CACHE="$(cd "$CACHE" && pwd)"  # configure wants an absolute --prefix

# Temporary directories are removed on any exit, so a failure never leaves a half-built prefix
# behind; only the rename at the very end of a build makes a prefix visible.
TMP_DIRS=()
cleanup() { local d; for d in "${TMP_DIRS[@]}"; do [[ -n "$d" ]] && rm -rf -- "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two runs at once (CI beside a person) would race on the same prefixes and apt state.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
    say "another build holds $CACHE/.lock; waiting for it"
    flock 9
fi

# fail_with_log LOG MESSAGE: show where it broke; the log of a failed build is kept for reading.
fail_with_log() {
    local log="$1"; shift
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    if [[ -s "$log" ]]; then
        printf '%s: last lines of %s:\n' "$PROG" "$log" >&2
        tail -n 25 "$log" | sed 's/^/    /' >&2
    fi
    exit 1
}

# The archive host is taken from the system's own apt sources (a mirror or proxy may be the only
# way out of this network); the trixie line only adds a suite on the same host.
debian_mirror() {
    if [[ -n "${SHOWDOWN_DEBIAN_MIRROR:-}" ]]; then
        printf '%s\n' "${SHOWDOWN_DEBIAN_MIRROR%/}"
        return
    fi
    local files=() f
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] && files+=("$f")
    done
    ((${#files[@]})) || return 1
    # One-line format: "deb [options] URI suite components"; deb822: "URIs: URI ..." inside a
    # stanza that may say "Enabled: no". Keep URIs whose path ends in /debian (not debian-security).
    awk '
        function keep(uri) {
            if (found) return
            sub(/\/+$/, "", uri)
            if (uri ~ /^[a-z+]+:\/\/.*\/debian$/) { print uri; found = 1 }
        }
        function flush(   i) { if (enabled) for (i = 1; i <= n; i++) keep(uris[i]); enabled = 1; n = 0 }
        FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
        deb822 && /^[ \t]*$/ { flush(); next }
        deb822 {
            if (tolower($1) == "enabled:" && tolower($2) == "no") enabled = 0
            if (tolower($1) == "uris:") for (i = 2; i <= NF; i++) uris[++n] = $i
            next
        }
        /^[ \t]*deb(-src)?[ \t]/ {
            line = $0; sub(/^[ \t]*deb(-src)?[ \t]+/, "", line); sub(/^\[[^]]*\][ \t]*/, "", line)
            split(line, w, /[ \t]+/); keep(w[1])
        }
        END { flush(); exit !found }
    ' "${files[@]}"
}

# Downloads trixie's current python3.13 source package into src/<debian version>/. The revision is
# not pinned: superseded revisions disappear from the archive, so a pinned one would break later.
fetch_source() {
    local apt_dir="$CACHE/apt" log="$CACHE/apt/apt.log" mirror
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$CACHE/src"
    mirror="$(debian_mirror)" || die "no Debian archive (a URI ending in /debian) found in /etc/apt/sources.list(.d); set SHOWDOWN_DEBIAN_MIRROR=http://HOST/debian"
    printf 'deb-src %s %s main\n' "$mirror" "$SUITE" >"$apt_dir/sources.list"
    local apt=(apt-get -q
        -o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
        -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache")
    say "asking $mirror ($SUITE) for the current $SRC_PACKAGE source package"
    "${apt[@]}" update --error-on=any >"$log" 2>&1 || fail_with_log "$log" "apt-get update of the private $SUITE deb-src list failed"
    local dl
    dl="$(mktemp -d "$CACHE/src/.download.XXXXXX")"; TMP_DIRS+=("$dl")
    (cd "$dl" && "${apt[@]}" source --download-only "$SRC_PACKAGE") >>"$log" 2>&1 \
        || fail_with_log "$log" "apt-get source --download-only $SRC_PACKAGE failed"
    local dsc version
    dsc="$(compgen -G "$dl/${SRC_PACKAGE}_*.dsc" | head -n 1)" || true
    [[ -n "$dsc" ]] || fail_with_log "$log" "apt-get source downloaded no .dsc for $SRC_PACKAGE"
    version="$(sed -n 's/^Version: *//p' "$dsc" | head -n 1)"
    [[ -n "$version" ]] || die "no Version: field in $dsc"
    compgen -G "$dl/${SRC_PACKAGE}_*.orig.tar.*" >/dev/null || die "no upstream (.orig) tarball in $SRC_PACKAGE $version"
    printf '%s\n' "$mirror" >"$dl/archive"
    if [[ -d "$CACHE/src/$version" ]]; then
        say "source $SRC_PACKAGE $version already in the cache"
    else
        mv -- "$dl" "$CACHE/src/$version"
        say "downloaded $SRC_PACKAGE $version"
    fi
    printf '%s\n' "$version" >"$CACHE/src/current.new" && mv -- "$CACHE/src/current.new" "$CACHE/src/current"
}

if ((REFRESH)) || [[ ! -s "$CACHE/src/current" ]] || [[ ! -d "$CACHE/src/$(cat "$CACHE/src/current")" ]]; then
    fetch_source
fi
DEB_VERSION="$(cat "$CACHE/src/current")"
SRC_DIR="$CACHE/src/$DEB_VERSION"
TARBALL="$(compgen -G "$SRC_DIR/${SRC_PACKAGE}_*.orig.tar.*" | head -n 1)" || true
[[ -n "$TARBALL" ]] || die "no .orig tarball in $SRC_DIR; rerun with --refresh"
ARCHIVE="$(cat "$SRC_DIR/archive" 2>/dev/null || echo unknown)"
UPSTREAM_VERSION="$(basename "$TARBALL")"
UPSTREAM_VERSION="${UPSTREAM_VERSION#"${SRC_PACKAGE}_"}"
UPSTREAM_VERSION="${UPSTREAM_VERSION%%.orig.tar.*}"

# Keyed by content, not by Debian revision: a new revision with the same upstream tarball and the
# same flags reuses the builds; any change to the tarball or to either twin's flags builds anew.
TARBALL_SHA256="$(sha256sum -- "$TARBALL" | cut -d' ' -f1)"
FLAGS_SPEC="$(printf 'common:%s\ngil:%s\nnogil:%s\n' "${COMMON_FLAGS[*]-}" "${GIL_FLAGS[*]-}" "${NOGIL_FLAGS[*]-}")"
FLAGS_HASH="$(printf '%s' "$FLAGS_SPEC" | sha256sum | cut -c1-12)"
KEY_DIR="$CACHE/${UPSTREAM_VERSION}-${TARBALL_SHA256:0:12}-${FLAGS_HASH}"
mkdir -p "$KEY_DIR"

# Reads what the built interpreter says about itself; PYTHON_GIL is dropped because it would
# override the build's default and make a GIL-off answer prove nothing.
describe() {
    env -u PYTHON_GIL "$1" -I -c '
import platform, sys, sysconfig
gil = sys._is_gil_enabled()
flag = sysconfig.get_config_var("Py_GIL_DISABLED")
state = "on" if gil else "off"
print(f"Python {platform.python_version()}, Py_GIL_DISABLED={flag}, sys._is_gil_enabled()={gil}: GIL {state}")'
}

# build_twin NAME FLAGS...: configure/make/altinstall into a staging root, check, then rename the
# finished prefix into place. The prefix given to configure is the final one (it is baked into
# sysconfig and script shebangs); DESTDIR stages the install so nothing lands there half-done.
build_twin() {
    local name="$1"; shift
    local flags=("${COMMON_FLAGS[@]}" "$@")
    local prefix="$KEY_DIR/$name" gil_expected
    if [[ "$name" == gil ]]; then gil_expected=True; else gil_expected=False; fi
    local binary_name=python3.13
    [[ "$gil_expected" == False ]] && binary_name=python3.13t  # the name that says what it is

    if [[ -f "$prefix/build.json" && -x "$prefix/bin/$binary_name" ]]; then
        say "$name: cached at $prefix"
        return
    fi
    # A prefix without build.json did not come from a finished run (e.g. removed by hand): rebuild.
    [[ -e "$prefix" ]] && { say "$name: incomplete $prefix; rebuilding"; rm -rf -- "$prefix"; }

    local work log start
    work="$(mktemp -d "$KEY_DIR/.build-$name.XXXXXX")"; TMP_DIRS+=("$work")
    log="$work/build.log"
    start="$(date +%s.%N)"
    say "$name: building $UPSTREAM_VERSION with ${flags[*]-no extra flags} (make -j$JOBS; log $log)"
    tar -xf "$TARBALL" -C "$work" || die "cannot unpack $TARBALL"
    local src
    src="$(compgen -G "$work/Python-*" | head -n 1)" || true
    [[ -d "$src" ]] || die "unexpected layout in $TARBALL (no Python-* directory)"

    local kept_log="$KEY_DIR/$name.failed.log"
    (cd "$src" && ./configure --prefix="$prefix" "${flags[@]}") >"$log" 2>&1 \
        || { cp -- "$log" "$kept_log"; fail_with_log "$kept_log" "$name: configure failed (log kept at $kept_log)"; }
    say "$name: configured; compiling"
    make -C "$src" -j"$JOBS" >>"$log" 2>&1 \
        || { cp -- "$log" "$kept_log"; fail_with_log "$kept_log" "$name: make failed (log kept at $kept_log)"; }
    # altinstall: no unversioned python3/pip3 names that could shadow the system's.
    make -C "$src" altinstall DESTDIR="$work/stage" >>"$log" 2>&1 \
        || { cp -- "$log" "$kept_log"; fail_with_log "$kept_log" "$name: make altinstall failed (log kept at $kept_log)"; }
    local seconds
    seconds="$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')"

    local staged="$work/stage$prefix"
    [[ -x "$staged/bin/$binary_name" ]] || die "$name: make altinstall produced no bin/$binary_name"
    # The staged binary finds its standard library relative to itself, so it can check itself
    # and write its own record before it is moved into place.
    env -u PYTHON_GIL \
        BJ_DEB_VERSION="$DEB_VERSION" BJ_UPSTREAM="$UPSTREAM_VERSION" BJ_SHA256="$TARBALL_SHA256" \
        BJ_TARBALL="$(basename "$TARBALL")" BJ_ARCHIVE="$ARCHIVE" BJ_SUITE="$SUITE" BJ_PACKAGE="$SRC_PACKAGE" \
        BJ_FLAGS="$(printf '%s\n' --prefix="$prefix" "${flags[@]}")" BJ_FLAGS_HASH="$FLAGS_HASH" \
        BJ_GIL="$gil_expected" BJ_SECONDS="$seconds" BJ_JOBS="$JOBS" BJ_BINARY="$prefix/bin/$binary_name" \
        BJ_OUT="$staged/build.json" \
        "$staged/bin/$binary_name" -I -c '
import datetime, json, os, platform, sys, sysconfig
e = os.environ
gil = sys._is_gil_enabled()
disabled = sysconfig.get_config_var("Py_GIL_DISABLED")
want_gil = e["BJ_GIL"] == "True"
kind = "GIL" if want_gil else "free-threaded"
if gil != want_gil or bool(disabled) == want_gil:
    sys.exit(f"built binary reports sys._is_gil_enabled()={gil}, Py_GIL_DISABLED={disabled}; "
             f"expected a {kind} build")
upstream = e["BJ_UPSTREAM"]
if platform.python_version() != upstream:
    sys.exit(f"built binary is {platform.python_version()}, the tarball says {upstream}")
record = {
    "source_package": e["BJ_PACKAGE"],
    "source_version": e["BJ_DEB_VERSION"],
    "suite": e["BJ_SUITE"],
    "archive": e["BJ_ARCHIVE"],
    "upstream_version": e["BJ_UPSTREAM"],
    "tarball": e["BJ_TARBALL"],
    "tarball_sha256": e["BJ_SHA256"],
    "configure_flags": e["BJ_FLAGS"].splitlines(),
    "flags_hash": e["BJ_FLAGS_HASH"],
    "debian_patches_applied": False,
    "gil": want_gil,
    "build_seconds": float(e["BJ_SECONDS"]),
    "make_jobs": int(e["BJ_JOBS"]),
    "binary": e["BJ_BINARY"],
    "sys_is_gil_enabled": gil,
    "Py_GIL_DISABLED": disabled,
    "sys_version": sys.version,
    "compiler": platform.python_compiler(),
    "machine": platform.machine(),
    "built_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
}
with open(e["BJ_OUT"], "w") as f:
    json.dump(record, f, indent=2)
    f.write("\n")
' >>"$log" 2>&1 || { cp -- "$log" "$kept_log"; fail_with_log "$kept_log" "$name: the built binary failed its check (log kept at $kept_log)"; }
    cp -- "$log" "$staged/build.log"

    # The rename is the commit point: the prefix appears complete, build.json included, or not at all.
    mv -T -- "$staged" "$prefix"
    rm -f -- "$kept_log"
    say "$name: built in ${seconds} s -> $prefix"
}

say "source $SRC_PACKAGE $DEB_VERSION (upstream $UPSTREAM_VERSION, sha256 ${TARBALL_SHA256:0:12}...) -> $KEY_DIR"
build_twin gil "${GIL_FLAGS[@]}"
build_twin nogil "${NOGIL_FLAGS[@]}"

# The result, on stdout: each binary and what it says about its GIL.
for twin in gil nogil; do
    binary="$KEY_DIR/$twin/bin/python3.13"
    [[ "$twin" == nogil ]] && binary="$KEY_DIR/$twin/bin/python3.13t"
    report="$(describe "$binary")" || die "$twin: $binary does not run"
    printf '%-5s  %s\n       %s\n' "$twin" "$binary" "$report"
done
