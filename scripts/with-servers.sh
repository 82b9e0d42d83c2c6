#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from the EXIT trap look unreachable
# Run a command with throwaway PostgreSQL and MariaDB servers.
#
#   scripts/with-servers.sh CMD [ARGS...]
#
# Starts a private PostgreSQL cluster and a private MariaDB server in a temp
# dir, on free ports bound to 127.0.0.1, exports
#
#   ATHANOR_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/athanor_test
#   ATHANOR_MYSQL_URL=mysql://athanor:athanor@127.0.0.1:PORT/athanor_test
#   ATHANOR_POSTGRES_PID, ATHANOR_MYSQL_PID   the servers' process ids at start
#   ATHANOR_POSTGRES_PIDFILE  PostgreSQL's postmaster.pid (first line: the pid)
#   ATHANOR_MYSQL_PIDFILE     MariaDB's --pid-file (the pid)
#   ATHANOR_TLS_CA        the authority that signed both servers' certificate
#                         (for 127.0.0.1; both servers accept TLS and plain)
#   ATHANOR_TLS_OTHER_CA  an unrelated authority, for refusal tests
#
# A test may kill a server and restart it (tests/restarts.rs): its pid then
# changes, so tests read the current one from the pid files, not *_PID. The
# cleanup stops whichever server the pid files name.
#
# runs CMD from the repository root, then stops both servers and removes the
# temp dir on every exit path. Exits with CMD's status. Installs the server
# packages from apt when they are missing. A server that does not start is an
# error, never a skip.
#
# The MariaDB server keeps its stock character set (latin1 under
# --no-defaults) on purpose: the suite must prove that athanor's own DDL and
# connection settings keep Unicode intact whatever the server's default.
#
# Environment knobs (all optional):
#   ATHANOR_SERVERS_TIMEOUT  seconds to wait for each server (default 60)
#   ATHANOR_SERVERS_KEEP=1   keep the temp dir (logs) after exit

set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TIMEOUT="${ATHANOR_SERVERS_TIMEOUT:-60}"

now_ms() { local t="${EPOCHREALTIME:-${SECONDS}.000000}"; t="${t/[.,]/}"; echo $((t / 1000)); }
START_MS="$(now_ms)"

log() { echo "with-servers: $*" >&2; }
die() {
    echo "with-servers: error: $*" >&2
    exit 1
}

IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------------------
# Locate (and if need be install) the server binaries.

# First executable among the given names, looking in PATH and the sbin dirs
# (mariadbd lives in /usr/sbin, which is not on a normal user's PATH).
find_bin() {
    local name dir
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
        for dir in /usr/sbin /usr/bin /sbin /usr/local/sbin; do
            if [[ -x "$dir/$name" ]]; then
                echo "$dir/$name"
                return 0
            fi
        done
    done
    return 1
}

# Highest /usr/lib/postgresql/N/bin holding a server. Preferred over
# whatever initdb/pg_ctl is on PATH (/usr/local/bin may hold wrappers).
find_pg_bindir() {
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
        sort -t/ -k5,5n | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/postgres" && -x "$dir/initdb" ]]; then
        echo "$dir"
        return 0
    fi
    return 1
}

find_mysql_bins() {
    MYSQLD="$(find_bin mariadbd mysqld)" || return 1
    MYSQL_INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)" || return 1
    MYSQL_CLIENT="$(find_bin mariadb mysql)" || return 1
    MYSQL_ADMIN="$(find_bin mariadb-admin mysqladmin)" || return 1
}

apt_install() {
    local sudo=()
    if [[ $IS_ROOT -eq 0 ]]; then
        command -v sudo >/dev/null 2>&1 ||
            die "need to install $* but not root and sudo is missing"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "need to install $* but apt-get is missing; install them by hand"
    log "installing $* from apt"
    "${sudo[@]}" apt-get update -q >&2 || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@" >&2 ||
        die "apt-get install $* failed"
}

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The duckdb feature compiles DuckDB's bundled C++.
command -v c++ >/dev/null 2>&1 || missing+=(g++)
find_pg_bindir >/dev/null || missing+=(postgresql)
find_mysql_bins || missing+=(mariadb-server mariadb-client)
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
fi
PG_BIN="$(find_pg_bindir)" || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
find_mysql_bins || die "MariaDB binaries (mariadbd, mariadb-install-db, mariadb, mariadb-admin) not found"

if [[ $IS_ROOT -eq 1 ]]; then
    # initdb and postgres refuse to run as root.
    getent passwd postgres >/dev/null || die "running as root but there is no 'postgres' user to run PostgreSQL"
    AS_PG=(runuser -u postgres --)
    # For the server itself: setpriv execs in place, so the pid we hold is the
    # postmaster's. (runuser forks and stays as parent, and does not pass
    # SIGQUIT on: killing it would orphan a running postmaster.)
    if command -v setpriv >/dev/null 2>&1; then
        AS_PG_SERVER=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    else
        AS_PG_SERVER=(runuser -u postgres --)
    fi
    MY_USER=(--user=root)
else
    AS_PG=()
    AS_PG_SERVER=()
    MY_USER=()
fi

# ---------------------------------------------------------------------------
# Temp dir and cleanup.

# Under /tmp (not $TMPDIR): the postgres user must be able to enter every
# parent, and unix socket paths must stay short (~107 bytes).
WORK="$(mktemp -d /tmp/athanor-servers.XXXXXX)"
chmod 755 "$WORK"
PG_PID=""
MY_PID=""
MY_READY=0
PG_LAUNCHER_PID=""

# Is PID running? A zombie is not: inside the EXIT trap bash does not reap
# its exited background children, and kill -0 succeeds on a zombie.
alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

# Stop one server: send SIG, wait up to ~10 s, then SIGKILL; reap it if it is
# our child. SIG is re-sent every 0.5 s: a signal that lands before the server
# has installed its handlers (between fork and exec, where the shell ignores
# SIGQUIT for background jobs) is lost.
stop_pid() {
    local pid="$1" sig="$2" i
    [[ -n "$pid" ]] || return 0
    if alive "$pid"; then
        for ((i = 0; i < 200; i++)); do
            ((i % 10 == 0)) && kill "-$sig" "$pid" 2>/dev/null
            alive "$pid" || break
            sleep 0.05
        done
        if alive "$pid"; then
            log "pid $pid did not stop on SIG$sig; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 40; i++)); do
                alive "$pid" || break
                sleep 0.05
            done
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

postmaster_pid() {
    [[ -s "$WORK/pgdata/postmaster.pid" ]] && head -n 1 "$WORK/pgdata/postmaster.pid"
    return 0
}

# The pid in MariaDB's pid file when it names a running mariadbd (the file
# outlives a killed server, and its pid may be reused).
mysql_pid() {
    local pid
    [[ -s "$WORK/mysql.pid" ]] || return 0
    pid="$(head -n 1 "$WORK/mysql.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
    mariadbd | mysqld) echo "$pid" ;;
    esac
    return 0
}

cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    # PostgreSQL: SIGQUIT is an immediate shutdown (no checkpoint: the data is
    # thrown away anyway); the postmaster takes its children with it.
    [[ -z "$PG_PID" ]] && PG_PID="$(postmaster_pid)"
    stop_pid "$PG_PID" QUIT
    stop_pid "$PG_LAUNCHER_PID" QUIT
    stop_pid "$(postmaster_pid)" QUIT
    # MariaDB: SIGTERM is a normal shutdown (fast with innodb_fast_shutdown=3).
    # Before it is ready, mariadbd 10.11 can hang on a SIGTERM for good (seen
    # here): SIGKILL it then, the data is thrown away anyway.
    if [[ $MY_READY -eq 1 ]]; then
        stop_pid "$MY_PID" TERM
    else
        stop_pid "$MY_PID" KILL
    fi
    # A MariaDB that a test restarted (tests/restarts.rs) is not $MY_PID.
    stop_pid "$(mysql_pid)" TERM
    if [[ "${ATHANOR_SERVERS_KEEP:-0}" == 1 ]]; then
        log "keeping $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
    local file
    for file in "$@"; do
        [[ -s "$file" ]] || continue
        echo "----- last lines of $file -----" >&2
        tail -n 40 "$file" >&2 2>/dev/null || true
    done
    echo "-----" >&2
}

# ---------------------------------------------------------------------------
# Free ports: bind two ephemeral ports at once (so they differ), release them.

free_ports() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF' && return 0
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
    fi
    # Fallback: random high ports that nothing listens on.
    local ports=() p
    while [[ ${#ports[@]} -lt 2 ]]; do
        p=$((20000 + RANDOM % 30000))
        [[ ${#ports[@]} -eq 1 && "${ports[0]}" == "$p" ]] && continue
        if [[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]]; then
            ports+=("$p")
        fi
    done
    echo "${ports[*]}"
}

read -r PGPORT MYPORT < <(free_ports)
[[ -n "${PGPORT:-}" && -n "${MYPORT:-}" ]] || die "could not pick free ports"

# ---------------------------------------------------------------------------
# Initialise both data dirs (in parallel: each takes a second or two).

PGDATA="$WORK/pgdata"
PGSOCK="$WORK/pgsock"
mkdir -p "$PGDATA" "$PGSOCK"
chmod 700 "$PGDATA"
[[ $IS_ROOT -eq 1 ]] && chown postgres: "$PGDATA" "$PGSOCK"

# Byte-order collation everywhere; Unicode-aware ctype (upper/lower) when the
# C.UTF-8 locale exists.
PG_CTYPE=C
if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
    PG_CTYPE=C.UTF-8
fi

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres \
    --encoding=UTF8 --locale=C --lc-ctype="$PG_CTYPE" --no-sync \
    >"$WORK/initdb.log" 2>&1 </dev/null &
PG_INIT_PID=$!

MYDATA="$WORK/mydata"
MYSOCK="$WORK/mysql.sock"
mkdir -p "$MYDATA" "$WORK/mytmp"
"$MYSQL_INSTALL_DB" --no-defaults "${MY_USER[@]}" --datadir="$MYDATA" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    >"$WORK/mysql-install-db.log" 2>&1 </dev/null &
MY_INIT_PID=$!

if ! wait "$PG_INIT_PID"; then
    show_log "$WORK/initdb.log"
    die "PostgreSQL initdb failed"
fi
if ! wait "$MY_INIT_PID"; then
    show_log "$WORK/mysql-install-db.log"
    die "mariadb-install-db failed"
fi

# ---------------------------------------------------------------------------
# TLS: a throwaway certificate authority and a server certificate for
# 127.0.0.1 (the only name in it: tests connecting as "localhost" see a name
# mismatch), shared by both servers; and an unrelated authority that signed
# nothing here, for tests of a certificate that must be refused.

TLS_DIR="$WORK/tls"
mkdir -p "$TLS_DIR"
make_ca() { # NAME: NAME.key, NAME.pem
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -days 3 -subj "/CN=athanor test $1" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$TLS_DIR/$1.key" -out "$TLS_DIR/$1.pem" >>"$WORK/tls.log" 2>&1
}
{
    make_ca ca && make_ca other-ca &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=127.0.0.1" -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" \
            >>"$WORK/tls.log" 2>&1 &&
        printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
            >"$TLS_DIR/server.ext" &&
        openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" \
            -CAkey "$TLS_DIR/ca.key" -CAcreateserial -days 3 \
            -extfile "$TLS_DIR/server.ext" -out "$TLS_DIR/server.pem" >>"$WORK/tls.log" 2>&1
} || {
    show_log "$WORK/tls.log"
    die "could not make the test TLS certificates"
}
chmod 644 "$TLS_DIR"/*.pem
chmod 600 "$TLS_DIR"/*.key
# PostgreSQL wants its key owned by the server's user, unreadable to others.
cp "$TLS_DIR/server.key" "$TLS_DIR/pg-server.key"
[[ $IS_ROOT -eq 1 ]] && chown postgres: "$TLS_DIR/pg-server.key"
# For the TLS tests: the authority that signed the servers' certificate, and
# one that did not.
export ATHANOR_TLS_CA="$TLS_DIR/ca.pem"
export ATHANOR_TLS_OTHER_CA="$TLS_DIR/other-ca.pem"

# ---------------------------------------------------------------------------
# Start both servers. setsid: a Ctrl-C at the terminal reaches the command,
# not the servers; stopping them is cleanup's job.

setsid "${AS_PG_SERVER[@]}" "$PG_BIN/postgres" -D "$PGDATA" \
    -c listen_addresses=127.0.0.1 -p "$PGPORT" -k "$PGSOCK" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c wal_level=minimal -c max_wal_senders=0 \
    -c max_connections=200 \
    -c ssl=on -c ssl_cert_file="$TLS_DIR/server.pem" -c ssl_key_file="$TLS_DIR/pg-server.key" \
    >"$WORK/postgres.log" 2>&1 </dev/null &
PG_LAUNCHER_PID=$!
# Out of the job table: a server a test kills (tests/restarts.rs) would
# otherwise make bash print a "Killed" notice for it.
disown "$PG_LAUNCHER_PID"

setsid "$MYSQLD" --no-defaults "${MY_USER[@]}" \
    --datadir="$MYDATA" --tmpdir="$WORK/mytmp" \
    --pid-file="$WORK/mysql.pid" --log-error="$WORK/mysql.err" \
    --bind-address=127.0.0.1 --port="$MYPORT" --socket="$MYSOCK" \
    --skip-log-bin --skip-name-resolve \
    --max-connections=300 \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --innodb-flush-method=nosync --innodb-fast-shutdown=3 \
    --innodb-buffer-pool-size=64M \
    --ssl-ca="$TLS_DIR/ca.pem" --ssl-cert="$TLS_DIR/server.pem" --ssl-key="$TLS_DIR/server.key" \
    >"$WORK/mysql.out" 2>&1 </dev/null &
MY_PID=$!
disown "$MY_PID"

# wait_ready NAME "LOG..." PID CHECK...: poll CHECK until it succeeds; fail
# when PID dies or TIMEOUT passes.
wait_ready() {
    local name="$1" pid="$3" logfiles
    read -ra logfiles <<<"$2"
    shift 3
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ! alive "$pid"; then
            show_log "${logfiles[@]}"
            die "$name exited during startup (log above)"
        fi
        if ((SECONDS >= deadline)); then
            show_log "${logfiles[@]}"
            die "$name did not accept connections within ${TIMEOUT}s (log above)"
        fi
        sleep 0.05
    done
}

wait_ready PostgreSQL "$WORK/postgres.log" "$PG_LAUNCHER_PID" \
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres
PG_PID="$(head -n 1 "$PGDATA/postmaster.pid")"

# mariadb-admin ping succeeds once the server answers at all.
wait_ready MariaDB "$WORK/mysql.err $WORK/mysql.out" "$MY_PID" \
    "$MYSQL_ADMIN" --no-defaults --protocol=socket -S "$MYSOCK" -uroot ping
MY_READY=1

# ---------------------------------------------------------------------------
# Test users and databases (over TCP, so that path is proven too).

PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE athanor_test' ||
    die "could not create the PostgreSQL test database"

"$MYSQL_CLIENT" --no-defaults --protocol=socket -S "$MYSOCK" -uroot <<'EOF' ||
CREATE USER 'athanor'@'127.0.0.1' IDENTIFIED BY 'athanor';
CREATE USER 'athanor'@'localhost' IDENTIFIED BY 'athanor';
GRANT ALL PRIVILEGES ON *.* TO 'athanor'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'athanor'@'localhost' WITH GRANT OPTION;
CREATE DATABASE athanor_test;
EOF
    die "could not create the MariaDB test user and database"
"$MYSQL_CLIENT" --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MYPORT" \
    -uathanor -pathanor athanor_test -e 'SELECT 1' >/dev/null ||
    die "MariaDB does not accept the test user over TCP"

export ATHANOR_POSTGRES_URL="postgres://postgres@127.0.0.1:$PGPORT/athanor_test"
export ATHANOR_MYSQL_URL="mysql://athanor:athanor@127.0.0.1:$MYPORT/athanor_test"
# Server process ids, for fault tests that freeze a server (kill -STOP) and
# resume it: the postmaster (whose children serve the connections) and mariadbd.
export ATHANOR_POSTGRES_PID="$PG_PID"
export ATHANOR_MYSQL_PID="$MY_PID"
# The pid files, which name the current server after a restart by a test.
export ATHANOR_POSTGRES_PIDFILE="$PGDATA/postmaster.pid"
export ATHANOR_MYSQL_PIDFILE="$WORK/mysql.pid"

log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT," \
    "MariaDB $("$MYSQLD" --version | sed -E 's/.*Ver ([^ ]+).*/\1/') on 127.0.0.1:$MYPORT" \
    "(ready in $(($(now_ms) - START_MS)) ms; data in $WORK)"

# ---------------------------------------------------------------------------
# Run the command (not exec: cleanup must run afterwards).

set +e
"$@"
status=$?
set -e
exit "$status"
