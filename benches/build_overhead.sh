#!/usr/bin/env bash
# Build overhead of checking 1,000 migrations in a user's build script.
#
# Generates a fixture application (path dependencies on pgmigrate-core and
# pgmigrate-build, the workspace Cargo.lock, --offline) whose build.rs calls
# pgmigrate_build::compile("migrations") over 1,000 migrations (the 8 reference
# migrations of ../migrations, renumbered 125 times, the objects of each copy
# after the first renamed `<name>_<copy>`), then measures:
#   1. the build-script run itself: the compiled build-script binary run
#      directly with the environment cargo gives it, RUNS times, median;
#      once with the build script compiled at opt-level 0 (cargo's default for
#      build scripts and their dependencies, in dev AND release) and once with
#      `[profile.dev.build-override] opt-level = 3`;
#   2. `cargo build` after editing one migration (reruns the build script);
#   3. a no-change `cargo build`: must not rerun the build script, checked
#      with CARGO_LOG=cargo::core::compiler::fingerprint=info and `-v`.
#
# Usage: benches/build_overhead.sh   (from the workspace root; RUNS=5 default)
# Output: a figure table on stdout; logs under $WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-5}
COUNT=${COUNT:-1000}
WORK=${WORK:-$ROOT/target/bench-build-overhead}
APP=$WORK/app
export CARGO_TARGET_DIR=$WORK/target
mkdir -p "$APP/src" "$WORK"
rm -rf "$APP/migrations"
mkdir -p "$APP/migrations"

echo "machine: $(nproc) cores, $(uname -srm), $(rustc --version)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), workspace HEAD $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- migrate-build migrate-core || echo ' (+ uncommitted changes in migrate-build/migrate-core)')"

# --- the migrations: 125 x the 8 reference migrations, renumbered -----------
# The objects the reference migrations create, renamed in each further copy.
OBJECTS='organisations|users|invoice_lines|invoices|invoice_status|users_email_key|users_organisation_id_idx|users_email_lowercase|invoices_status_due_idx|invoices_audit|audit_invoice_change|audit_log|plans|open_invoices'
refs=("$ROOT"/migrations/*.up.sql)
n=0
while [ "$n" -lt "$COUNT" ]; do
    for up in "${refs[@]}"; do
        [ "$n" -ge "$COUNT" ] && break
        n=$((n + 1))
        base=$(basename "$up" .up.sql)
        slug=${base#*_}
        version=$(printf '%05d' "$n")
        # Copy k > 1 of the reference set gets its own object names (the
        # schema model rejects a second `CREATE TABLE users`).
        copy=$(((n - 1) / ${#refs[@]} + 1))
        rename() {
            if [ "$copy" -eq 1 ]; then cat "$1"; else
                sed -E "s/\b($OBJECTS)\b/\1_$copy/g" "$1"
            fi
        }
        rename "$up" >"$APP/migrations/${version}_${slug}.up.sql"
        down=${up%.up.sql}.down.sql
        [ -f "$down" ] && rename "$down" >"$APP/migrations/${version}_${slug}.down.sql"
    done
done
files=$(ls "$APP/migrations" | wc -l)
bytes=$(cat "$APP"/migrations/* | wc -c)
echo "fixture: $COUNT migrations, $files files, $bytes bytes in $APP/migrations"

cp "$ROOT/Cargo.lock" "$APP/Cargo.lock"
cat > "$APP/build.rs" <<'RS'
fn main() {
    pgmigrate_build::compile("migrations");
}
RS
cat > "$APP/src/main.rs" <<'RS'
fn main() {
    let migrations = pgmigrate_core::migrations!();
    println!("{} migrations", migrations.migrations().len());
}
RS
manifest() { # $1: extra profile section
    cat > "$APP/Cargo.toml" <<TOML
[package]
name = "bench-fixture-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
pgmigrate-core = { path = "$ROOT/migrate-core" }

[build-dependencies]
pgmigrate-build = { path = "$ROOT/migrate-build" }

[workspace]

$1
TOML
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs the app's build-script binary of the current profile settings (as
# cargo reports it, also when fresh) RUNS times; prints the median ms.
run_build_script() {
    local bin
    bin=$(cd "$APP" && cargo build --offline --message-format=json 2>/dev/null |
        grep '"reason":"compiler-artifact"' | grep '"custom-build"' | grep 'bench-fixture-app' |
        sed 's/.*"filenames":\["\([^"]*\)".*/\1/')
    local out=$WORK/out-dir
    mkdir -p "$out"
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s%N)
        (cd "$APP" && env CARGO_MANIFEST_DIR="$APP" OUT_DIR="$out" CARGO_PKG_NAME=bench-fixture-app NO_COLOR=1 "$bin" >"$WORK/build-script.stdout" 2>"$WORK/build-script.stderr")
        end=$(date +%s%N)
        echo $(((end - start) / 1000000))
    done | median
}

build() { (cd "$APP" && cargo build --offline "$@"); }

for variant in ${VARIANTS:-opt0 opt1 opt3}; do
    if [ "$variant" = opt0 ]; then
        manifest ""
    else
        manifest "[profile.dev.build-override]"$'\n'"opt-level = ${variant#opt}"
    fi
    build --quiet 2>"$WORK/build-$variant.log" || { cat "$WORK/build-$variant.log"; exit 1; }
    ms=$(run_build_script)
    errors=$(grep -c '^cargo::error' "$WORK/build-script.stdout" || true)
    echo "build-script run ($variant: build script + pgmigrate-build + sqlparser at opt-level ${variant#opt}), $COUNT migrations: median ${ms} ms of $RUNS runs ($errors cargo::error lines)"
done

# Incremental and no-change rebuilds (opt3 variant, as in this workspace).
manifest $'[profile.dev.build-override]\nopt-level = 3'
build --quiet 2>"$WORK/build-opt3.log" || { cat "$WORK/build-opt3.log"; exit 1; }
ups=("$APP"/migrations/*.up.sql)
first=${ups[0]}
echo "-- edited" >>"$first"
start=$(date +%s%N)
(cd "$APP" && CARGO_LOG=cargo::core::compiler::fingerprint=info cargo build --offline -v) >"$WORK/build-edit.log" 2>&1
end=$(date +%s%N)
echo "cargo build after editing one migration (build script reruns, app recompiles): $(((end - start) / 1000000)) ms"
# Positive control: the same logging does show the edit.
echo "  fingerprint 'dirty' lines after the edit: $(grep -c 'dirty' "$WORK/build-edit.log" || true); first: $(grep -m1 'dirty' "$WORK/build-edit.log" | sed 's/^.*INFO //' | cut -c1-200)"
echo "  build script runs after the edit: $(grep -c 'Running .*build-script-build' "$WORK/build-edit.log" || true)"

start=$(date +%s%N)
(cd "$APP" && CARGO_LOG=cargo::core::compiler::fingerprint=info cargo build --offline -v) >"$WORK/nochange.log" 2>&1
end=$(date +%s%N)
dirty=$(grep -c 'dirty' "$WORK/nochange.log" || true)
reran=$(grep -c 'build-script-build`\?$\|Running .*bench-fixture-app.*build-script-build' "$WORK/nochange.log" || true)
fresh=$(grep -c 'Fresh bench-fixture-app' "$WORK/nochange.log" || true)
echo "no-change cargo build: $(((end - start) / 1000000)) ms; fingerprint 'dirty' lines: $dirty; build script runs: $reran; 'Fresh bench-fixture-app': $fresh (log: $WORK/nochange.log)"
if [ "$dirty" -ne 0 ] || [ "$reran" -ne 0 ]; then
    echo "FAIL: the no-change rebuild reran something"
    exit 1
fi
