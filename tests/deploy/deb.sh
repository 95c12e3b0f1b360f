#!/usr/bin/env bash
# tests/deploy/deb.sh - builds the Debian package and, as root, installs,
# runs and removes it; prints each check with PASS, FAIL or SKIP:
#
#   build      a Release build in build-deb/ (-DCMAKE_INSTALL_PREFIX=/usr,
#              no tests) and `cpack -G DEB` (cmake/Packaging.cmake)
#   metadata   the package's Depends name the libraries issue 13 lists, and
#              its contents hold the FHS layout (dpkg-deb, no root needed)
#   install    apt-get install ./build-deb/convene_*.deb             (root)
#   layout     the binary, web assets, mail templates, every migration, the
#              env file under /etc/convene (0640 root:convene), the unit
#              (systemd-analyze verify), the `convene` system user  (root)
#   serve      the installed binary, as the `convene` user and with no
#              CONVENE_DATA_DIR (it finds /usr/share/convene itself),
#              against a private PostgreSQL (deploy/pg.sh): migrate, seed,
#              serve on loopback; /readyz names the last migration and
#              /api/activities lists the seeded calendar          (root)
#   purge      apt-get remove --purge: files, configuration, state
#              directory and user are gone                          (root)
#
# Installing changes the machine, so those steps run only as root (else
# SKIP with the reason); a convene package already installed is left alone
# (SKIP): this script only removes what it installed. Exits 0 when nothing
# failed, 1 when a check failed, 2 when the setup failed. Everything it
# starts is stopped on exit, and the package it installed is purged.
# Ports: 57110 (PostgreSQL socket name), 57111 (the server, 127.0.0.1);
# CONVENE_DEB_PORT_BASE=57100 moves them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$here/build-deb
base_port=${CONVENE_DEB_PORT_BASE:-57100}
pg_port=$((base_port + 10))
http_port=$((base_port + 11))
t_start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'; }
say() { printf 'deb: %s\n' "$*"; }
die() {
    printf 'deb: setup failed: %s\n' "$*" >&2
    exit 2
}
fails=0
passes=0
check() {
    if [ "$2" = 1 ]; then
        printf 'PASS  %s: %s\n' "$1" "$3"
        passes=$((passes + 1))
    else
        printf 'FAIL  %s: %s\n' "$1" "$3"
        fails=$((fails + 1))
    fi
}
skip() { printf 'SKIP  %s: %s\n' "$1" "$2"; }

for tool in cmake cpack dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool not found (run deploy/deps.sh --test)"
done

work=$(mktemp -d /tmp/convene-deb.XXXXXX)
chmod 0755 "$work" # the PostgreSQL and convene users must reach the socket
installed=0
server_pid=
cleanup() {
    local rc=$? i
    set +e
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null
        for ((i = 0; i < 100; i++)); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null
    fi
    bash "$here/deploy/pg.sh" destroy "$work/pg" --port "$pg_port" >/dev/null 2>&1
    if [ "$installed" = 1 ] && dpkg -s convene >/dev/null 2>&1; then
        say "clean-up: purging the package this run installed"
        apt-get remove --purge -y convene >/dev/null 2>&1
    fi
    rm -rf "$work"
    say "run time $(since "$t_start") s (clean-up included)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- build: Release, installed under /usr, then the package
t0=$(date +%s.%N)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DCONVENE_TESTS=OFF \
    -DCONVENE_TEST_ROUTES=OFF >"$work/cmake.log" 2>&1 || {
    cat "$work/cmake.log"
    die "cmake configure"
}
cmake --build "$build" -j "${JOBS:-$(nproc)}" >>"$work/cmake.log" 2>&1 || {
    tail -n 40 "$work/cmake.log"
    die "cmake --build"
}
build_s=$(since "$t0")
t0=$(date +%s.%N)
rm -f "$build"/convene_*.deb
(cd "$build" && cpack -G DEB) >"$work/cpack.log" 2>&1 || {
    cat "$work/cpack.log"
    die "cpack -G DEB"
}
pack_s=$(since "$t0")
debs=("$build"/convene_*.deb)
[ -f "${debs[0]}" ] || die "cpack made no convene_*.deb in $build"
deb=${debs[0]}
check "build" 1 "${deb#"$here"/} ($(du -h "$deb" | cut -f1)): Release build $build_s s, cpack -G DEB $pack_s s"

# ---- metadata and contents, from the file
depends=$(dpkg-deb -f "$deb" Depends)
missing=
for lib in libcivetweb1 libpq5 libsodium23 libcurl4 libjansson4; do
    grep -qw "$lib" <<<"$depends" || missing+=" $lib"
done
ok=0
[ -z "$missing" ] && ok=1
check "Depends" "$ok" "$depends${missing:+ (missing:$missing)}"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$work/contents.txt"
migrations=$(find "$here/sql/migrations" -name '*.sql' | wc -l)
missing=
for f in /usr/bin/convene /usr/share/convene/web/index.html /usr/share/convene/mail-templates/en/ \
    /usr/share/convene/sql/seed/activities-2023.json /usr/lib/systemd/system/convene.service \
    /etc/convene/convene.env /usr/share/doc/convene/operations.md; do
    grep -qxF "$f" "$work/contents.txt" || missing+=" $f"
done
packed_migrations=$(grep -c '^/usr/share/convene/sql/migrations/.*\.sql$' "$work/contents.txt" || true)
ok=0
[ -z "$missing" ] && [ "$packed_migrations" = "$migrations" ] && ok=1
check "contents" "$ok" "$(wc -l <"$work/contents.txt") entries; binary, web, mail templates, seed, unit, env file, docs${missing:+; missing:$missing}; $packed_migrations of $migrations migrations"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null || true)
ok=0
[ "$conffiles" = /etc/convene/convene.env ] && ok=1
check "conffiles" "$ok" "${conffiles:-none}"

# ---- install, run and remove: root only
if [ "$(id -u)" != 0 ]; then
    for c in install layout serve purge; do skip "$c" "not root (installing a package changes the machine; run as root on a throwaway machine)"; done
elif dpkg -s convene >/dev/null 2>&1; then
    for c in install layout serve purge; do skip "$c" "a convene package is already installed here; this script does not replace or remove it"; done
else
    # -- install
    t0=$(date +%s.%N)
    installed=1
    if DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$work/apt-install.log" 2>&1; then
        check "install" 1 "apt-get install -y ./${deb#"$here"/} in $(since "$t0") s ($(dpkg -s convene | sed -n 's/^Version: //p'))"
    else
        tail -n 20 "$work/apt-install.log"
        check "install" 0 "apt-get install failed"
        exit 1
    fi

    # -- layout
    share=/usr/share/convene
    inst_migrations=$(find "$share/sql/migrations" -name '*.sql' 2>/dev/null | wc -l)
    templates=$(find "$share/mail-templates" -type f 2>/dev/null | wc -l)
    web_files=$(find "$share/web" -type f 2>/dev/null | wc -l)
    env_mode=$(stat -c '%a %U:%G' /etc/convene/convene.env 2>/dev/null || echo none)
    user=$(getent passwd convene || true)
    problems=
    [ -x /usr/bin/convene ] || problems+=" no /usr/bin/convene;"
    [ -f "$share/web/index.html" ] || problems+=" no web/index.html;"
    [ "$templates" -gt 0 ] || problems+=" no mail templates;"
    [ "$inst_migrations" = "$migrations" ] || problems+=" $inst_migrations of $migrations migrations;"
    [ "$env_mode" = "640 root:convene" ] || problems+=" env file $env_mode;"
    [ -f /usr/lib/systemd/system/convene.service ] || problems+=" no unit;"
    [ -n "$user" ] || problems+=" no convene user;"
    [ "$(cut -d: -f7 <<<"$user")" = /usr/sbin/nologin ] || problems+=" convene user has a shell;"
    [ "$(stat -c %U /var/lib/convene 2>/dev/null)" = convene ] || problems+=" /var/lib/convene not convene's;"
    ok=0
    [ -z "$problems" ] && ok=1
    check "layout" "$ok" "/usr/bin/convene ($(/usr/bin/convene --version 2>&1 | head -n 1)), $web_files web files, $templates mail template files, $inst_migrations migrations, /etc/convene/convene.env $env_mode, user ${user%%:*} (uid $(id -u convene 2>/dev/null || echo -)), /var/lib/convene${problems:+; problems:$problems}"
    if command -v systemd-analyze >/dev/null; then
        if out=$(systemd-analyze verify /usr/lib/systemd/system/convene.service 2>&1) && [ -z "$out" ]; then
            check "unit" 1 "systemd-analyze verify /usr/lib/systemd/system/convene.service: no warnings"
        else
            check "unit" 0 "systemd-analyze verify: $out"
        fi
    else
        skip "unit" "no systemd-analyze here"
    fi

    # -- serve: the installed binary as the convene user
    bash "$here/deploy/pg.sh" start "$work/pg" --port "$pg_port" --fast >"$work/pg.log" 2>&1 || {
        cat "$work/pg.log"
        die "PostgreSQL"
    }
    url=$(bash "$here/deploy/pg.sh" url "$work/pg" --port "$pg_port")
    # As systemd would run it: the convene user, its state directory, a
    # clean environment with only the settings given.
    as_convene() {
        (cd /var/lib/convene && setpriv --reuid=convene --regid=convene --init-groups -- \
            env -i PATH=/usr/bin:/bin CONVENE_DATABASE_URL="$url" CONVENE_LISTEN="127.0.0.1:$http_port" \
            CONVENE_MAIL_SENDERS=0 CONVENE_ARGON2_MEMLIMIT=8M CONVENE_ARGON2_OPSLIMIT=1 "$@")
    }
    serve_problems=
    as_convene /usr/bin/convene migrate >"$work/migrate.log" 2>&1 || serve_problems+=" migrate failed ($(tail -n 1 "$work/migrate.log"));"
    as_convene /usr/bin/convene seed >"$work/seed.log" 2>&1 || serve_problems+=" seed failed ($(tail -n 1 "$work/seed.log"));"
    t0=$(date +%s.%N)
    (cd /var/lib/convene && exec setpriv --reuid=convene --regid=convene --init-groups -- \
        env -i PATH=/usr/bin:/bin CONVENE_DATABASE_URL="$url" CONVENE_LISTEN="127.0.0.1:$http_port" \
        CONVENE_MAIL_SENDERS=0 CONVENE_MIGRATE=false /usr/bin/convene serve) >"$work/serve.log" 2>&1 &
    server_pid=$!
    ready=
    for ((i = 0; i < 300; i++)); do
        ready=$(curl -s --max-time 2 "http://127.0.0.1:$http_port/readyz" || true)
        case $ready in *'"ready"'*) break ;; esac
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    ready_s=$(since "$t0")
    seeded=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$here/sql/seed/activities-2023.json")
    first_title=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["title"])' "$here/sql/seed/activities-2023.json")
    status=$(curl -s -o "$work/activities.json" -w '%{http_code}' --max-time 10 \
        "http://127.0.0.1:$http_port/api/activities?per_page=100" || true)
    listed=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["total"], len(d["items"]))' \
        "$work/activities.json" 2>/dev/null || echo "? ?")
    has_title=0
    grep -qF "$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1])[1:-1])' "$first_title")" \
        "$work/activities.json" 2>/dev/null && has_title=1
    runs_as=$(ps -o user= -p "$server_pid" 2>/dev/null | tr -d ' ')
    last_migration=$(find "$here/sql/migrations" -name '*.sql' -printf '%f\n' | sort | tail -n 1 | sed 's/_.*//; s/^0*//')
    case $ready in *"\"migration\":$last_migration"*) ;; *) serve_problems+=" /readyz: ${ready:-no answer};" ;; esac
    [ "$status" = 200 ] || serve_problems+=" GET /api/activities $status;"
    [ "$listed" = "$seeded $seeded" ] || serve_problems+=" listed $listed, seeded $seeded;"
    [ "$has_title" = 1 ] || serve_problems+=" '$first_title' not listed;"
    [ "$runs_as" = convene ] || serve_problems+=" runs as '${runs_as:-?}';"
    ok=0
    [ -z "$serve_problems" ] && ok=1
    check "serve" "$ok" "as user ${runs_as:-?}: migrate, seed, ready after $ready_s s ($ready); GET /api/activities $status: total and items $listed of $seeded seeded, '$first_title' among them${serve_problems:+; problems:$serve_problems}"
    [ "$ok" = 1 ] || tail -n 20 "$work/serve.log"
    kill -TERM "$server_pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    wait "$server_pid" 2>/dev/null && stop_rc=0 || stop_rc=$?
    server_pid=
    bash "$here/deploy/pg.sh" destroy "$work/pg" --port "$pg_port" >>"$work/pg.log" 2>&1 || true
    say "server stopped by SIGTERM (exit status $stop_rc)"

    # -- purge
    t0=$(date +%s.%N)
    if DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y convene >"$work/apt-remove.log" 2>&1; then
        left=
        dpkg -s convene >/dev/null 2>&1 && left+=" package still installed;"
        for p in /usr/bin/convene /usr/share/convene /usr/lib/systemd/system/convene.service /etc/convene \
            /var/lib/convene /usr/share/doc/convene; do
            [ -e "$p" ] && left+=" $p;"
        done
        getent passwd convene >/dev/null && left+=" user convene;"
        getent group convene >/dev/null && left+=" group convene;"
        ok=0
        [ -z "$left" ] && ok=1 && installed=0
        check "purge" "$ok" "apt-get remove --purge -y convene in $(since "$t0") s: binary, data, unit, /etc/convene, /var/lib/convene, docs, user and group gone${left:+; left behind:$left}"
    else
        tail -n 20 "$work/apt-remove.log"
        check "purge" 0 "apt-get remove --purge failed"
    fi
fi

say "$passes passed, $fails failed"
[ "$fails" = 0 ] || exit 1
