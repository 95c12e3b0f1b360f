#!/usr/bin/env bash
# deps.sh - install the Debian packages needed to build, run and test Convene.
#
# Checks with dpkg-query which packages are missing; when nothing is missing it
# does nothing at all (no apt-get update). Otherwise it runs `apt-get update`
# and `apt-get install -y --no-install-recommends` for the missing packages
# only, non-interactively, via sudo when not running as root.
set -euo pipefail

# Packages needed to build and run Convene.
BASE_PACKAGES=(
    build-essential
    cmake
    pkg-config
    libcivetweb-dev
    # CivetWeb's CMake config (from libcivetweb-dev) also references the
    # stand-alone server binary, so find_package fails without this one.
    civetweb
    libpq-dev
    postgresql
    postgresql-contrib
    libsodium-dev
    libcurl4-openssl-dev
    libjansson-dev
    check
    curl
    ca-certificates
    python3
    python3-aiosmtpd
    # Certificates of attendance (src/formats/certificate.c): cairo for the
    # PDF, pango for the text, libqrencode for the QR code, librsvg for SVG
    # logos, and the fonts for every script a name may be written in.
    libcairo2-dev
    libpango1.0-dev
    libqrencode-dev
    librsvg2-dev
    fonts-noto-core
    fonts-noto-cjk
)

# Extra packages for tests, linting, benchmarks and browser tests (--test).
TEST_PACKAGES=(
    wrk
    clang-format
    clang-tidy
    cppcheck
    # Fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes
    # (libclang-rt-14-dev ships libclang_rt.fuzzer), llvm for llvm-symbolizer.
    clang
    libclang-rt-14-dev
    llvm
    python3-icalendar
    # A bounded SQL-injection scan of the running server (tests/security/).
    sqlmap
    # tests/spec/check_responses.py: the spec is YAML, its schemas JSON Schema.
    python3-yaml
    python3-jsonschema
    # tests/deploy/check.sh: nginx -t on deploy/nginx.conf with a throwaway
    # certificate (systemd-analyze comes with systemd, promtool is unpacked
    # by tests/tools/promtool.sh). On a machine booted with systemd, Debian
    # starts nginx's default site on port 80; `systemctl disable --now nginx`
    # if that is unwanted.
    nginx-light
    openssl
    # tests/nodes/run.sh counts connections with ss (nginx-light, wrk and
    # PostgreSQL's pg_basebackup come with the packages above).
    iproute2
    # Coverage summary (tests/run.sh) and the load run (tests/load.sh).
    gcovr
    stress-ng
    # The browser tests run on Debian 12's Node.js 18 (or newer): the
    # playwright-core pinned in tests/e2e/package.json supports Node >= 18.
    nodejs
    npm
    chromium
    # Fonts for the names the browser tests show (Thai, Devanagari, Hangul);
    # without them screenshots show empty boxes and text widths are wrong.
    fonts-tlwg-loma
    fonts-lohit-deva
    fonts-wqy-microhei
    # Certificates read back (tests/tools/check_certificate_pdf.sh): the
    # text (pdftotext), the page as an image (pdftoppm), the QR code (zbarimg).
    poppler-utils
    zbar-tools
)

PROG=${0##*/}

usage() {
    cat <<EOF
Usage: $PROG [--test] [--dry-run] [--help]

Install the Debian packages Convene needs (idempotent; a no-op when all are
already installed).

  --test      also install the test/lint/benchmark tools:
              ${TEST_PACKAGES[*]}
  --dry-run   only print which packages are missing and the commands that
              would be run; change nothing
  -h, --help  show this help

Base packages: ${BASE_PACKAGES[*]}

A package counts as present when it is installed or when an installed
package Provides it (e.g. NodeSource's nodejs provides npm).
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

with_test=0
dry_run=0
while (($#)); do
    case $1 in
        --test) with_test=1 ;;
        --dry-run | -n) dry_run=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "unknown argument: $1"
            ;;
    esac
    shift
done

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found; this script supports Debian/Ubuntu only"

wanted=("${BASE_PACKAGES[@]}")
if ((with_test)); then
    wanted+=("${TEST_PACKAGES[@]}")
fi

# Collect every installed package name plus every virtual name provided by an
# installed package. One dpkg-query call; status "?i " means unpacked and
# configured without errors (ii = install ok installed, hi = held).
declare -A present=()
while IFS='|' read -r status pkg provides; do
    [[ ${status:1:2} == "i " ]] || continue
    present[$pkg]=1
    # Provides looks like "foo, bar (= 1.2), baz:any".
    IFS=',' read -r -a provided <<<"$provides"
    for p in "${provided[@]}"; do
        p=${p#"${p%%[![:space:]]*}"} # trim leading blanks
        p=${p%% *}                   # drop version constraint
        p=${p%%:*}                   # drop architecture qualifier
        if [[ -n $p ]]; then
            present[$p]=1
        fi
    done
done < <(dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}\n' 2>/dev/null || true)

missing=()
for pkg in "${wanted[@]}"; do
    [[ -n ${present[$pkg]:-} ]] || missing+=("$pkg")
done

# The browser tests need Node.js 18 or newer (Debian 12 ships 18). An older
# node from elsewhere (nvm, /usr/local) earlier on PATH would fail in odd
# ways: say so clearly.
MIN_NODE_MAJOR=18
check_node() {
    ((with_test)) || return 0
    local v
    v=$(node --version 2>/dev/null) || {
        echo "$PROG: warning: no node on PATH after installing nodejs" >&2
        return 0
    }
    v=${v#v}
    if ((${v%%.*} < MIN_NODE_MAJOR)); then
        die "node $v on PATH ($(command -v node)) is older than $MIN_NODE_MAJOR; the browser tests need Debian 12's nodejs (18) or newer"
    fi
}

if ((${#missing[@]} == 0)); then
    echo "$PROG: all ${#wanted[@]} packages already installed; nothing to do."
    check_node
    exit 0
fi

echo "$PROG: missing packages: ${missing[*]}"

sudo_cmd=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    elif ((!dry_run)); then
        die "not running as root and sudo is not available; re-run as root to install: ${missing[*]}"
    else
        sudo_cmd=(sudo) # only printed
    fi
fi

apt_env=(env DEBIAN_FRONTEND=noninteractive)
apt_opts=(
    -o DPkg::Lock::Timeout=300
    -o Dpkg::Options::=--force-confdef
    -o Dpkg::Options::=--force-confold
)
update_cmd=("${sudo_cmd[@]}" "${apt_env[@]}" apt-get "${apt_opts[@]}" update)
install_cmd=("${sudo_cmd[@]}" "${apt_env[@]}" apt-get "${apt_opts[@]}"
    install -y --no-install-recommends "${missing[@]}")

if ((dry_run)); then
    echo "$PROG: dry run; would run:"
    printf '  %s\n' "${update_cmd[*]}" "${install_cmd[*]}"
    exit 0
fi

"${update_cmd[@]}"
"${install_cmd[@]}"
echo "$PROG: installed: ${missing[*]}"
check_node
