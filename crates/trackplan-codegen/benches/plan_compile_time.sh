#!/usr/bin/env bash
# Compile-time bench: a crate using `plan!` on a 300-event plan vs the same crate compiling the
# source `trackplan generate` wrote for that plan. Budget: the macro may cost at most 1.3x.
#
# Usage (from the workspace root): crates/trackplan-codegen/benches/plan_compile_time.sh [RUNS]
#
# Both bench crates live in a scratch directory outside the workspace, reuse the workspace's
# Cargo.lock and target directory (so trackplan's dependencies are built once and shared), and
# are timed on `touch src/lib.rs && cargo build`: the rebuild of the crate alone, macro
# expansion included for the `plan!` one. Runs alternate between the variants; reports the
# median and the best of RUNS (default 5) per variant.
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

make_crate() { # name, lib.rs contents[, extra Cargo.toml]
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
${3:-}
TOML
  cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
  cp "$SCRATCH/plan300.json" "$dir/plan300.json"
  printf '%s\n' "$2" > "$dir/src/lib.rs"
}

make_crate macro 'trackplan_macros::plan!("plan300.json");'
# The same with the proc macro (and its dependencies) optimised, as many projects configure.
make_crate macro_opt 'trackplan_macros::plan!("plan300.json");' $'[profile.dev.build-override]\nopt-level = 3'
cp "$SCRATCH/generated.rs" "$SCRATCH/generated_src.rs"
make_crate generated 'include!("../../generated_src.rs");'

time_build() { # dir -> "wall cpu" seconds of one incremental rebuild (cpu = user + sys of cargo
  # and every process it waits for: steadier than wall time on a shared machine)
  touch "$1/src/lib.rs"
  local start end cpu
  start=$(date +%s.%N)
  cpu=$( { TIMEFORMAT='%3U %3S'; time cargo build -q --manifest-path "$1/Cargo.toml" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}')
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $cpu"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for variant in generated macro macro_opt; do
  cargo build -q --manifest-path "$SCRATCH/$variant/Cargo.toml" # warm: dependencies
done
# Interleave the variants so load from other processes hits both alike.
: > "$SCRATCH/generated.times"
: > "$SCRATCH/macro.times"
: > "$SCRATCH/macro_opt.times"
for _ in $(seq "$RUNS"); do
  for variant in generated macro macro_opt; do
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

report() { # column name
  local col=$1 name=$2 kind gen mac opt
  for kind in median best; do
    gen=$(stat "$SCRATCH/generated.times" "$col" $kind)
    mac=$(stat "$SCRATCH/macro.times" "$col" $kind)
    opt=$(stat "$SCRATCH/macro_opt.times" "$col" $kind)
    echo "$name $kind: generated ${gen}s, plan! ${mac}s (ratio $(echo "scale=3; $mac / $gen" | bc))," \
      "plan! with optimised build deps ${opt}s (ratio $(echo "scale=3; $opt / $gen" | bc)); budget 1.3"
  done
}

lines=$(wc -l < "$SCRATCH/generated.rs")
echo "plan: 300 events, generated source $lines lines; $RUNS alternating runs per variant"
report 1 "wall"
report 2 "cpu (user+sys)"
for variant in generated macro macro_opt; do
  echo "raw (wall cpu) $variant: $(tr '\n' ';' < "$SCRATCH/$variant.times")"
done
