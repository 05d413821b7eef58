#!/usr/bin/env bash
# Compile-time bench: a crate using `plan!` on a 300-event plan vs the same crate compiling the
# source `trackplan generate` wrote for that plan. Budget: the macro may cost at most 1.3x.
#
# Usage (from the workspace root): crates/trackplan-codegen/benches/plan_compile_time.sh [RUNS]
#
# Both bench crates live in a scratch directory outside the workspace, reuse the workspace's
# Cargo.lock and target directory (so trackplan's dependencies are built once and shared), and
# are timed on `touch src/lib.rs && cargo build`: the rebuild of the crate alone, macro
# expansion included for the `plan!` one. Reports the median of RUNS (default 5) per variant.
set -euo pipefail

RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
SCRATCH="${TMPDIR:-/tmp}/trackplan-plan-bench"
export CARGO_TARGET_DIR="$ROOT/target"

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
python3 "$ROOT/crates/trackplan-codegen/benches/plan300.py" 300 > "$SCRATCH/plan300.json"

cargo build -q -p trackplan-cli --manifest-path "$ROOT/Cargo.toml"
"$CARGO_TARGET_DIR/debug/trackplan" generate "$SCRATCH/plan300.json" -o "$SCRATCH/generated.rs" 2>/dev/null

make_crate() { # name, lib.rs contents
  local dir="$SCRATCH/$1"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "bench-$1"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
trackplan = { path = "$ROOT/crates/trackplan" }
trackplan-macros = { path = "$ROOT/crates/trackplan-macros" }
TOML
  cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
  cp "$SCRATCH/plan300.json" "$dir/plan300.json"
  printf '%s\n' "$2" > "$dir/src/lib.rs"
}

make_crate macro 'trackplan_macros::plan!("plan300.json");'
cp "$SCRATCH/generated.rs" "$SCRATCH/generated_src.rs"
make_crate generated 'include!("../../generated_src.rs");'

time_build() { # dir -> seconds of one incremental rebuild
  touch "$1/src/lib.rs"
  local start end
  start=$(date +%s.%N)
  cargo build -q --manifest-path "$1/Cargo.toml"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for variant in generated macro; do
  cargo build -q --manifest-path "$SCRATCH/$variant/Cargo.toml" # warm: dependencies
done
for variant in generated macro; do
  : > "$SCRATCH/$variant.times"
  for _ in $(seq "$RUNS"); do
    time_build "$SCRATCH/$variant" >> "$SCRATCH/$variant.times"
  done
done

gen=$(median < "$SCRATCH/generated.times")
mac=$(median < "$SCRATCH/macro.times")
lines=$(wc -l < "$SCRATCH/generated.rs")
echo "plan: 300 events, generated source $lines lines"
echo "generated (trackplan generate + include!): median ${gen}s over $RUNS runs: $(tr '\n' ' ' < "$SCRATCH/generated.times")"
echo "macro (plan!):                             median ${mac}s over $RUNS runs: $(tr '\n' ' ' < "$SCRATCH/macro.times")"
echo "ratio macro/generated: $(echo "scale=3; $mac / $gen" | bc) (budget 1.3)"
