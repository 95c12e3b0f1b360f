#!/usr/bin/env bash
# tests/fuzz/run.sh - build Convene's libFuzzer targets with clang (ASan +
# UBSan + libFuzzer) and run each for a bounded time. See tests/fuzz/README.md.
#
#   tests/fuzz/run.sh                      every target, 20 s each
#   tests/fuzz/run.sh --seconds 600 csv    one target, ten minutes
#   tests/fuzz/run.sh --build-only         compile only
#   tests/fuzz/run.sh --list               print the target names
#
# Each target is compiled on its own from the few src/ files it needs, so the
# fuzz build is independent of the gcc build. Inputs libFuzzer finds
# interesting go to $FUZZ_BUILD_DIR/corpus/<target>/ (not the repository);
# the seeds in tests/fuzz/corpus/<target>/ and any saved crash inputs in
# tests/fuzz/crashes/<target>/ are replayed first. A crash or a broken
# property leaves the input in $FUZZ_BUILD_DIR/artifacts/ and the log in
# $FUZZ_BUILD_DIR/logs/, and makes the script exit 1. One summary line per
# target: executions and time.
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz at the repository root),
# CC (default clang).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cc=${CC_FUZZ:-clang}
seconds=20
build_only=0

# target: the src/ files it links, then the libraries (pkg-config names or -l).
declare -A SOURCES=(
    [csv]="src/base/util.c src/formats/csv.c"
    [ics]="src/base/util.c src/formats/ics.c"
    [mailfmt]="src/base/util.c src/mail/mailfmt.c"
    [tmpl]="src/base/util.c src/mail/tmpl.c"
    [router]="src/base/util.c src/http/router.c"
    [datelabel]="src/formats/datelabel.c"
    [path_query]="src/base/util.c src/http/router.c src/api/api.c tests/fuzz/fake_http.c"
    [json_body]="src/base/util.c src/api/api.c tests/fuzz/fake_http.c"
    [multipart]="src/base/util.c src/formats/attachment.c"
    [multipart_form]="src/base/util.c src/base/log.c src/base/metrics.c src/http/router.c src/http/http.c"
)
declare -A LIBS=(
    [csv]=""
    [ics]=""
    [mailfmt]="libsodium"
    [tmpl]="jansson"
    [router]=""
    [datelabel]=""
    [path_query]="jansson -lcivetweb"
    [json_body]="jansson"
    [multipart]=""
    [multipart_form]="jansson -lcivetweb"
)
ALL=(csv ics mailfmt tmpl router datelabel path_query json_body multipart multipart_form)

usage() {
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

targets=()
while (($#)); do
    case $1 in
        --seconds)
            seconds=${2:?--seconds needs a number}
            shift
            ;;
        --seconds=*) seconds=${1#*=} ;;
        --build-only) build_only=1 ;;
        --list)
            printf '%s\n' "${ALL[@]}"
            exit 0
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            usage >&2
            exit 2
            ;;
        *)
            [[ -n ${SOURCES[$1]:-} ]] || {
                echo "unknown fuzz target: $1 (try --list)" >&2
                exit 2
            }
            targets+=("$1")
            ;;
    esac
    shift
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || {
    echo "--seconds wants a positive whole number" >&2
    exit 2
}
((${#targets[@]})) || targets=("${ALL[@]}")

command -v "$cc" >/dev/null || {
    echo "fuzz: $cc not found (deploy/deps.sh --test installs clang)" >&2
    exit 1
}
mkdir -p "$build/bin" "$build/corpus" "$build/artifacts" "$build/logs"

cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
    -Wno-missing-field-initializers -Wno-format-nonliteral
    -I "$root/src" -I "$here" -I "$build/gen")

# The real route table for the router targets, from the features' route
# tables in src/ ({"METHOD", "/pattern", handler} entries, all literals).
mkdir -p "$build/gen"
grep -rhoE '\{"[A-Z]+", "/[^"]*", [a-z_]+\}' "$root/src" |
    sed -E 's/.*"([A-Z]+)", "([^"]+)".*/    {"\1", "\2"},/' >"$build/gen/routes.inc.new"
if ! cmp -s "$build/gen/routes.inc.new" "$build/gen/routes.inc"; then
    mv "$build/gen/routes.inc.new" "$build/gen/routes.inc"
else
    rm -f "$build/gen/routes.inc.new"
fi

# Compiles target $1 unless its binary is newer than every file it is made of.
build_target() {
    local t=$1 bin="$build/bin/fuzz_$1" libs=() pkgs=() src=("$here/fuzz_$1.c") f
    for f in ${SOURCES[$t]}; do src+=("$root/$f"); done
    for f in ${LIBS[$t]}; do
        if [[ $f == -* ]]; then libs+=("$f"); else pkgs+=("$f"); fi
    done
    local stale=0
    if [[ ! -x $bin || $here/fuzz.h -nt $bin || $here/run.sh -nt $bin ]]; then
        stale=1
    else
        for f in "${src[@]}" "$root"/src/*/*.h "$here"/*.h "$build/gen/routes.inc"; do
            [[ $f -nt $bin ]] && stale=1 && break
        done
    fi
    ((stale)) || return 0
    local pc_cflags=() pc_libs=()
    if ((${#pkgs[@]})); then
        read -r -a pc_cflags <<<"$(pkg-config --cflags "${pkgs[@]}")"
        read -r -a pc_libs <<<"$(pkg-config --libs "${pkgs[@]}")"
    fi
    "$cc" "${cflags[@]}" "${pc_cflags[@]}" "${src[@]}" -o "$bin" "${pc_libs[@]}" "${libs[@]}"
}

failed=()
for t in "${targets[@]}"; do
    if ! build_target "$t"; then
        echo "fuzz $t: BUILD FAILED"
        failed+=("$t")
    fi
done
if ((build_only)) || ((${#failed[@]})); then
    ((${#failed[@]} == 0))
    exit $?
fi

export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${FUZZ_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in "${targets[@]}"; do
    work="$build/corpus/$t"
    log="$build/logs/$t.log"
    mkdir -p "$work"
    dirs=("$work")
    [[ -d $here/corpus/$t ]] && dirs+=("$here/corpus/$t")
    [[ -d $here/crashes/$t ]] && dirs+=("$here/crashes/$t")
    opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-")
    [[ -f $here/dict/$t.dict ]] && opts+=(-dict="$here/dict/$t.dict")
    start=$(date +%s)
    rc=0
    "$build/bin/fuzz_$t" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
    took=$(($(date +%s) - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    corpus=$(find "$work" -type f | wc -l)
    if ((rc == 0)); then
        printf 'fuzz %-10s ok      %10s executions in %3d s (corpus %d inputs)\n' \
            "$t" "${runs:-?}" "$took" "$corpus"
    else
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        printf 'fuzz %-10s FAILED  %10s executions in %3d s; input: %s; log: %s\n' \
            "$t" "${runs:-?}" "$took" "${artifact:-none}" "$log"
        {
            grep -E 'FUZZ PROPERTY FAILED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" | head -n 3 || true
            grep -E "^ +#[0-9]+ .* in .*$root/(src|tests)/" "$log" | head -n 6 || true
            [[ -n $artifact ]] || tail -n 5 "$log"
        } | sed 's/^/    /'
        failed+=("$t")
    fi
done

if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets ok (${seconds} s each)"
