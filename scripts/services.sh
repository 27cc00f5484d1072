#!/usr/bin/env bash
# Real PostgreSQL and Redis for tests and benchmarks, from local binaries.
#
#   scripts/services.sh COMMAND [ARG...]
#       Runs COMMAND with DATABASE_URL and REDIS_URL set, and exits with its
#       exit code. A URL already in the environment is used as given; for a
#       missing one a throwaway server is started on a free loopback port in
#       a temporary directory, and stopped and deleted when COMMAND ends
#       (also on Ctrl-C or a kill).
#
#   scripts/services.sh start DIR
#       Starts both servers for iterative work, keeps their data in DIR and
#       writes DIR/env; `source DIR/env` sets the URLs in a shell. Starting
#       again after a stop reuses the data.
#
#   scripts/services.sh stop DIR
#       Stops the servers started with `start DIR` (data stays: rm -r DIR).
#
# PostgreSQL comes from PATH or /usr/lib/postgresql/*/bin, redis-server from
# PATH; as root, missing ones are installed with apt (scripts/apt-install.sh).
# PostgreSQL will not run as root, so as root it runs as the `postgres` user,
# or as a system user `caregraph-pg` created for it. PostgreSQL trades crash
# safety for speed (fsync=off). Redis keeps an append-only file in its data
# directory, as compose's does, so queued jobs survive a Redis restart.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PG_DATABASE=caregraph
PG_ROLE=caregraph

log() { echo "services: $*" >&2; }
die() {
    log "$*"
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# --- finding and installing binaries -----------------------------------------

find_pg_bin() {
    local dir
    if command -v pg_ctl >/dev/null 2>&1; then
        # Follow symlinks: psql and createdb live beside the real pg_ctl.
        dir="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
        if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"
            return 0
        fi
    fi
    # Debian keeps the server binaries out of PATH; take the newest version.
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

ensure_pg_bin() {
    PG_BIN="$(find_pg_bin)" && return 0
    log "PostgreSQL server binaries not found"
    "$SCRIPT_DIR/apt-install.sh" postgresql
    PG_BIN="$(find_pg_bin)" || die "PostgreSQL still missing after installing it"
}

ensure_redis_bin() {
    REDIS_SERVER="$(command -v redis-server 2>/dev/null)" && return 0
    log "redis-server not found"
    "$SCRIPT_DIR/apt-install.sh" redis-server
    REDIS_SERVER="$(command -v redis-server 2>/dev/null)" || die "redis-server still missing after installing it"
}

# --- running PostgreSQL as an unprivileged user ------------------------------

# Sets PG_USER: empty when we are not root (run as ourselves).
choose_pg_user() {
    PG_USER=""
    if [ "$(id -u)" -ne 0 ]; then
        return 0
    fi
    if id -u postgres >/dev/null 2>&1; then
        PG_USER=postgres
    else
        PG_USER=caregraph-pg
        if ! id -u "$PG_USER" >/dev/null 2>&1; then
            log "creating system user $PG_USER to run PostgreSQL"
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$PG_USER"
        fi
    fi
}

# Runs a PostgreSQL binary as PG_USER, from / so that an unreadable working
# directory does not matter.
as_pg_user() {
    if [ -n "$PG_USER" ]; then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

free_port() {
    python3 - <<'PY'
import socket

with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1])
PY
}

# --- PostgreSQL ---------------------------------------------------------------

# pg_init DATADIR: a new cluster whose superuser is PG_ROLE, trusted on
# loopback only, tuned for throwaway use.
pg_init() {
    local datadir="$1" socketdir="$1/socket"
    mkdir -p "$datadir"
    if [ -n "$PG_USER" ]; then
        chown "$PG_USER" "$datadir"
        as_pg_user test -w "$datadir" ||
            die "user $PG_USER cannot write $datadir (a parent folder is closed to it); choose a folder under /tmp"
    fi
    chmod 700 "$datadir"
    as_pg_user "$PG_BIN/initdb" --pgdata="$datadir/data" --username="$PG_ROLE" \
        --auth=trust --encoding=UTF8 --no-locale --no-instructions >"$datadir/initdb.log" 2>&1 ||
        {
            cat "$datadir/initdb.log" >&2
            die "initdb failed"
        }
    as_pg_user mkdir -p "$socketdir"
    cat >>"$datadir/data/postgresql.conf" <<EOF

# scripts/services.sh: throwaway server on loopback, speed over durability
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socketdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
}

# pg_start DATADIR: starts the cluster on a free port (retrying if another
# process took the port first); sets PG_PORT.
pg_start() {
    local datadir="$1" attempt
    for attempt in 1 2 3; do
        PG_PORT="$(free_port)"
        if as_pg_user "$PG_BIN/pg_ctl" --pgdata="$datadir/data" --log="$datadir/postgres.log" \
            --wait --timeout=60 --silent -o "-p $PG_PORT" start >/dev/null; then
            return 0
        fi
        log "PostgreSQL did not start on port $PG_PORT (attempt $attempt)"
    done
    tail -n 30 "$datadir/postgres.log" >&2 || true
    die "PostgreSQL failed to start"
}

pg_client() {
    local name="$1"
    shift
    if [ -x "$PG_BIN/$name" ]; then
        "$PG_BIN/$name" "$@"
    else
        "$name" "$@"
    fi
}

pg_create_database() {
    if ! pg_client psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d postgres -tAq \
        -c "select 1 from pg_database where datname = '$PG_DATABASE'" | grep -q 1; then
        pg_client createdb -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" "$PG_DATABASE"
    fi
}

pg_stop() {
    local datadir="$1"
    if [ -f "$datadir/data/postmaster.pid" ]; then
        as_pg_user "$PG_BIN/pg_ctl" --pgdata="$datadir/data" --mode=fast --wait --timeout=30 \
            --silent stop >/dev/null 2>&1 ||
            as_pg_user "$PG_BIN/pg_ctl" --pgdata="$datadir/data" --mode=immediate --silent \
                stop >/dev/null 2>&1 || true
    fi
}

# --- Redis --------------------------------------------------------------------

redis_ping() {
    local port="$1" reply
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]
        return
    fi
    reply="$(
        exec 9<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf 'PING\r\n' >&9
        read -r -t 2 line <&9 && echo "${line%$'\r'}"
    )" 2>/dev/null || return 1
    [ "$reply" = "+PONG" ]
}

# redis_start DIR: sets REDIS_PORT; the server writes DIR/redis.pid.
redis_start() {
    local dir="$1" attempt
    mkdir -p "$dir"
    for attempt in 1 2 3; do
        REDIS_PORT="$(free_port)"
        rm -f "$dir/redis.pid"
        "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes \
            --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
            --dir "$dir" >/dev/null
        for _ in $(seq 1 100); do
            if redis_ping "$REDIS_PORT"; then
                return 0
            fi
            sleep 0.1
        done
        log "Redis did not answer on port $REDIS_PORT (attempt $attempt)"
        redis_stop "$dir"
    done
    tail -n 30 "$dir/redis.log" >&2 || true
    die "Redis failed to start"
}

redis_stop() {
    local dir="$1" pid
    [ -f "$dir/redis.pid" ] || return 0
    pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/redis.pid"
}

# --- modes --------------------------------------------------------------------

# The EXIT trap of run_with_services: stops what it started, keeps the exit code.
cleanup_throwaway() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$TMP_DIR" ]; then
        if [ "$STARTED_REDIS" -eq 1 ]; then redis_stop "$TMP_DIR/redis"; fi
        if [ "$STARTED_PG" -eq 1 ]; then pg_stop "$TMP_DIR/postgres"; fi
        rm -rf "$TMP_DIR"
    fi
    exit "$rc"
}

run_with_services() {
    STARTED_PG=0
    STARTED_REDIS=0
    TMP_DIR=""

    trap cleanup_throwaway EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
        TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/caregraph-services.XXXXXX")"
        chmod 755 "$TMP_DIR"
    fi

    if [ -n "${DATABASE_URL:-}" ]; then
        log "using DATABASE_URL from the environment"
    else
        ensure_pg_bin
        choose_pg_user
        pg_init "$TMP_DIR/postgres"
        STARTED_PG=1
        pg_start "$TMP_DIR/postgres"
        pg_create_database
        export DATABASE_URL="postgres://$PG_ROLE@127.0.0.1:$PG_PORT/$PG_DATABASE"
        log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
    fi

    if [ -n "${REDIS_URL:-}" ]; then
        log "using REDIS_URL from the environment"
    else
        ensure_redis_bin
        STARTED_REDIS=1
        redis_start "$TMP_DIR/redis"
        export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
        log "Redis on 127.0.0.1:$REDIS_PORT"
    fi

    local rc=0
    "$@" || rc=$?
    exit "$rc"
}

# True when FILE names a process that is still running (its first line is the pid).
pid_file_alive() {
    local pid
    [ -f "$1" ] || return 1
    pid="$(head -n 1 "$1" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_services() {
    local dir="$1"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/state" ]; then
        # shellcheck disable=SC1091
        . "$dir/state"
        if pid_file_alive "$dir/postgres/data/postmaster.pid" || pid_file_alive "$dir/redis/redis.pid"; then
            die "already running (scripts/services.sh stop $dir first); source $dir/env"
        fi
        # Left by a machine that stopped without shutting them down: not running.
        rm -f "$dir/postgres/data/postmaster.pid" "$dir/redis/redis.pid"
    fi

    ensure_pg_bin
    ensure_redis_bin
    choose_pg_user
    if [ ! -f "$dir/postgres/data/PG_VERSION" ]; then
        rm -rf "$dir/postgres"
        pg_init "$dir/postgres"
    fi
    pg_start "$dir/postgres"
    pg_create_database
    redis_start "$dir/redis"

    cat >"$dir/state" <<EOF
PG_BIN='$PG_BIN'
PG_USER='$PG_USER'
EOF
    cat >"$dir/env" <<EOF
# Written by scripts/services.sh start; stop with: scripts/services.sh stop $dir
export DATABASE_URL='postgres://$PG_ROLE@127.0.0.1:$PG_PORT/$PG_DATABASE'
export REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'
EOF
    log "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
    log "now run: source $dir/env"
}

stop_services() {
    local dir="$1"
    [ -d "$dir" ] || die "no such folder: $dir"
    dir="$(cd "$dir" && pwd)"
    [ -f "$dir/state" ] || die "nothing started in $dir"
    # shellcheck disable=SC1091
    . "$dir/state"
    redis_stop "$dir/redis"
    pg_stop "$dir/postgres"
    rm -f "$dir/env"
    log "stopped; the data stays in $dir (rm -r $dir to drop it)"
}

main() {
    [ "$#" -gt 0 ] || usage
    case "$1" in
    -h | --help) usage ;;
    start)
        [ "$#" -eq 2 ] || usage
        start_services "$2"
        ;;
    stop)
        [ "$#" -eq 2 ] || usage
        stop_services "$2"
        ;;
    *) run_with_services "$@" ;;
    esac
}

main "$@"
