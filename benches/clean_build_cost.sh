#!/usr/bin/env bash
# Clean-build cost for a user: an empty `fn main` application against the
# same application with pgmigrate-core as a dependency, pgmigrate-build as a
# build-dependency and a build.rs that checks and embeds the reference
# migrations (../migrations), whose main lists them (migrate-app), and one
# whose main also applies them when DATABASE_URL is set (migrate-up-app:
# adds `postgres`, as every real user does, so the executor is linked in). Each is built from
# scratch (fresh CARGO_TARGET_DIR, --offline, the workspace Cargo.lock) in
# debug and in release, with cargo's default profiles (what a user gets).
# Reports wall time, binary size (as built and stripped), and proves that
# sqlparser is not in the user's binary (`cargo tree -e normal`, `nm`).
#
# Usage: benches/clean_build_cost.sh   (from the workspace root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${WORK:-$ROOT/target/bench-clean-build}
rm -rf "$WORK"
mkdir -p "$WORK"

echo "machine: $(nproc) cores, $(uname -srm), $(rustc --version)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), workspace HEAD $(git rev-parse --short HEAD)"

make_app() { # $1 dir, $2 empty|migrate|up
    local dir=$1
    mkdir -p "$dir/src"
    cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
    if [ "$2" = empty ]; then
        printf '[package]\nname = "empty-app"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[workspace]\n' >"$dir/Cargo.toml"
        printf 'fn main() {}\n' >"$dir/src/main.rs"
    else
        local name=migrate-app extra=""
        if [ "$2" = up ]; then
            name=migrate-up-app
            extra='postgres = "0.19"'
        fi
        cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
pgmigrate-core = { path = "$ROOT/migrate-core" }
$extra

[build-dependencies]
pgmigrate-build = { path = "$ROOT/migrate-build" }

[workspace]
TOML
        printf 'fn main() {\n    pgmigrate_build::compile("%s");\n}\n' "$ROOT/migrations" >"$dir/build.rs"
        cat >"$dir/src/main.rs" <<'RS'
fn main() {
    let migrations = pgmigrate_core::migrations!();
    for m in migrations.migrations() {
        println!("{} {} {}", m.version, m.name, m.checksum);
    }
}
RS
        if [ "$2" = up ]; then
            cat >"$dir/src/main.rs" <<'RS'
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let migrations = pgmigrate_core::migrations!();
    for m in migrations.migrations() {
        println!("{} {} {}", m.version, m.name, m.checksum);
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
        let report = migrations.up(&mut client)?;
        println!("{report:?}");
    }
    Ok(())
}
RS
        fi
    fi
}

make_app "$WORK/empty-app" empty
make_app "$WORK/migrate-app" migrate
make_app "$WORK/migrate-up-app" up

for profile in debug release; do
    flag=""
    [ "$profile" = release ] && flag="--release"
    for app in empty-app migrate-app migrate-up-app; do
        target=$WORK/target-$app-$profile
        start=$(date +%s%N)
        (cd "$WORK/$app" && CARGO_TARGET_DIR=$target cargo build --offline --quiet $flag 2>"$WORK/$app-$profile.log") || { cat "$WORK/$app-$profile.log"; exit 1; }
        end=$(date +%s%N)
        bin=$target/$profile/$app
        cp "$bin" "$WORK/$app-$profile.stripped"
        strip "$WORK/$app-$profile.stripped"
        units=$(find "$target/$profile/deps" -name '*.rlib' | wc -l)
        echo "$profile $app: clean build $(((end - start) / 1000000)) ms, $units rlibs, binary $(stat -c %s "$bin") bytes, stripped $(stat -c %s "$WORK/$app-$profile.stripped") bytes"
        if [ "$app" != empty-app ]; then
            echo "  sqlparser symbols in the binary (nm | grep -c sqlparser): $(nm -C "$bin" 2>/dev/null | grep -c sqlparser || true)"
            echo "  pgmigrate_build symbols in the binary: $(nm -C "$bin" 2>/dev/null | grep -c pgmigrate_build || true)"
            (cd "$WORK/$app" && env -u DATABASE_URL "$bin" | sed -n '1,2s/^/  runs: /p')
        fi
    done
done
# The price of the advice in BENCHMARKS.md: the same debug clean build with
# the build script, the proc macro and their dependencies optimised.
for level in ${BUILD_OVERRIDE_LEVELS:-1 3}; do
    target=$WORK/target-migrate-app-debug-buildopt$level
    start=$(date +%s%N)
    (cd "$WORK/migrate-app" && CARGO_TARGET_DIR=$target cargo build --offline --quiet --config "profile.dev.build-override.opt-level=$level" 2>"$WORK/migrate-app-debug-buildopt$level.log") || { cat "$WORK/migrate-app-debug-buildopt$level.log"; exit 1; }
    end=$(date +%s%N)
    echo "debug migrate-app with [profile.dev.build-override] opt-level = $level: clean build $(((end - start) / 1000000)) ms"
done

for app in migrate-app migrate-up-app; do
    # Proc-macro dependencies (pgmigrate-macros -> pgmigrate-build -> sqlparser)
    # run in the compiler and are never linked: leave them out.
    echo "$app: sqlparser in cargo tree -e normal,no-proc-macro (the linked graph): $(cd "$WORK/$app" && cargo tree --offline -e normal,no-proc-macro | grep -c sqlparser || true) lines"
    echo "$app: sqlparser in cargo tree -e normal (proc-macro edges included): $(cd "$WORK/$app" && cargo tree --offline -e normal -i sqlparser 2>/dev/null | tr -s ' ' | paste -sd ' ' || true)"
done
