#!/usr/bin/env bash
# Clean-build cost for a user: an empty `fn main` application against the
# same application with migrate-core as a dependency, migrate-build as a
# build-dependency and a build.rs that checks and embeds the reference
# migrations (../migrations), whose main lists them. Each is built from
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

make_app() { # $1 dir, $2 empty|migrate
    local dir=$1
    mkdir -p "$dir/src"
    cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
    if [ "$2" = empty ]; then
        printf '[package]\nname = "empty-app"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[workspace]\n' >"$dir/Cargo.toml"
        printf 'fn main() {}\n' >"$dir/src/main.rs"
    else
        cat >"$dir/Cargo.toml" <<TOML
[package]
name = "migrate-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
migrate-core = { path = "$ROOT/migrate-core" }

[build-dependencies]
migrate-build = { path = "$ROOT/migrate-build" }

[workspace]
TOML
        printf 'fn main() {\n    migrate_build::compile("%s");\n}\n' "$ROOT/migrations" >"$dir/build.rs"
        cat >"$dir/src/main.rs" <<'RS'
fn main() {
    let migrations = migrate_core::migrations!();
    for m in migrations.migrations() {
        println!("{} {} {}", m.version, m.name, m.checksum);
    }
}
RS
    fi
}

make_app "$WORK/empty-app" empty
make_app "$WORK/migrate-app" migrate

for profile in debug release; do
    flag=""
    [ "$profile" = release ] && flag="--release"
    for app in empty-app migrate-app; do
        target=$WORK/target-$app-$profile
        start=$(date +%s%N)
        (cd "$WORK/$app" && CARGO_TARGET_DIR=$target cargo build --offline --quiet $flag 2>"$WORK/$app-$profile.log") || { cat "$WORK/$app-$profile.log"; exit 1; }
        end=$(date +%s%N)
        bin=$target/$profile/$app
        cp "$bin" "$WORK/$app-$profile.stripped"
        strip "$WORK/$app-$profile.stripped"
        units=$(find "$target/$profile/deps" -name '*.rlib' | wc -l)
        echo "$profile $app: clean build $(((end - start) / 1000000)) ms, $units rlibs, binary $(stat -c %s "$bin") bytes, stripped $(stat -c %s "$WORK/$app-$profile.stripped") bytes"
        if [ "$app" = migrate-app ]; then
            echo "  sqlparser symbols in the binary (nm | grep -c sqlparser): $(nm -C "$bin" 2>/dev/null | grep -c sqlparser || true)"
            echo "  migrate_build symbols in the binary: $(nm -C "$bin" 2>/dev/null | grep -c migrate_build || true)"
            (cd "$WORK/$app" && "$bin" | head -3 | sed 's/^/  runs: /')
        fi
    done
done
echo "cargo tree -e normal of migrate-app (sqlparser lines):"
(cd "$WORK/migrate-app" && cargo tree --offline -e normal | grep -c sqlparser || true)
echo "cargo tree -e build of migrate-app (sqlparser lines):"
(cd "$WORK/migrate-app" && cargo tree --offline -e build | grep -c sqlparser || true)
