#!/usr/bin/env bash
# Compile-time bench of the derives: a crate of 200 `#[derive(Event)]` structs (with nested
# `Properties` and `Enum` types), built three ways: against a copy of this checkout whose derives
# emit neither schemas (`Describe`) nor registration (`without`); against this checkout with
# default features, so with schemas (`with`); and with the `registry` feature, so with schemas
# and registration (`registry`). Budget of issue 12: the derives' schemas and registration add
# at most 10 % to the crate's compile time.
#
# Usage (from the workspace root): crates/trackplan/benches/derive_compile_time.sh [RUNS]
#   RUNS: alternating timed builds per variant (default 5).
#   COUNT_INSTRUCTIONS=1 also counts the instructions of one rustc run per variant under
#   valgrind's cachegrind (about a minute each): unlike time, the count does not move with the
#   load of a shared machine, so it is the figure to compare across runs.
#
# Each timed build is `touch src/lib.rs && cargo build` with incremental compilation off: the
# whole bench crate is compiled, derive expansion included (with incremental on, an untouched
# file reuses the previous build's work and the figure says little). Both bench crates share
# this checkout's target directory, so dependencies are built once per variant. CPU time is
# user + sys of cargo and everything it waits for; wall time is printed too.
set -euo pipefail

RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
SCRATCH="${TMPDIR:-/tmp}/trackplan-derive-bench"
export CARGO_TARGET_DIR="$ROOT/target"
export CARGO_INCREMENTAL=0

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/without-src"
# The workspace sources as they are (committed or not): what the facade builds from.
tar -C "$ROOT" -cf - Cargo.toml Cargo.lock rust-toolchain.toml src examples tests crates schemas \
  | tar -C "$SCRATCH/without-src" -xf -

# The copy's derives leave out `Describe` and the registration: the one line that joins the
# expansion's parts, in `derive/expand.rs`.
EXPAND="$SCRATCH/without-src/crates/trackplan-codegen/src/derive/expand.rs"
JOIN='wrap(quote!(#extra #impls #describe #register #decode))'
if ! grep -qF "$JOIN" "$EXPAND"; then
  echo "derive_compile_time.sh: $EXPAND no longer joins the expansion with" >&2
  echo "  $JOIN" >&2
  echo "update this script to leave out the schemas and the registration" >&2
  exit 1
fi
sed -i 's/wrap(quote!(#extra #impls #describe #register #decode))/{ let _ = (\&describe, \&register); wrap(quote!(#extra #impls #decode)) }/' "$EXPAND"

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

make_crate() { # name, trackplan checkout, trackplan features
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
trackplan = { path = "$2/crates/trackplan", features = [$3] }
TOML
  cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
  events > "$dir/src/lib.rs"
}

make_crate without "$SCRATCH/without-src" ""
make_crate with "$ROOT" ""
make_crate registry "$ROOT" '"registry"'
VARIANTS="without with registry"

time_build() { # dir -> "wall cpu" seconds of one build of the bench crate
  touch "$1/src/lib.rs"
  local start end cpu
  start=$(date +%s.%N)
  cpu=$( { TIMEFORMAT='%3U %3S'; time cargo build -q --offline --manifest-path "$1/Cargo.toml" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}')
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $cpu"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for variant in $VARIANTS; do
  cargo build -q --offline --manifest-path "$SCRATCH/$variant/Cargo.toml" # warm: dependencies
  : > "$SCRATCH/$variant.times"
done
# Interleave the variants so load from other processes hits them alike.
for _ in $(seq "$RUNS"); do
  for variant in $VARIANTS; do
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

echo "200 derived events at $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- crates || echo '+changes'); $RUNS alternating full builds of the bench crate"
for col in 1 2; do
  name=$([ $col = 1 ] && echo "wall" || echo "cpu (user+sys)")
  for kind in median best; do
    without=$(stat "$SCRATCH/without.times" $col $kind)
    line="$name $kind: without schemas and registration ${without}s"
    for variant in with registry; do
      value=$(stat "$SCRATCH/$variant.times" $col $kind)
      line="$line, $variant ${value}s (ratio $(echo "scale=3; $value / $without" | bc))"
    done
    echo "$line; budget 1.10"
  done
done
for variant in $VARIANTS; do
  echo "raw (wall cpu) $variant: $(tr '\n' ';' < "$SCRATCH/$variant.times")"
done

if [ "${COUNT_INSTRUCTIONS:-0}" = 1 ]; then
  # A rustc wrapper that runs the bench crate's compiler under cachegrind.
  cat > "$SCRATCH/count.sh" <<'SH'
#!/usr/bin/env bash
rustc="$1"; shift
if printf '%s\n' "$@" | grep -q '^bench_derive_'; then
  exec valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    --log-file="$COUNT_LOG" "$rustc" "$@"
fi
exec "$rustc" "$@"
SH
  chmod +x "$SCRATCH/count.sh"
  for variant in $VARIANTS; do
    touch "$SCRATCH/$variant/src/lib.rs"
    COUNT_LOG="$SCRATCH/$variant.count" RUSTC_WRAPPER="$SCRATCH/count.sh" \
      cargo build -q --offline --manifest-path "$SCRATCH/$variant/Cargo.toml"
    # Build once more without the wrapper, so a later timed run starts from the usual state.
    touch "$SCRATCH/$variant/src/lib.rs"
    cargo build -q --offline --manifest-path "$SCRATCH/$variant/Cargo.toml"
  done
  count() { grep -E 'I +refs' "$SCRATCH/$1.count" | awk '{gsub(",", "", $NF); print $NF}'; }
  without=$(count without)
  line="instructions (rustc of the bench crate): without ${without}"
  for variant in with registry; do
    value=$(count $variant)
    line="$line, $variant ${value} (ratio $(echo "scale=3; $value / $without" | bc))"
  done
  echo "$line; budget 1.10"
fi
