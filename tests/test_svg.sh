#!/bin/sh
# test_svg.sh - the pictures and the I/O conventions of the `patchtsmixer` command: predict
# --plot (point forecasts, distribution bands, held-out actual values, --plot-columns), eval
# --plot, train's DIR/loss.svg + loss.csv (also across --resume), each SVG well-formed XML
# (xmllint, else python3's xml.etree, else skipped) holding the expected series per channel;
# '-' for standard input / output, info --json, --version, and the exit codes of misuse.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
G=tests/golden
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_svg: $*"; }

# well_formed FILE: parses as XML
well_formed() {
    if command -v xmllint >/dev/null 2>&1; then
        xmllint --noout "$1" 2>/dev/null
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" 2>/dev/null
    else
        true
    fi
}
# series FILE KIND NAME PANEL: how many series of that kind / name / panel the SVG holds
series() {
    grep -c "<g class=\"series\" data-kind=\"$2\" data-name=\"$3\" data-panel=\"$4\"" "$1"
}
# check_svg FILE KIND NAME PANEL [N]: well-formed, and exactly N (1) such series
check_svg() {
    f=$1; want=${5:-1}
    if ! well_formed "$f"; then ko "$f is not well-formed XML"; return; fi
    got=$(series "$f" "$2" "$3" "$4")
    [ "$got" -eq "$want" ] && ok || ko "$f: $got $2 series '$3' in panel '$4', expected $want"
}

# 1. point forecast: history + forecast per channel, no band, no actual values
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --output "$tmp/fc.csv" \
    --plot "$tmp/fc.svg" && ok || ko "predict --plot failed"
for ch in a b c; do
    check_svg "$tmp/fc.svg" line history "$ch"
    check_svg "$tmp/fc.svg" line forecast "$ch"
    check_svg "$tmp/fc.svg" line actual "$ch" 0
    check_svg "$tmp/fc.svg" band "" "$ch" 0
done
grep -q 'data-name="forecast" data-panel="a" data-points="12"' "$tmp/fc.svg" && ok || ko "forecast series should have 12 points"
grep -q '>2021-03-0' "$tmp/fc.svg" && ok || ko "x axis should be labelled with the file's timestamps"
# the CSV written alongside is unchanged by --plot
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --output "$tmp/fc2.csv"
cmp -s "$tmp/fc.csv" "$tmp/fc2.csv" && ok || ko "--plot changed the forecast CSV"
# --plot-columns, --plot-history
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --output "$tmp/o.csv" \
    --plot "$tmp/b.svg" --plot-columns b --plot-history 0
check_svg "$tmp/b.svg" line forecast b
check_svg "$tmp/b.svg" line forecast a 0
grep -q 'data-name="history" data-panel="b" data-points="64"' "$tmp/b.svg" && ok || ko "--plot-history 0 should draw the whole context"

# 2. distribution head: the band of the quantiles (with and without --samples)
awk 'BEGIN { print "a,b,c"; for (i = 0; i < 60; i++) printf "%.4f,%.4f,%.4f\n", sin(i / 4) + 2, cos(i / 5) * 3, i / 10 }' >"$tmp/nll.csv"
"$BIN" predict $G/fc_nll_normal_std --input "$tmp/nll.csv" --output "$tmp/nll_out.csv" --plot "$tmp/nll.svg" && ok || ko "predict --plot (nll) failed"
check_svg "$tmp/nll.svg" band "q0.1 - q0.9 (200 samples)" a
check_svg "$tmp/nll.svg" line forecast c
"$BIN" predict $G/fc_nll_normal_std --input "$tmp/nll.csv" --output "$tmp/nll_out.csv" --samples 50 \
    --quantiles 0.05,0.5,0.95 --seed 3 --plot "$tmp/nll2.svg" && ok || ko "predict --samples --plot failed"
check_svg "$tmp/nll2.svg" band "q0.05 - q0.95 (50 samples)" b
grep -q 'time step (0 = last observed value)' "$tmp/nll2.svg" && ok || ko "without timestamps the x axis should count steps"

# 3. --holdout: the last prediction_length rows are the actual values
"$BIN" predict models/etth1 --input data/ETTh1.csv --holdout --plot "$tmp/ho.svg" --plot-columns OT,HUFL \
    >"$tmp/ho.csv" && ok || ko "predict --holdout failed"
check_svg "$tmp/ho.svg" line actual OT
check_svg "$tmp/ho.svg" line actual HUFL
check_svg "$tmp/ho.svg" line forecast MULL 0
[ "$(sed -n 2p "$tmp/ho.csv" | cut -d, -f1)" = "$(tail -n 96 data/ETTh1.csv | head -n 1 | cut -d, -f1)" ] && ok || ko "--holdout forecast should start at the first held-out timestamp"

# 4. train: loss.csv + loss.svg after every epoch, continued by --resume; eval --plot
awk 'BEGIN { print "date,x,y"; for (i = 0; i < 400; i++) printf "2020-01-%02d %02d:00:00,%.5f,%.5f\n", 1 + int(i / 24), i % 24, sin(6.2832 * i / 24) + 0.01 * i, 2 * cos(6.2832 * i / 12) }' >"$tmp/syn.csv"
T="--data $tmp/syn.csv --context-length 32 --prediction-length 8 --batch-size 16 --d-model 8 --num-layers 2 --quiet"
# shellcheck disable=SC2086
"$BIN" train $T --out "$tmp/run" --epochs 2 && ok || ko "train failed"
check_svg "$tmp/run/loss.svg" line train loss
check_svg "$tmp/run/loss.svg" line validation loss
[ "$(wc -l <"$tmp/run/loss.csv")" -eq 3 ] && ok || ko "loss.csv should have a header and 2 epochs"
# shellcheck disable=SC2086
"$BIN" train $T --out "$tmp/run" --epochs 3 --resume && ok || ko "train --resume failed"
[ "$(cut -d, -f1 "$tmp/run/loss.csv" | tr '\n' ' ')" = "epoch 1 2 3 " ] && ok || ko "loss.csv after --resume: $(cat "$tmp/run/loss.csv")"
grep -q 'data-name="train" data-panel="loss" data-points="3"' "$tmp/run/loss.svg" && ok || ko "loss.svg after --resume should have 3 epochs"
"$BIN" eval "$tmp/run" --data "$tmp/syn.csv" --plot "$tmp/ev.svg" >/dev/null && ok || ko "eval --plot failed"
for ch in x y; do
    check_svg "$tmp/ev.svg" line actual "$ch"
    check_svg "$tmp/ev.svg" line forecast "$ch"
    check_svg "$tmp/ev.svg" line history "$ch"
done
"$BIN" eval "$tmp/run" --data "$tmp/syn.csv" --split val --plot "$tmp/ev0.svg" --plot-window 0 >/dev/null && ok || ko "eval --plot-window 0 failed"
grep -q 'val window 1 of' "$tmp/ev0.svg" && ok || ko "eval --plot-window 0 should draw the first window"
"$BIN" eval "$tmp/run" --data "$tmp/syn.csv" --plot "$tmp/x.svg" --plot-window 99999 >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "window 99999 does not exist" "$tmp/err" && ok || ko "eval --plot-window out of range: $(cat "$tmp/err")"

# column selection by name on every command that reads a CSV
# shellcheck disable=SC2086
"$BIN" train $T --out "$tmp/run_y" --epochs 1 --columns y && ok || ko "train --columns y failed"
grep -q '"num_input_channels": 1' "$tmp/run_y/config.json" && ok || ko "train --columns y should train on 1 channel"
"$BIN" eval "$tmp/run_y" --data "$tmp/syn.csv" --columns y --plot "$tmp/ev_y.svg" >/dev/null && ok || ko "eval --columns y failed"
check_svg "$tmp/ev_y.svg" line forecast y
"$BIN" predict "$tmp/run_y" --input "$tmp/syn.csv" --columns y --output "$tmp/y.csv" && ok || ko "predict --columns y failed"
[ "$(head -n 1 "$tmp/y.csv")" = "date,y" ] && ok || ko "predict --columns y header: $(head -n 1 "$tmp/y.csv")"
for cmd in "eval $tmp/run_y --data $tmp/syn.csv --columns zz" "predict $tmp/run_y --input $tmp/syn.csv --columns zz" \
    "train $T --out $tmp/run_z --columns zz"; do
    # shellcheck disable=SC2086
    "$BIN" $cmd >/dev/null 2>"$tmp/err"
    [ $? -eq 1 ] && grep -q "no column named 'zz'" "$tmp/err" && ok || ko "'$cmd': $(cat "$tmp/err")"
done

# 5. '-' is standard input / output; --plot - writes the SVG to standard output
"$BIN" predict $G/fc_common_gated_ln_std --input - --output - <tests/data/fc_past.csv >"$tmp/stdio.csv"
cmp -s "$tmp/stdio.csv" "$tmp/fc2.csv" && ok || ko "predict --input - --output - differs from files"
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --output "$tmp/o.csv" --plot - >"$tmp/stdout.svg"
check_svg "$tmp/stdout.svg" line forecast a
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --plot - >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok || ko "--plot - with --output - should be a usage error"

# 6. info --json, --version
"$BIN" info models/etth1 --json >"$tmp/info.json" && ok || ko "info --json failed"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["class"] == "TinyTimeMixerForPrediction" and d["config"]["context_length"] == 512 and d["parameters"] > 0' "$tmp/info.json" && ok || ko "info --json is not the expected JSON: $(cat "$tmp/info.json")"
fi
grep -q '"prediction_length": 96' "$tmp/info.json" && ok || ko "info --json lacks prediction_length"
"$BIN" --version | grep -q "^patchtsmixer [0-9]*\.[0-9]*\.[0-9]*$" && ok || ko "--version"

# 7. misuse: exit 2 and one line; runtime errors: exit 1
for args in "predict $G/cls_maxpool_std --input tests/data/fc_past.csv --plot $tmp/x.svg" \
    "predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --plot" \
    "predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --plot-history x" \
    "eval models/etth1 --data data/ETTh1.csv --plot-window -3" \
    "info models/etth1 --yaml"; do
    # shellcheck disable=SC2086
    "$BIN" $args >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok || ko "'$args' -> exit $rc, $(cat "$tmp/err")"
done
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --holdout >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "holdout needs context_length + prediction_length = 76" "$tmp/err" && ok || ko "--holdout on a short file: $(cat "$tmp/err")"
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --output "$tmp/o.csv" --plot "$tmp/nodir/x.svg" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "nodir/x.svg: cannot write" "$tmp/err" && ok || ko "unwritable --plot: $(cat "$tmp/err")"

echo "test_svg: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
