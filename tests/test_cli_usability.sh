#!/bin/sh
# test_cli_usability.sh - the `patchtsmixer` command where a new user trips (issue #12): a
# mistyped PTM_KERNELS is refused with one line, not ignored; `info` counts parameters as
# Hugging Face does; train's loss.svg names its run, ticks whole epochs and keeps the best-epoch
# label inside; predict --plot-columns keeps the order given; a classifier trained without
# --test says so instead of printing a test accuracy of 0; `predict` on a .ts file says what
# .ts files are for. Exit codes as in test_cli.sh (1 runtime error, 2 usage error), one line
# on stderr for each error.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
G=tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TEST_NAME=test_cli_usability
. tests/cli_expect.sh


# 1. PTM_KERNELS: a known level runs, anything else is one error line and exit 1
expect 0 "" env PTM_KERNELS=scalar "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv
expect 1 "PTM_KERNELS: the environment sets 'bogus', expected scalar" \
    env PTM_KERNELS=bogus "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv
[ -s "$tmp/out" ] && ko "predict wrote a forecast under PTM_KERNELS=bogus" || ok
awk 'BEGIN { print "date,x,y"; for (i = 0; i < 200; i++) printf "2020-01-%02d %02d:00:00,%.5f,%.5f\n", 1 + int(i / 24), i % 24, sin(6.2832 * i / 24) + 0.01 * i, 2 * cos(6.2832 * i / 12) }' >"$tmp/syn.csv"
T="--data $tmp/syn.csv --context-length 32 --prediction-length 8 --batch-size 16 --d-model 8 --num-layers 1 --quiet"
# shellcheck disable=SC2086
expect 1 "PTM_KERNELS: the environment sets 'bogus'" env PTM_KERNELS=bogus "$BIN" train $T --out "$tmp/run_bogus" --epochs 1

# 2. info counts parameters as Hugging Face's num_parameters() does: every tensor of
# model.safetensors but the BatchNorm buffers, the frozen sincos positional table included
# (docs/interop.md says the two counts agree), and says how many of them are trainable
if command -v python3 >/dev/null 2>&1; then
    for d in $G/*/; do
        [ -f "$d/config.json" ] || continue
        d=${d%/}
        "$BIN" info "$d" --json >"$tmp/info.json" 2>"$tmp/err" || { ko "info --json $d: $(cat "$tmp/err")"; continue; }
        "$BIN" info "$d" >"$tmp/info.txt"
        python3 - "$d" "$tmp/info.json" "$tmp/info.txt" <<'PY' >"$tmp/py" 2>&1 && ok || ko "$d: $(cat "$tmp/py")"
import json, struct, sys
d, info, text = sys.argv[1:]
with open(d + "/model.safetensors", "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
def numel(shape):
    k = 1
    for s in shape:
        k *= s
    return k
buffers = ("running_mean", "running_var", "num_batches_tracked")
hf = sum(numel(t["shape"]) for k, t in header.items()
         if k != "__metadata__" and not k.endswith(buffers))
frozen = sum(numel(t["shape"]) for k, t in header.items() if k.endswith("position_enc"))
cfg = json.load(open(d + "/config.json"))
if cfg.get("positional_encoding_type", "sincos") == "random":
    frozen = 0
got = json.load(open(info))
assert got["parameters"] == hf, (got["parameters"], hf)
assert got["trainable_parameters"] == hf - frozen, (got["trainable_parameters"], hf - frozen)
line = [l for l in open(text) if l.startswith("parameters:")][0]
assert line.split()[1] == str(hf), line
want = ("%d trainable + %d in the frozen sincos" % (hf - frozen, frozen)) if frozen else "all trainable"
assert want in line, (line, want)
PY
    done
    "$BIN" info $G/fc_common_selfattn4_pe_sincos | grep -q "^parameters:   9192 .*: 9064 trainable + 128 in the frozen sincos" && ok || ko "info of the sincos case: $("$BIN" info $G/fc_common_selfattn4_pe_sincos | grep parameters)"
fi

# 3. the loss chart of train: named by its run (directory in the title, the command under
# it), whole-number epoch ticks however short the run, the "best: epoch N" label inside the
# plot box (anchored at its end when the marker is in the right half: at the last epoch it ran
# past the right edge, x 936)
# shellcheck disable=SC2086
"$BIN" train $T --out "$tmp/run a" --epochs 2 --lr 0.01 && ok || ko "train failed"
svg="$tmp/run a/loss.svg"
grep -q "<title>$tmp/run a: training and validation loss per epoch</title>" "$svg" && ok || ko "loss.svg title does not name the run: $(grep '<title>' "$svg" | head -n 1)"
grep -q "class=\"subtitle\"[^>]*>patchtsmixer train --data $tmp/syn.csv .*--out &apos;$tmp/run a&apos; --epochs 2 --lr 0.01</text>" "$svg" && ok || ko "loss.svg lacks the command: $(grep subtitle "$svg")"
ticks=$(grep -o 'font-size="11" text-anchor="middle">[^<]*<' "$svg" | sed 's/.*>//; s/<//' | tr '\n' ' ')
[ "$ticks" = "1 2 " ] && ok || ko "epoch ticks of a 2-epoch run: '$ticks', expected '1 2 '"
best=$(grep -o '<text x="[0-9.]*" [^>]*>best: epoch [0-9]*<' "$svg")
bx=$(printf '%s' "$best" | sed 's/<text x="\([0-9.]*\)".*/\1/')
if printf '%s' "$best" | grep -q 'text-anchor="end"'; then
    awk -v x="$bx" 'BEGIN { exit !(x - 90 >= 78) }' && ok || ko "best label ends at $bx, past the left edge"
else
    awk -v x="$bx" 'BEGIN { exit !(x + 90 <= 936) }' && ok || ko "best label starts at $bx and runs past the right edge: $best"
fi
# a one-epoch run: ticks whole numbers too
# shellcheck disable=SC2086
"$BIN" train $T --out "$tmp/run1" --epochs 1 && ok || ko "train --epochs 1 failed"
grep -o 'font-size="11" text-anchor="middle">[^<]*<' "$tmp/run1/loss.svg" | sed 's/.*>//' | grep -q '\.' && ko "fractional epoch tick in a 1-epoch run" || ok
# --val-every: a validation line every N steps, a negative N a usage error
# shellcheck disable=SC2086
"$BIN" train $T --out "$tmp/run_ve" --epochs 1 --val-every 2 --quiet >/dev/null 2>&1 && ok || ko "train --val-every 2 failed"
[ -s "$tmp/run_ve/model.safetensors" ] && ok || ko "train --val-every 2 saved no model"
# shellcheck disable=SC2086
"$BIN" train ${T% --quiet} --out "$tmp/run_ve2" --epochs 1 --val-every 2 2>&1 | grep -q "^epoch 1/1 step 2/[0-9]*: val loss " && ok || ko "train --val-every 2 logs no mid-epoch validation"
# shellcheck disable=SC2086
expect 2 "--val-every '-1': expected an integer >= 0" "$BIN" train $T --out "$tmp/run_ve3" --val-every -1

# 4. predict --plot-columns draws the channels in the order given; a name that is no forecast
# channel is an error, not ignored
"$BIN" predict models/etth1 --input data/ETTh1.csv --holdout --plot "$tmp/ho.svg" --plot-columns OT,HUFL >/dev/null && ok || ko "predict --plot-columns OT,HUFL failed"
[ "$(grep -o '<g class="panel" data-panel="[^"]*"' "$tmp/ho.svg" | sed 's/.*data-panel="//; s/"//' | tr '\n' ' ')" = "OT HUFL " ] && ok || ko "--plot-columns OT,HUFL drew panels $(grep -o 'data-panel="[^"]*">' "$tmp/ho.svg" | tr '\n' ' ')"
"$BIN" predict models/etth1 --input data/ETTh1.csv --plot "$tmp/ho2.svg" --plot-columns HUFL,OT,HUFL >/dev/null && ok || ko "predict --plot-columns HUFL,OT,HUFL failed"
[ "$(grep -o '<g class="panel" data-panel="[^"]*"' "$tmp/ho2.svg" | sed 's/.*data-panel="//; s/"//' | tr '\n' ' ')" = "HUFL OT " ] && ok || ko "--plot-columns HUFL,OT,HUFL should draw HUFL then OT once each"
expect 1 "--plot-columns: 'ZZ' is not a forecast channel of models/etth1" \
    "$BIN" predict models/etth1 --input data/ETTh1.csv --plot "$tmp/ho3.svg" --plot-columns OT,ZZ

# 5. a classifier trained without --test has no test split: the summary says so instead of
# "test: accuracy 0.0000"; with --test it scores it. The data log names the test file's cases.
awk 'BEGIN { print "@problemName Syn"; print "@timeStamps false"; print "@missing false"
    print "@univariate false"; print "@dimensions 2"; print "@equalLength true"; print "@seriesLength 32"
    print "@classLabel true a b"; print "@data"
    for (k = 0; k < 20; k++) { c = k % 2; line = ""
        for (d = 0; d < 2; d++) { for (i = 0; i < 32; i++) line = line sprintf("%s%.4f", i ? "," : "", sin(i * (c + 1) / 3.0 + d) + (k % 5) * 0.01); line = line ":" }
        print line (c ? "b" : "a") } }' >"$tmp/syn.ts"
C="--task classify --data $tmp/syn.ts --epochs 1 --context-length 32 --patch-length 8 --d-model 8 --num-layers 1 --batch-size 8"
# shellcheck disable=SC2086
"$BIN" train $C --out "$tmp/cls" >"$tmp/out" 2>"$tmp/err" && ok || ko "train --task classify failed: $(cat "$tmp/err")"
grep -q "^test: none (no --test FILE.ts given; score the checkpoint on held-out cases with \`patchtsmixer eval $tmp/cls --data FILE.ts\`)$" "$tmp/err" && ok || ko "classify without --test: $(grep '^test' "$tmp/err")"
grep -q "accuracy 0.0000" "$tmp/err" && ko "classify without --test printed a test accuracy" || ok
grep -q "(16 train, 4 val), no test file$" "$tmp/err" && ok || ko "data log line: $(grep '^data' "$tmp/err")"
# shellcheck disable=SC2086
"$BIN" train $C --out "$tmp/cls2" --test "$tmp/syn.ts" >"$tmp/out" 2>"$tmp/err" && ok || ko "train --test failed: $(cat "$tmp/err")"
grep -q "^test: accuracy [0-9.]* (majority-class baseline 0.5000)$" "$tmp/err" && ok || ko "classify with --test: $(grep '^test' "$tmp/err")"
grep -q "(16 train, 4 val), test 20$" "$tmp/err" && ok || ko "data log line with --test: $(grep '^data' "$tmp/err")"

# 6. predict on a .ts file says what .ts files are for instead of a CSV cell count
expect 1 "syn.ts: a .ts file holds cases for classifiers and regressors, predict reads a CSV of past values: score a model on .ts cases with \`patchtsmixer eval $tmp/cls --data $tmp/syn.ts\`" \
    "$BIN" predict "$tmp/cls" --input "$tmp/syn.ts"
cp "$tmp/syn.ts" "$tmp/SYN.TS"
expect 1 "a .ts file holds cases" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/SYN.TS"
# a CSV still works for the same classifier (the last context_length rows are one case)
awk 'BEGIN { print "x,y"; for (i = 0; i < 40; i++) printf "%.4f,%.4f\n", sin(i / 3.0), cos(i / 3.0) }' >"$tmp/case.csv"
expect 0 "" "$BIN" predict "$tmp/cls" --input "$tmp/case.csv"
head -n 1 "$tmp/out" | grep -q "^class,label,p0,p1$" && ok || ko "classifier predict header: $(head -n 1 "$tmp/out")"
# the class names of the .ts file travel in config.json (id2label) and name the prediction
sed -n 2p "$tmp/out" | grep -q "^[01],\(a\|b\|[A-Za-z0-9_]*\)," && grep -q "\"id2label\": {" "$tmp/cls/config.json" && ok || ko "class label: $(cat "$tmp/out")"

echo "test_cli_usability: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
