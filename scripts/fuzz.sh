#!/bin/sh
# Fuzzes the engine's loader and life cycle (tests/c/fuzz_loader.c) with
# libFuzzer, AddressSanitizer and UBSan, seeded with the reference models.
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#
# SECONDS defaults to 30 (CI); run longer by hand, e.g. `scripts/fuzz.sh 3600`.
# The corpus grows in build/fuzz/corpus (kept between runs); crashing inputs
# are written to build/fuzz/crashes/ and the script exits nonzero. Reproduce
# one with: build/fuzz/fuzz_loader build/fuzz/crashes/crash-<hash>
#
# FUZZ_CFLAGS adds compiler flags, e.g. to look past a known finding:
#   FUZZ_CFLAGS=-fno-sanitize=signed-integer-overflow scripts/fuzz.sh 600
set -eu

SECONDS_TO_RUN=${1:-30}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENGINE="$ROOT/micropython_module/engine"
OUT="$ROOT/build/fuzz"
MODELS="$ROOT/../shared/models"
CC=${FUZZ_CC:-clang}
EXTRA_CFLAGS=${FUZZ_CFLAGS:-}

if [ ! -d "$MODELS" ]; then
    echo "fuzz.sh: seed models missing: $MODELS" >&2
    exit 2
fi
mkdir -p "$OUT/corpus" "$OUT/crashes"

# shellcheck disable=SC2046,SC2086 # the source list and extra flags are meant to split
"$CC" -std=c99 -g -O1 -fno-omit-frame-pointer -ffp-contract=off \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $EXTRA_CFLAGS \
    -I"$ENGINE" -o "$OUT/fuzz_loader" "$ROOT/tests/c/fuzz_loader.c" \
    $(ls "$ENGINE"/*.c "$ENGINE"/ops/*.c "$ENGINE"/ops/arm/*.c "$ENGINE"/ops/portable/*.c)

# Seeds: every model in the shared folder. -max_len cuts the two largest
# (ResNet, AD01): they still exercise the loader's refusals, and a full
# ResNet invoke under the sanitizers would slow every execution tenfold.
SEEDS="$OUT/seeds"
mkdir -p "$SEEDS"
cp "$MODELS"/*.tflite "$SEEDS"/

cd "$OUT"
exec ./fuzz_loader -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$OUT/crashes/" -print_final_stats=1 "$@" "$OUT/corpus" "$SEEDS"
