#!/usr/bin/env bash
# Clean-build cost of reading migrate.toml, paid by every user (pgmigrate-build
# is a build-dependency of every application). Builds from scratch (fresh
# CARGO_TARGET_DIR, --offline, the workspace Cargo.lock, debug = the profile
# build scripts get):
#   1. an empty crate, then one crate per way to parse TOML with spans:
#      toml without default features (std + parse: spanned DeTable, no serde;
#      the choice), toml with its defaults + serde derive (the usual way),
#      toml_edit with only its parser;
#   2. pgmigrate-build itself at BASE (default: main, the branch this work
#      merges into) and at HEAD, each as the only dependency of an empty crate.
#
# Usage: benches/config_parser_cost.sh [BASE]   (from the workspace root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BASE=${1:-main}
WORK=${WORK:-$ROOT/target/bench-config-parser}
rm -rf "$WORK"
mkdir -p "$WORK"
echo "machine: $(nproc) cores, $(uname -srm), $(rustc --version)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), HEAD $(git rev-parse --short HEAD), BASE $(git rev-parse --short "$BASE")"

crate() { # $1 name, $2 dependency lines, $3 main.rs
    mkdir -p "$WORK/$1/src"
    cp "$ROOT/Cargo.lock" "$WORK/$1/Cargo.lock"
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n%s\n\n[workspace]\n' "$1" "$2" >"$WORK/$1/Cargo.toml"
    printf '%s\n' "$3" >"$WORK/$1/src/main.rs"
}

build() { # $1 name
    local target=$WORK/target-$1 start end
    start=$(date +%s%N)
    # CPU seconds (user + system, rustc children included) vary far less
    # with the machine's load than wall time.
    (cd "$WORK/$1" && CARGO_TARGET_DIR=$target /usr/bin/time -f "%U %S" -o "$WORK/$1.time" cargo build --offline --quiet 2>"$WORK/$1.log") || { cat "$WORK/$1.log"; exit 1; }
    end=$(date +%s%N)
    echo "$1: clean build $(((end - start) / 1000000)) ms wall, $(awk '{printf "%.1f", $1 + $2}' "$WORK/$1.time") s CPU, $(find "$target/debug/deps" -name '*.rlib' | wc -l) rlibs"
}

crate empty "" 'fn main() {}'
crate toml-parse 'toml = { version = "1", default-features = false, features = ["std", "parse"] }' \
    'fn main() { let t = toml::de::DeTable::parse("a = 1").unwrap(); println!("{:?}", t.span()); }'
crate toml-serde 'toml = "1"
serde = { version = "1", features = ["derive"] }' \
    '#[derive(serde::Deserialize, Debug)] struct C { a: toml::Spanned<i64> } fn main() { let c: C = toml::from_str("a = 1").unwrap(); println!("{:?}", c); }'
crate toml-edit 'toml_edit = { version = "0.25", default-features = false, features = ["parse"] }' \
    'fn main() { let d: toml_edit::Document<String> = "a = 1".parse().unwrap(); println!("{:?}", d["a"].span()); }'

git archive "$BASE" | (mkdir -p "$WORK/base-src" && tar -x -C "$WORK/base-src")
crate build-base "pgmigrate-build = { path = \"$WORK/base-src/migrate-build\" }" 'fn main() {}'
crate build-head "pgmigrate-build = { path = \"$ROOT/migrate-build\" }" 'fn main() {}'

for c in empty toml-parse toml-serde toml-edit; do
    build "$c"
done
# Wall times on a shared machine swing with the load: alternate the two
# pgmigrate-build builds, ROUNDS times each (default 2).
for round in $(seq "${ROUNDS:-2}"); do
    for c in build-base build-head; do
        rm -rf "$WORK/target-$c"
        echo -n "round $round: "
        build "$c"
    done
done
echo "pgmigrate-build normal dependencies at BASE: $(cd "$WORK/build-base" && cargo tree --offline -e normal --prefix none | sort -u | wc -l) crates"
echo "pgmigrate-build normal dependencies at HEAD: $(cd "$WORK/build-head" && cargo tree --offline -e normal --prefix none | sort -u | wc -l) crates"
echo "added at HEAD: $(diff <(cd "$WORK/build-base" && cargo tree --offline -e normal --prefix none | sed 's/ (.*//' | sort -u) <(cd "$WORK/build-head" && cargo tree --offline -e normal --prefix none | sed 's/ (.*//' | sort -u) | grep '^>' | grep -v '^> build-head' | tr '\n' ' ')"
