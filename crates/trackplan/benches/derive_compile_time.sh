#!/usr/bin/env bash
# Compile-time bench of the derives: a crate of 200 `#[derive(Event)]` structs (with nested
# `Properties` and `Enum` types) built against a base revision of trackplan and against this
# checkout. Budget of issue 12: the derives' schemas and registration add at most 10 %.
#
# Usage (from the workspace root): crates/trackplan/benches/derive_compile_time.sh [RUNS] [BASE]
#   RUNS: alternating runs per variant (default 5); BASE: the git revision to compare with
#   (default: the merge base with `main`).
#
# The base revision is extracted with `git archive` into a scratch directory; both bench crates
# share this checkout's target directory (trackplan's dependencies are built once) and are
# timed on `touch src/lib.rs && cargo build`: the rebuild of the bench crate alone, derive
# expansion included. CPU time (user + sys of cargo and everything it waits for) is the figure
# to read on a shared machine; wall time is printed too.
set -euo pipefail

RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
BASE="${2:-$(git -C "$ROOT" merge-base HEAD main)}"
SCRATCH="${TMPDIR:-/tmp}/trackplan-derive-bench"
export CARGO_TARGET_DIR="$ROOT/target"

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/base-src"
git -C "$ROOT" archive "$BASE" | tar -x -C "$SCRATCH/base-src"

# 200 events: six fields each (strings, numbers, an option, a nested object, a sequence of
# them, an enum), a shared `Properties` type and an `Enum` per ten events.
events() {
  echo '#![allow(dead_code)]'
  for g in $(seq 0 19); do
    cat <<RS
#[derive(trackplan::Properties)]
pub struct Item$g { pub sku: String, pub price: f64, pub quantity: Option<u32> }
#[derive(trackplan::Enum)]
pub enum Tier$g { Free, Pro, Enterprise }
RS
    for e in $(seq 0 9); do
      cat <<RS
/// Event $g-$e.
#[derive(trackplan::Event)]
#[event(name = "Thing$g$e Happened")]
pub struct Thing${g}x$e {
    pub order_id: String,
    pub total: f64,
    pub coupon: Option<String>,
    pub item: Item$g,
    pub items: Vec<Item$g>,
    pub tier: Tier$g,
}
RS
    done
  done
}

make_crate() { # name, trackplan checkout
  local dir="$SCRATCH/$1"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "bench-derive-$1"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
trackplan = { path = "$2/crates/trackplan" }
TOML
  cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
  events > "$dir/src/lib.rs"
}

make_crate base "$SCRATCH/base-src"
make_crate head "$ROOT"

time_build() { # dir -> "wall cpu" seconds of one rebuild of the bench crate
  touch "$1/src/lib.rs"
  local start end cpu
  start=$(date +%s.%N)
  cpu=$( { TIMEFORMAT='%3U %3S'; time cargo build -q --offline --manifest-path "$1/Cargo.toml" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}')
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $cpu"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for variant in base head; do
  cargo build -q --offline --manifest-path "$SCRATCH/$variant/Cargo.toml" # warm: dependencies
  : > "$SCRATCH/$variant.times"
done
# Interleave the variants so load from other processes hits both alike.
for _ in $(seq "$RUNS"); do
  for variant in base head; do
    time_build "$SCRATCH/$variant" >> "$SCRATCH/$variant.times"
  done
done

stat() { # file column median|best
  if [ "$3" = best ]; then
    awk "{print \$$2}" "$1" | sort -n | head -1
  else
    awk "{print \$$2}" "$1" | median
  fi
}

echo "200 derived events; base $(git -C "$ROOT" rev-parse --short "$BASE") vs head $(git -C "$ROOT" rev-parse --short HEAD); $RUNS alternating runs"
for col in 1 2; do
  name=$([ $col = 1 ] && echo "wall" || echo "cpu (user+sys)")
  for kind in median best; do
    base=$(stat "$SCRATCH/base.times" $col $kind)
    head=$(stat "$SCRATCH/head.times" $col $kind)
    echo "$name $kind: base ${base}s, head ${head}s (ratio $(echo "scale=3; $head / $base" | bc)); budget 1.10"
  done
done
for variant in base head; do
  echo "raw (wall cpu) $variant: $(tr '\n' ';' < "$SCRATCH/$variant.times")"
done
