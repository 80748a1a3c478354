#!/usr/bin/env bash
# Server instructions per migration (BENCHMARKS.md section 3): what the
# executor's queries cost the PostgreSQL backend, against psql running the
# same migrations, counted by callgrind, so the figures do not depend on the
# load of the machine.
#
# 1. `apply_bench N 1` and `apply_bench 2N 1` run on a throwaway cluster whose
#    server logs every query it receives (a `postgres` shim found through
#    MIGRATE_PG_BIN). Each backend's queries are taken from the log: the
#    blocking driver's, the async driver's and psql's, exactly as sent.
# 2. Each query stream is replayed, one query per simple-protocol query, by a
#    single-user backend (`postgres --single -j`) under callgrind, on a fresh
#    database. The one textual change: the guard compares the backend pid with
#    the pid of the replaying backend instead of the logged one.
# 3. Instructions per migration = (replay of 2N - replay of N) / N, so the
#    connection, the start-up batch and the unlock cancel out.
# 4. Variants derived from the captured blocking-driver stream: without the
#    runner's statements (guard, `SET LOCAL lock_timeout` before the history
#    row, session restore: the batch of an executor without them), without
#    each of them, and with the guard and the restore as prepared statements.
#
# Usage: benches/runner_instructions.sh [N]   (default 100; Linux, valgrind,
#        PostgreSQL 15 binaries; BIN=path/to/apply_bench, default the release
#        example: cargo build --release -p pgmigrate-core --example apply_bench)
set -euo pipefail
N=${1:-100}
PG=${PG_BIN:-/usr/lib/postgresql/15/bin}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BIN:-$ROOT/target/release/examples/apply_bench}
WORK=$(mktemp -d)
chmod 777 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# A postgres that logs every query, with the pid and database of its backend.
mkdir "$WORK/bin" "$WORK/log"
chmod 777 "$WORK/log"
for f in "$PG"/*; do ln -s "$f" "$WORK/bin/"; done
rm "$WORK/bin/postgres"
cat >"$WORK/bin/postgres" <<EOF
#!/bin/sh
exec "$PG/postgres" "\$@" -c log_statement=all -c "log_line_prefix=%p %d " 2>>"\$PGMIGRATE_BENCH_LOG"
EOF
chmod 755 "$WORK/bin/postgres"

for n in "$N" "$((2 * N))"; do
    PGMIGRATE_BENCH_LOG="$WORK/log/$n.log" MIGRATE_PG_BIN="$WORK/bin" "$BENCH" "$n" 1 >"$WORK/bench.$n.txt"
done

# Query streams, one file per client and size: queries separated by a line
# holding only a NUL byte.
python3 - "$WORK" "$N" <<'EOF'
import re, sys
work, n = sys.argv[1], int(sys.argv[2])
GUARD_PID = re.compile(r"pg_backend_pid\(\) <> \d+ THEN false")
for size in (n, 2 * n):
    streams = {}
    current = None
    for line in open(f"{work}/log/{size}.log", encoding="utf-8", errors="replace"):
        if line.startswith("\t") and current is not None:
            current.append(line[1:])
            continue
        current = None
        m = re.match(r"(\d+) (\S*) LOG:  statement: (.*)", line, re.S)
        if m and m.group(2) in ("ours_0", "async_0", "psql_0"):
            current = [m.group(3)]
            streams.setdefault(m.group(2), []).append(current)
    for db, queries in streams.items():
        with open(f"{work}/{db}.{size}.q", "w") as out:
            for q in queries:
                text = "".join(q).strip()
                text = GUARD_PID.sub("pg_backend_pid() <> pg_catalog.pg_backend_pid() THEN false", text)
                # Blank lines inside a query would end it in single-user mode.
                text = re.sub(r"\n\s*\n", "\n", text)
                out.write(text + "\n\0\n")
EOF

# Variants of the blocking driver's stream, cut at statement boundaries of
# the per-migration batches (the runner writes each statement on its own line).
python3 - "$WORK" "$N" <<'EOF'
import re, sys
work, n = sys.argv[1], int(sys.argv[2])
GUARD = re.compile(r"^SELECT pg_catalog\.current_setting\('pgmigrate: .*\);$")
SET_LOCAL = "SET LOCAL lock_timeout"
# The executor's history table (pgmigrate-core, history.rs), for the psql stream.
HISTORY_TABLE = ("CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, "
                 "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), execution_ms bigint, "
                 "state text NOT NULL DEFAULT 'done' CHECK (state IN ('running', 'done', 'skipped')), "
                 "direction text, statements_done integer, runner_pid integer, runner_started timestamptz);")
AUTH = re.compile(r"^SELECT (set_config\('session_authorization', .*, false\)) WHERE (.*);$")
def split(query):
    return query.split("\n")
def restore_start(lines):
    return next((i + 1 for i, l in enumerate(lines) if l == "COMMIT;"), None)
def folded_restore(restore):
    """One SELECT to run after RESET ALL: the authorization (its WHERE as a
    CASE), then the role and the settings, in the runner's order."""
    selects = []
    for l in restore:
        m = AUTH.match(l)
        if m:
            selects.append(f"CASE WHEN {m.group(2)} THEN {m.group(1)} END")
        elif l.startswith("SELECT "):
            selects.append(l.rstrip(";")[len("SELECT "):])
    return "SELECT " + ", ".join(selects)
def variant(lines, kind, prepared):
    if not lines or lines[0] != "BEGIN;" or not any(GUARD.match(l) for l in lines):
        return lines  # not a migration batch (start-up, unlock)
    r = restore_start(lines)
    body, restore = lines[:r], lines[r:]
    guard = next(l for l in body if GUARD.match(l))
    if kind in ("none", "no_guard"):
        body = [l for l in body if l != guard]
    if kind in ("none", "no_set_local"):
        body = [l for l in body if not l.startswith(SET_LOCAL)]
    if kind in ("none", "no_restore"):
        restore = []
    if kind == "restore_in_transaction":
        body, restore = body[:-1] + restore, [body[-1]]
    if kind == "authorization_folded":
        restore = ["RESET ALL;", folded_restore(restore) + ";"]
    if kind == "prepared":
        if "guard" not in prepared:
            prepared["guard"] = "PREPARE pgmigrate_guard AS " + guard.rstrip(";")
            prepared["restore"] = "PREPARE pgmigrate_restore AS " + folded_restore(restore)
        body = ["EXECUTE pgmigrate_guard;" if l == guard else l for l in body]
        restore = [l for l in restore if not l.startswith("SELECT ")] + ["EXECUTE pgmigrate_restore;"]
    return body + restore
for size in (n, 2 * n):
    queries = open(f"{work}/ours_0.{size}.q").read().split("\n\0\n")
    queries = [q for q in queries if q]
    for kind in ("none", "no_guard", "no_set_local", "no_restore", "restore_in_transaction",
                 "authorization_folded", "prepared"):
        prepared = {}
        out = [ "\n".join(variant(split(q), kind, prepared)) for q in queries ]
        if prepared:
            # Prepared once, after the start-up batch took the lock.
            out = out[:1] + [prepared["guard"], prepared["restore"]] + out[1:]
        with open(f"{work}/{kind}.{size}.q", "w") as f:
            f.write("".join(q + "\n\0\n" for q in out))
    # psql's stream with the executor's history table instead of the script's.
    queries = open(f"{work}/psql_0.{size}.q").read().split("\n\0\n")
    queries[0] = HISTORY_TABLE
    with open(f"{work}/psql_history.{size}.q", "w") as f:
        f.write("".join(q + "\n\0\n" for q in queries if q))
EOF

# Replay: each stream on a fresh database of the name it ran on (the lock key
# is derived from it), in one throwaway data directory.
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK"
as_pg "$PG/initdb -D $WORK/data -A trust -U postgres >/dev/null"
OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
declare -A LABEL=(
    [psql_0]="psql -f: same SQL and history row, one statement per query"
    [psql_history]="the same, with the executor's history table"
    [restore_in_transaction]="executor batch, session restore before COMMIT"
    [authorization_folded]="executor batch, authorization folded into the restore"
    [ours_0]="executor, blocking driver (postgres)"
    [async_0]="executor, async driver (tokio-postgres)"
    [none]="executor batch without the runner's statements"
    [no_guard]="executor batch without the guard"
    [no_set_local]="executor batch without SET LOCAL lock_timeout"
    [no_restore]="executor batch without the session restore"
    [prepared]="executor batch, guard and restore as prepared statements"
)
declare -A COUNT
declare -A DBNAME=([psql_0]=psql_0 [psql_history]=psql_0 [async_0]=async_0)
db=0
STREAMS="psql_0 psql_history ours_0 async_0 none no_guard no_set_local no_restore restore_in_transaction authorization_folded prepared"
for stream in $STREAMS; do
    for size in "$N" "$((2 * N))"; do
        db=$((db + 1))
        name=${DBNAME[$stream]:-ours_0}
        printf 'DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n' "$name" "$name" |
            as_pg "$PG/postgres --single -D $WORK/data $OPTS postgres >/dev/null 2>&1"
        # Single-user mode ends a query at a semicolon followed by a blank line.
        python3 -c 'import sys; d=open(sys.argv[1]).read().split("\n\0\n"); sys.stdout.write("".join(q.rstrip().rstrip(";") + ";\n\n" for q in d if q.strip()))' \
            "$WORK/$stream.$size.q" >"$WORK/in.$db"
        as_pg "valgrind --tool=callgrind --callgrind-out-file=$WORK/cg.$db $PG/postgres --single -j -D $WORK/data $OPTS $name <$WORK/in.$db >$WORK/out.$db 2>&1" || true
        if grep -q 'ERROR' "$WORK/out.$db"; then
            echo "replay of $stream ($size migrations) failed:" >&2
            grep -m3 'ERROR' "$WORK/out.$db" >&2
            exit 1
        fi
        COUNT[$stream.$size]=$(awk '/^summary:/ { print $2 }' "$WORK/cg.$db")
    done
done

echo "server instructions per migration, apply_bench migrations, $(date -u +%FT%TZ), N=$N"
printf '%-62s %14s %10s\n' "queries" "per migration" "vs psql"
base=$(((COUNT[psql_0.$((2 * N))] - COUNT[psql_0.$N]) / N))
for stream in $STREAMS; do
    per=$(((COUNT[$stream.$((2 * N))] - COUNT[$stream.$N]) / N))
    awk -v l="${LABEL[$stream]}" -v p="$per" -v b="$base" \
        'BEGIN { printf "%-62s %14d %+9.1f%%\n", l, p, (p - b) * 100 / b }'
done
