#!/usr/bin/env bash
# Peak memory of checking one large migration file, against its size.
#
# Generates, under $WORK, one file per fixture and runs the check of one file
# (`Config::check_file`, what a build script runs per migration; the
# `check_one` example of pgmigrate-build, release) on each under
# `/usr/bin/time -v`, reporting "Maximum resident set size". The baseline is
# the same command on a one-line file, measured in the same run; the last
# column is (peak - baseline) / file size.
#
# Fixtures:
#   ddl_1mb     the 8 reference migrations (../migrations/*.up.sql) repeated
#               to 1 MB (CREATE TABLE, indexes, views, functions)
#   insert_10mb one INSERT ... VALUES of 10 MB (a data seed), in statements of
#               250 rows
#   one_insert  one single INSERT statement of 10 MB (the worst case: one
#               statement holds everything)
#   many_small  `SELECT 1;` repeated to 10 MB (many tiny statements)
#   copy_only   `COPY ... FROM stdin` blocks of 250 rows to 10 MB (a data
#               dump: no statement ends outside a COPY)
#   one_select  one `INSERT ... SELECT ... FROM (VALUES ...)` of 10 MB: a
#               giant statement that cannot be read in pieces (refused at
#               the 4 MiB statement limit)
#
# Usage: benches/check_memory.sh   (from the workspace root; builds the
# example first; BIN=... to measure another build of it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${WORK:-$ROOT/target/bench-check-memory}
BIN=${BIN:-$ROOT/target/release/examples/check_one}
CLI=${CLI:-$ROOT/target/release/pgmigrate}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    cargo build --release -p pgmigrate-build --example check_one >&2
    cargo build --release -p pgmigrate-cli >&2
fi
rm -rf "$WORK"
mkdir -p "$WORK"

fixture() { # name file-name generator...
    local name=$1 file=$2
    shift 2
    mkdir -p "$WORK/$name/migrations"
    "$@" > "$WORK/$name/migrations/$file"
}

repeat_to() { # bytes, then the text on stdin
    python3 -c '
import sys
unit = sys.stdin.read()
n = int(sys.argv[1])
sys.stdout.write(unit * max(1, n // len(unit)))
' "$1"
}

ddl() { cat "$ROOT"/migrations/*.up.sql | sed 's/^-- migrate:.*$//' | repeat_to 1048576; }
inserts() {
    python3 -c '
row = "(1, '"'"'some text; with a semicolon'"'"', '"'"'\u00e9'"'"'),\n"
stmt = "INSERT INTO t (a, b, c) VALUES\n" + row * 250 + "(2, '"'"'x'"'"', '"'"'y'"'"');\n"
import sys
sys.stdout.write(stmt * (10 * 1024 * 1024 // len(stmt)))
'
}
one_statement() { # the text before the rows, the text after them
    python3 -c '
row = "(1, '"'"'some text; with a semicolon'"'"', '"'"'\u00e9'"'"'),\n"
import sys
n = 10 * 1024 * 1024 // len(row)
sys.stdout.write(sys.argv[1] + "\n" + row * n + "(2, '"'"'x'"'"', '"'"'y'"'"')" + sys.argv[2] + ";\n")
' "$1" "$2"
}
one_insert() { one_statement "INSERT INTO t (a, b, c) VALUES" ""; }
one_select() { one_statement "INSERT INTO t (a, b, c) SELECT * FROM (VALUES" ") AS v (a, b, c)"; }
small() { printf 'SELECT 1;\n' | repeat_to 10485760; }
copies() {
    python3 -c '
row = "1\tsome text; with a semicolon\t\u00e9\n"
block = "COPY t (a, b, c) FROM stdin;\n" + row * 250 + "\\.\n"
import sys
sys.stdout.write(block * (10 * 1024 * 1024 // len(block)))
'
}
tiny() { printf 'SELECT 1;\n'; }

fixture baseline 0001_tiny.up.sql tiny
fixture ddl_1mb 0001_ddl.up.sql ddl
fixture insert_10mb 0001_seed.up.sql inserts
fixture one_insert 0001_seed.up.sql one_insert
fixture many_small 0001_small.up.sql small
fixture copy_only 0001_copy.up.sql copies
fixture one_select 0001_select.up.sql one_select

peak_kb() { # dir, then the command (run in dir) without the file
    local dir=$1 log=$WORK/time.log
    shift
    (cd "$dir" && /usr/bin/time -v "$@" >/dev/null 2>"$log") || true
    grep 'Maximum resident set size' "$log" | awk '{print $NF}'
}
one() { peak_kb "$1" "$BIN" "$(ls "$1"/migrations/*.sql)"; }
# Without the CLI binary (NO_CLI=1 or not built), its columns stay empty.
cli() { if [[ -x "$CLI" && -z "${NO_CLI:-}" ]]; then peak_kb "$1" "$CLI" lint; else echo 0; fi; }

base=$(one "$WORK/baseline")
cli_base=$(cli "$WORK/baseline")
printf '| fixture | file size | check_file peak RSS | (peak - baseline) / size | `pgmigrate lint` peak RSS | (peak - baseline) / size |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
awk -v k="$base" -v c="$cli_base" 'BEGIN{printf "| baseline (one line) | 10 B | %.1f MB | | %.1f MB | |\n", k/1024, c/1024}'
for name in ${FIXTURES:-ddl_1mb insert_10mb one_insert many_small copy_only one_select}; do
    dir=$WORK/$name
    size=$(stat -c %s "$dir"/migrations/*.sql)
    peak=$(one "$dir")
    cpeak=$(cli "$dir")
    awk -v n="$name" -v s="$size" -v p="$peak" -v b="$base" -v cp="$cpeak" -v cb="$cli_base" 'BEGIN{
        printf "| %s | %.2f MB | %.1f MB | %.0fx | %.1f MB | %.0fx |\n", n, s/1048576, p/1024, (p-b)*1024/s, cp/1024, (cp-cb)*1024/s }'
done
