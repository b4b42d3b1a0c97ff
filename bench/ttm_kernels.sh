#!/bin/sh
# bench/ttm_kernels.sh - where the time of a TinyTimeMixer r2 512-96 forward goes (issue 11): each
# kernel call of one mixer layer, at the shapes the model runs it (7 channels, batch B: 7 B
# series; the stack runs chunks of 10 series at the three adaptive-patching levels and 16 in
# the decoder, src/layers/stack.c), timed alone by `build/bench --gemm` on one thread, then
# multiplied by the calls of one forward (2 layers per stack, B*7/chunk chunks). Prints a
# markdown table: per call, GFLOP/s and % of the FMA peak bench measured, and the forward's
# milliseconds per kernel. The kernels run hot in cache here (the same operands every call), so
# the total is a lower bound of the forward's time (build/bench --model tests/golden/ttm/...).
#   bench/ttm_kernels.sh [BATCH] [SECONDS]     (defaults 64, 0.3; run from the repository root)
# Not timed: LayerNorm (two per layer), the 32-patch gate's softmax (softmax_cols_gate), the
# patching, scaler, adapter and head.
set -eu
B=${1:-64}
SECS=${2:-0.3}
BENCH=${BENCH:-build/bench}
[ -x "$BENCH" ] || { echo "ttm_kernels.sh: $BENCH not found: run make first" >&2; exit 2; }
# stack | kernel | M,N,K,op[,S] | series per chunk
trim() { echo "$1" | sed 's/^ *//; s/ *$//'; }
while IFS='|' read -r st what shape per; do
    shape=$(trim "$shape")
    out=$("$BENCH" --gemm "$shape" --threads 1 --seconds "$SECS" | tail -1)
    gf=$(echo "$out" | sed -n 's/.*(\([0-9.]*\) GFLOP\/s, \([0-9.]*\)%).*/\1 \2/p' | head -1)
    [ -n "$gf" ] || { echo "ttm_kernels.sh: no figure from $BENCH --gemm $shape: $out" >&2; exit 1; }
    echo "$(trim "$st")|$(trim "$what")|$shape|$(trim "$per")|$gf"
done <<'LIST' | awk -F'|' -v B="$B" '
    BEGIN { print "| stack | kernel | shape (--gemm) | us per call | GFLOP/s | % peak | calls | ms per forward |"
            print "|---|---|---|---|---|---|---|---|" }
    { split($3, f, ","); split($5, g, " ")
      work = 2 * f[1] * f[2] * f[3] * (f[4] ~ /^s/ ? f[5] : 1)
      us = work / (g[1] * 1e9) * 1e6
      calls = 2 * int((7 * B + $4 - 1) / $4)
      printf "| %s | %s | %s | %.2f | %.1f | %.1f | %d | %.3f |\n", $1, $2, $3, us, g[1], g[2], calls, us * calls / 1000
      total += us * calls / 1000 }
    END { printf "| all | the kernels above | | | | | | %.2f |\n", total }'
level 0 (8 x 192) | patch fc1 + GELU | 16,192,8,sgelu,10 | 10
level 0 (8 x 192) | patch fc2 | 8,192,16,series,10 | 10
level 0 (8 x 192) | patch gate | 8,192,8,sgate,10 | 10
level 0 (8 x 192) | feature fc1 + GELU | 80,384,192,linear | 10
level 0 (8 x 192) | feature fc2 | 80,192,384,plain | 10
level 0 (8 x 192) | feature gate | 80,192,192,gate | 10
level 1 (16 x 96) | patch fc1 + GELU | 32,96,16,sgelu,10 | 10
level 1 (16 x 96) | patch fc2 | 16,96,32,series,10 | 10
level 1 (16 x 96) | patch gate | 16,96,16,sgate,10 | 10
level 1 (16 x 96) | feature fc1 + GELU | 160,192,96,linear | 10
level 1 (16 x 96) | feature fc2 | 160,96,192,plain | 10
level 1 (16 x 96) | feature gate | 160,96,96,gate | 10
level 2 (32 x 48) | patch fc1 + GELU | 64,48,32,sgelu,10 | 10
level 2 (32 x 48) | patch fc2 | 32,48,64,series,10 | 10
level 2 (32 x 48) | patch gate logits | 32,48,32,series,10 | 10
level 2 (32 x 48) | feature fc1 + GELU | 320,96,48,linear | 10
level 2 (32 x 48) | feature fc2 | 320,48,96,plain | 10
level 2 (32 x 48) | feature gate | 320,48,48,gate | 10
decoder (8 x 128) | patch fc1 + GELU | 16,128,8,sgelu,16 | 16
decoder (8 x 128) | patch fc2 | 8,128,16,series,16 | 16
decoder (8 x 128) | patch gate | 8,128,8,sgate,16 | 16
decoder (8 x 128) | feature fc1 + GELU | 128,256,128,linear | 16
decoder (8 x 128) | feature fc2 | 128,128,256,plain | 16
decoder (8 x 128) | feature gate | 128,128,128,gate | 16
LIST
