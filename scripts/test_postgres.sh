#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for the tests that read LiteLLM's spend logs straight
# from a database. Idempotent; works as root (the server runs as the `postgres` user) or not.
#
#   scripts/test_postgres.sh install         install PostgreSQL from Debian packages if missing
#   scripts/test_postgres.sh start DIR SQL   create a cluster in DIR, start it on a free 127.0.0.1
#                                            port, load SQL into database `litellm`; prints its URL
#   scripts/test_postgres.sh stop DIR        stop the server started in DIR
set -euo pipefail

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

install() {
    if find_bin >/dev/null; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    echo "installing PostgreSQL (Debian packages)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2
    $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
    find_bin >/dev/null
}

# initdb refuses to run as root: as root, run the server's commands as `postgres`.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local dir=$1 sql=$2 bin port
    install
    bin=$(find_bin)
    mkdir -p "$dir"
    cp "$sql" "$dir/fixture.sql"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown -R postgres "$dir"
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE DATABASE litellm" >&2
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d litellm -v ON_ERROR_STOP=1 -q \
        -f "$dir/fixture.sql" >&2
    echo "postgresql://postgres@127.0.0.1:$port/litellm"
}

stop() {
    local dir=$1 bin
    bin=$(find_bin) || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
}

case "${1:-}" in
    install) install ;;
    start) start "$2" "$3" ;;
    stop) stop "$2" ;;
    *)
        echo "usage: $0 install | start DIR SQL | stop DIR" >&2
        exit 2
        ;;
esac
