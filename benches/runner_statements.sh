#!/usr/bin/env bash
# Server CPU of the statements a runner transaction adds to a migration
# (BENCHMARKS.md section 3): the guard, `SET LOCAL lock_timeout` before the
# history row, and the session restore after COMMIT, each alone and as the
# executor sends them before and after they were made cheaper.
#
# A throwaway cluster (TCP on 127.0.0.1, durability off, as pgmigrate-tempdb
# starts it); one psql session per variant whose state is the runner's (the
# lock key held twice, the runner's session settings), then N transactions
# `BEGIN; <variant>; COMMIT`, each sent as one query (`\;`). The CPU time of
# the backend that ran them is read from /proc before and after; the script
# prints it per transaction, median over the rounds, variants taking turns.
#
# Usage: benches/runner_statements.sh [N] [ROUNDS]   (Linux, PostgreSQL 15 binaries)
set -euo pipefail
N=${1:-20000}
ROUNDS=${2:-5}
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d)
chmod 755 "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
as_pg "$BIN/initdb -D $WORK/data -A trust -U postgres >/dev/null"
as_pg "$BIN/pg_ctl -D $WORK/data -l $WORK/log -w -o '-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start >/dev/null"
trap 'as_pg "$BIN/pg_ctl -D $WORK/data -m fast stop >/dev/null"; rm -rf "$WORK"' EXIT

K="1836672882, 12345"
MARKER="'pgmigrate: the runner''s session moved"
# The runner's session: key held twice (and the key of earlier releases), its settings.
SETUP="SELECT pg_try_advisory_lock($K), pg_try_advisory_lock($K), pg_try_advisory_lock(1836672882, 999);
SELECT set_config('client_connection_check_interval', '1s', false), set_config('tcp_keepalives_idle', '30', false),
 set_config('tcp_keepalives_interval', '10', false), set_config('tcp_keepalives_count', '3', false), set_config('tcp_user_timeout', '60000', false);
SELECT pg_backend_pid() AS backend \\gset
SELECT replace(\$q\$DO \$migrate0\$BEGIN IF (CASE WHEN pg_backend_pid() <> PID THEN true WHEN pg_advisory_unlock($K) THEN NOT pg_try_advisory_lock($K) ELSE true END) THEN RAISE EXCEPTION '%', $MARKER' || ' (lock taken by backend PID, this statement runs on ' || pg_backend_pid() || ')'; END IF; END\$migrate0\$\$q\$, 'PID', pg_backend_pid()::text) AS do_guard \\gset
SELECT replace(\$q\$CREATE FUNCTION pg_temp.guard() RETURNS void LANGUAGE plpgsql AS \$g\$BEGIN IF (CASE WHEN pg_backend_pid() <> PID THEN true WHEN pg_advisory_unlock($K) THEN NOT pg_try_advisory_lock($K) ELSE true END) THEN RAISE EXCEPTION '%', $MARKER (lock taken by backend PID)'; END IF; END\$g\$\$q\$, 'PID', pg_backend_pid()::text) \\gexec
\\setenv BACKEND :backend
\\! cat /proc/\$BACKEND/stat > $WORK/start.stat
"
SELECT_GUARD="SELECT pg_catalog.current_setting($MARKER (lock taken by backend 0)', CASE WHEN pg_catalog.pg_backend_pid() <> :backend THEN false WHEN pg_catalog.pg_advisory_unlock($K) THEN pg_catalog.pg_try_advisory_lock($K) ELSE false END)"
SET_LOCAL="SET LOCAL lock_timeout = '10000ms'"
AUTH="SELECT set_config('session_authorization', 'postgres', false) WHERE current_setting('session_authorization') <> 'postgres'"
SETTINGS=(client_connection_check_interval 1s tcp_keepalives_count 3 tcp_keepalives_idle 30 tcp_keepalives_interval 10 tcp_user_timeout 1min)
VALUES="" FLAT="set_config('role', 'none', false)"
for ((i = 0; i < ${#SETTINGS[@]}; i += 2)); do
    VALUES+="${VALUES:+, }('${SETTINGS[i]}', '${SETTINGS[i + 1]}')"
    FLAT+=", set_config('${SETTINGS[i]}', '${SETTINGS[i + 1]}', false)"
done
RESTORE_VALUES="SELECT set_config('role', 'none', false), (SELECT count(set_config(n, v, false)) FROM (VALUES $VALUES) AS saved (n, v))"
RESTORE_FLAT="SELECT $FLAT"

declare -A V=(
    [none]="BEGIN \\; SELECT 1 \\; COMMIT"
    [before]="BEGIN \\; :do_guard \\; SELECT 1 \\; $SET_LOCAL \\; COMMIT \\; $AUTH \\; RESET ALL \\; $RESTORE_VALUES"
    [after]="BEGIN \\; $SELECT_GUARD \\; SELECT 1 \\; $SET_LOCAL \\; COMMIT \\; $AUTH \\; RESET ALL \\; $RESTORE_FLAT"
    [guard_do]="BEGIN \\; :do_guard \\; SELECT 1 \\; COMMIT"
    [guard_select]="BEGIN \\; $SELECT_GUARD \\; SELECT 1 \\; COMMIT"
    [guard_temp_function]="BEGIN \\; SELECT pg_temp.guard() \\; SELECT 1 \\; COMMIT"
    [set_local]="BEGIN \\; SELECT 1 \\; $SET_LOCAL \\; COMMIT"
    [restore_authorization]="BEGIN \\; SELECT 1 \\; COMMIT \\; $AUTH"
    [reset_all]="BEGIN \\; SELECT 1 \\; COMMIT \\; RESET ALL"
    [restore_values]="BEGIN \\; SELECT 1 \\; COMMIT \\; $RESTORE_VALUES"
    [restore_flat]="BEGIN \\; SELECT 1 \\; COMMIT \\; $RESTORE_FLAT"
)
NAMES=(none before after guard_do guard_select guard_temp_function set_local restore_authorization reset_all restore_values restore_flat)
for name in "${NAMES[@]}"; do
    {
        printf '%s' "$SETUP"
        LINE="${V[$name]};" awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print ENVIRON["LINE"] }'
        printf '\\! cat /proc/$BACKEND/stat > %s/end.stat\n' "$WORK"
    } >"$WORK/$name.sql"
done
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "$1"; }
declare -A CPU
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), N=$N, rounds=$ROUNDS"
for ((r = 0; r < ROUNDS; r++)); do
    for ((k = 0; k < ${#NAMES[@]}; k++)); do
        name=${NAMES[$(((k + r) % ${#NAMES[@]}))]}
        "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -f "$WORK/$name.sql" >/dev/null
        CPU[$name]+="$(($(ticks "$WORK/end.stat") - $(ticks "$WORK/start.stat"))) "
    done
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
base=$(echo "${CPU[none]}" | median)
# Clock ticks of 10 ms: microseconds per transaction = ticks * 10,000 / N.
printf '%-22s %14s %14s\n' variant "us/transaction" "over none"
for name in "${NAMES[@]}"; do
    m=$(echo "${CPU[$name]}" | median)
    awk -v m="$m" -v b="$base" -v n="$N" -v name="$name" \
        'BEGIN { printf "%-22s %14.1f %14.1f\n", name, m * 10000 / n, (m - b) * 10000 / n }'
done
