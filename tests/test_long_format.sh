#!/bin/sh
# test_long_format.sh - `patchtsmixer predict` on long-format input (issue #12, many series):
# a file of a few series in statsforecast's layout (unique_id, ds, y, covariates; rows out of
# order) is detected from its header, each valid series is forecast exactly as `predict` on that
# series alone as a wide CSV (the same text, bit for bit; batched or not), the broken ones (too
# short, a gap, no values) are skipped with one stderr line each and a summary, the output is
# long (unique_id, ds, PatchTSMixer, statsforecast's -lo-/-hi- interval columns, quantiles),
# --strict, custom column names, integer times, standard input, a model with a
# preprocessor_config.json (columns by name, its scaler) and a one-channel model without one;
# `eval` holds out the last rows of each series (per-series MSE / MAE as recomputed from
# `predict --holdout` on each series alone); usage and file errors have their exit codes and one
# line.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
M=tests/golden/fc_nll_normal_std # 3 channels, context 48, horizon 12, normal distribution head
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_long_format.sh: $*"; }

# expect RC PATTERN CMD...: exit code RC, stderr one line matching PATTERN
expect() {
    want_rc=$1; pat=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne "$want_rc" ]; then ko "$* -> exit $rc, expected $want_rc: $(cat "$tmp/err")"; return; fi
    if [ "$lines" -ne 1 ]; then ko "$* -> $lines stderr lines, expected 1: $(cat "$tmp/err")"; return; fi
    if ! grep -q -- "$pat" "$tmp/err"; then ko "$* -> stderr '$(cat "$tmp/err")' lacks '$pat'"; return; fi
    ok
}

# the series: S0 and S1 valid (S1 written backwards), S2 too short, S3 with a gap in its last
# 48 rows, S4 without any y; rows of the series interleaved
awk 'BEGIN { print "unique_id,ds,y,x1,x2"
    for (i = 59; i >= 0; i--) {
        printf "S0,2024-01-%02d %02d:00:00,%g,%g,%g\n", 1 + int((i + 5) / 24), (i + 5) % 24,
            sin(i * 0.3) * 4 + 10, cos(i * 0.2), i % 5
        if (i < 20) printf "S2,2024-02-01 %02d:00:00,%g,1,2\n", i, i
        j = 59 - i
        printf "S1,2024-03-%02d %02d:00:00,%g,%g,%g\n", 1 + int(j / 24), j % 24,
            cos(j * 0.7) * 2 - 3, sin(j * 0.1), (j * 7) % 3
        if (i != 30) printf "S3,2024-01-%02d %02d:00:00,%g,0,0\n", 1 + int(i / 24), i % 24, i
        printf "S4,2024-01-%02d %02d:00:00,NA,1,1\n", 1 + int(i / 24), i % 24
    } }' >"$tmp/long.csv"
# S0 and S1 alone, as wide CSVs sorted by time
for s in S0 S1; do
    { echo "ds,y,x1,x2"; grep "^$s," "$tmp/long.csv" | cut -d, -f2- | sort; } >"$tmp/wide_$s.csv"
done

"$BIN" predict $M --input "$tmp/long.csv" --output "$tmp/fc.csv" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok || ko "predict on a long file with broken series -> exit $rc: $(cat "$tmp/err")"
cat >"$tmp/err_want" <<'EOF'
patchtsmixer predict: skipped series 'S3': irregular time steps in its last 48 rows: '2024-01-02 05:00:00' to '2024-01-02 07:00:00' is not the step of '2024-01-01 11:00:00' to '2024-01-01 12:00:00'
patchtsmixer predict: skipped series 'S4': no value in column 'y' in its last 48 rows
patchtsmixer predict: skipped series 'S2': 20 rows, at least 48 needed
patchtsmixer predict: forecast 2 series, skipped 3 (see above)
EOF
cmp -s "$tmp/err" "$tmp/err_want" && ok || ko "stderr: $(cat "$tmp/err")"
[ "$(head -n 1 "$tmp/fc.csv")" = "unique_id,ds,PatchTSMixer" ] && ok || ko "header: $(head -n 1 "$tmp/fc.csv")"
[ "$(wc -l <"$tmp/fc.csv")" -eq 25 ] && ok || ko "$(wc -l <"$tmp/fc.csv") lines, expected 1 + 2 x 12"
[ "$(cut -d, -f1 "$tmp/fc.csv" | uniq | tr '\n' ' ')" = "unique_id S0 S1 " ] && ok ||
    ko "series order: $(cut -d, -f1 "$tmp/fc.csv" | uniq | tr '\n' ' ')"
# each series exactly as predict on it alone (the timestamps and the y column, as text)
for s in S0 S1; do
    "$BIN" predict $M --input "$tmp/wide_$s.csv" --output "$tmp/wfc_$s.csv" 2>"$tmp/err" ||
        ko "wide predict on $s: $(cat "$tmp/err")"
    tail -n +2 "$tmp/wfc_$s.csv" | cut -d, -f1,2 >"$tmp/want_$s"
    grep "^$s," "$tmp/fc.csv" | cut -d, -f2- >"$tmp/got_$s"
    cmp -s "$tmp/want_$s" "$tmp/got_$s" && ok || ko "$s differs from predict on it alone: $(diff "$tmp/want_$s" "$tmp/got_$s" | head -4)"
done
[ "$(grep '^S0,' "$tmp/fc.csv" | head -n 1 | cut -d, -f2)" = "2024-01-03 17:00:00" ] && ok ||
    ko "S0's first forecast time: $(grep '^S0,' "$tmp/fc.csv" | head -n 1)"
# one series per forward gives the same text; so does standard input with --long
"$BIN" predict $M --input "$tmp/long.csv" --batch-size 1 --output "$tmp/fc1.csv" 2>/dev/null
cmp -s "$tmp/fc.csv" "$tmp/fc1.csv" && ok || ko "--batch-size 1 changes the forecasts"
"$BIN" predict $M --long --input - <"$tmp/long.csv" >"$tmp/fc_stdin.csv" 2>/dev/null
cmp -s "$tmp/fc.csv" "$tmp/fc_stdin.csv" && ok || ko "--long --input - differs"

# intervals: statsforecast's names and order, nested; quantiles beside them when asked
"$BIN" predict $M --input "$tmp/long.csv" --samples 200 --seed 3 --levels 95,80 \
    --output "$tmp/iv.csv" 2>/dev/null || ko "--samples --levels failed"
[ "$(head -n 1 "$tmp/iv.csv")" = "unique_id,ds,PatchTSMixer,PatchTSMixer-lo-95,PatchTSMixer-lo-80,PatchTSMixer-hi-80,PatchTSMixer-hi-95" ] &&
    ok || ko "interval header: $(head -n 1 "$tmp/iv.csv")"
awk -F, 'NR > 1 { if (!($4 <= $5 && $5 <= $6 && $6 <= $7)) bad++; n++ }
    END { exit (bad > 0 || n != 24) }' "$tmp/iv.csv" && ok || ko "intervals not nested: $(sed -n 2,3p "$tmp/iv.csv")"
cut -d, -f1-3 "$tmp/iv.csv" | cmp -s - "$tmp/fc.csv" && ok || ko "the mean column changes with --samples"
"$BIN" predict $M --input "$tmp/long.csv" --samples 50 --levels 90,90 --quantiles 0.5 --alias PTM \
    --output "$tmp/q.csv" 2>/dev/null
[ "$(head -n 1 "$tmp/q.csv")" = "unique_id,ds,PTM,PTM-lo-90,PTM-hi-90,PTM_q0.5" ] && ok ||
    ko "--alias/--quantiles header: $(head -n 1 "$tmp/q.csv")"
"$BIN" predict $M --input "$tmp/long.csv" --samples 50 --output "$tmp/q3.csv" 2>/dev/null
[ "$(head -n 1 "$tmp/q3.csv")" = "unique_id,ds,PatchTSMixer,PatchTSMixer_q0.1,PatchTSMixer_q0.5,PatchTSMixer_q0.9" ] &&
    ok || ko "default quantiles header: $(head -n 1 "$tmp/q3.csv")"

# --strict: nothing written, exit 1; nothing valid at all: exit 1
echo "old" >"$tmp/strict.csv"
"$BIN" predict $M --input "$tmp/long.csv" --strict --output "$tmp/strict.csv" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok || ko "--strict -> exit $rc"
[ "$(cat "$tmp/strict.csv")" = "old" ] && ok || ko "--strict wrote the output"
[ "$(tail -n 1 "$tmp/err")" = "patchtsmixer: $tmp/long.csv: --strict: 3 of 5 series skipped (reasons above); nothing written" ] &&
    ok || ko "--strict message: $(tail -n 1 "$tmp/err")"
grep -E '^(unique_id|S2|S3)' "$tmp/long.csv" >"$tmp/bad.csv"
"$BIN" predict $M --input "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(tail -n 1 "$tmp/err")" = "patchtsmixer: $tmp/bad.csv: no series could be forecast (2 skipped, reasons above)" ] &&
    ok || ko "all broken -> exit $rc: $(cat "$tmp/err")"

# other names (GluonTS / M5 style), integer times, a quoted id
awk 'BEGIN { print "sales;item;t;price;promo"
    for (i = 0; i < 50; i++) printf "%g;\"a;b\";%d;%g;%d\n", i % 7, 100 + 2 * i, i * 0.1, i % 2 }' >"$tmp/m5.csv"
"$BIN" predict $M --input "$tmp/m5.csv" --id-column item --time-column t --target-column sales \
    --output "$tmp/m5fc.csv" 2>"$tmp/err" || ko "custom names: $(cat "$tmp/err")"
[ "$(head -n 1 "$tmp/m5fc.csv")" = 'item,t,PatchTSMixer' ] && [ "$(sed -n 2p "$tmp/m5fc.csv" | cut -d, -f1-2)" = '"a;b",200' ] &&
    ok || ko "custom names output: $(sed -n 1,2p "$tmp/m5fc.csv")"
[ "$(tail -n 1 "$tmp/m5fc.csv" | cut -d, -f2)" = "222" ] && ok || ko "integer times: $(tail -n 1 "$tmp/m5fc.csv")"

# a model with a preprocessor_config.json (column y by name, its scaler), one without (one
# channel: the target alone); both as predict on the series alone
awk 'BEGIN { print "date,y"; for (i = 0; i < 300; i++)
    printf "2021-03-%02d %02d:00:00,%.4f\n", 1 + int(i / 24), i % 24, 50 + 8 * sin(i * 0.26) }' >"$tmp/train.csv"
"$BIN" train --data "$tmp/train.csv" --out "$tmp/m1" --columns y --scaling none --context-length 32 \
    --prediction-length 8 --patch-length 8 --d-model 8 --num-layers 1 --batch-size 32 --epochs 1 \
    --quiet 2>"$tmp/err" || ko "train: $(cat "$tmp/err")"
mkdir -p "$tmp/m1_hf"
cp "$tmp/m1/config.json" "$tmp/m1/model.safetensors" "$tmp/m1_hf/"
for m in m1 m1_hf; do
    "$BIN" predict "$tmp/$m" --input "$tmp/long.csv" --output "$tmp/fc_$m.csv" 2>"$tmp/err"
    [ "$(grep -c skipped "$tmp/err")" -eq 4 ] && ok || ko "$m: $(cat "$tmp/err")"
    for s in S0 S1; do
        { echo "ds,y"; grep "^$s," "$tmp/long.csv" | cut -d, -f2,3 | sort; } >"$tmp/w.csv"
        "$BIN" predict "$tmp/$m" --input "$tmp/w.csv" 2>/dev/null | tail -n +2 >"$tmp/want"
        grep "^$s," "$tmp/fc_$m.csv" | cut -d, -f2- >"$tmp/got"
        cmp -s "$tmp/want" "$tmp/got" && [ -s "$tmp/got" ] && ok || ko "$m, $s differs from predict on it alone"
    done
done
cmp -s "$tmp/fc_m1.csv" "$tmp/fc_m1_hf.csv" && ko "the saved scaler made no difference" || ok

# eval: the last 12 rows of each series held out; per-series MSE / MAE as recomputed from
# `predict --holdout` on the series alone (S3's gap leaves it 59 rows: skipped as too short)
"$BIN" eval $M --data "$tmp/long.csv" --per-series "$tmp/per.csv" >"$tmp/ev.txt" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c 'patchtsmixer eval: skipped series' "$tmp/err")" -eq 3 ] && ok ||
    ko "eval -> exit $rc: $(cat "$tmp/err")"
[ "$(head -n 1 "$tmp/ev.txt")" = "2 series (last 12 rows of each held out), 3 skipped" ] && ok ||
    ko "eval report: $(cat "$tmp/ev.txt")"
for s in S0 S1; do
    "$BIN" predict $M --input "$tmp/wide_$s.csv" --holdout 2>/dev/null | tail -n +2 | cut -d, -f2 >"$tmp/f"
    tail -n 12 "$tmp/wide_$s.csv" | cut -d, -f2 >"$tmp/a"
    want=$(paste -d, "$tmp/f" "$tmp/a" | awk -F, '{ d = $1 - $2; s += d * d; e += (d < 0 ? -d : d) }
        END { printf "%.9g %.9g", s / NR, e / NR }')
    got=$(grep "^$s," "$tmp/per.csv" | awk -F, '{ printf "%s %s", $3, $4 }')
    echo "$want $got" | awk '{ for (i = 1; i <= 2; i++) { d = $i - $(i + 2); if (d < 0) d = -d
        if (d > 1e-5 * (1 + $i)) bad++ } } END { exit bad > 0 }' && ok || ko "eval $s: want $want, got $got"
done
"$BIN" eval $M --data "$tmp/long.csv" --json 2>/dev/null | grep -q '^{"series": 2, "skipped": 3, "values": 24, "mse": ' &&
    ok || ko "eval --json: $("$BIN" eval $M --data "$tmp/long.csv" --json 2>&1)"
expect 2 "--levels and --alias are options of predict" "$BIN" eval $M --data "$tmp/long.csv" --levels 80

# eval: the last 12 rows of each series held out; per-series MSE / MAE as recomputed from
# `predict --holdout` on the series alone (S3's gap leaves it 59 rows: skipped as too short)
"$BIN" eval $M --data "$tmp/long.csv" --per-series "$tmp/per.csv" >"$tmp/ev.txt" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c 'patchtsmixer eval: skipped series' "$tmp/err")" -eq 3 ] && ok ||
    ko "eval -> exit $rc: $(cat "$tmp/err")"
[ "$(head -n 1 "$tmp/ev.txt")" = "2 series (last 12 rows of each held out), 3 skipped" ] && ok ||
    ko "eval report: $(cat "$tmp/ev.txt")"
for s in S0 S1; do
    "$BIN" predict $M --input "$tmp/wide_$s.csv" --holdout 2>/dev/null | tail -n +2 | cut -d, -f2 >"$tmp/f"
    tail -n 12 "$tmp/wide_$s.csv" | cut -d, -f2 >"$tmp/a"
    want=$(paste -d, "$tmp/f" "$tmp/a" | awk -F, '{ d = $1 - $2; s += d * d; e += (d < 0 ? -d : d) }
        END { printf "%.9g %.9g", s / NR, e / NR }')
    got=$(grep "^$s," "$tmp/per.csv" | awk -F, '{ printf "%s %s", $3, $4 }')
    echo "$want $got" | awk '{ for (i = 1; i <= 2; i++) { d = $i - $(i + 2); if (d < 0) d = -d
        if (d > 1e-5 * (1 + $i)) bad++ } } END { exit bad > 0 }' && ok || ko "eval $s: want $want, got $got"
done
"$BIN" eval $M --data "$tmp/long.csv" --json 2>/dev/null | grep -q '^{"series": 2, "skipped": 3, "values": 24, "mse": ' &&
    ok || ko "eval --json: $("$BIN" eval $M --data "$tmp/long.csv" --json 2>&1)"
expect 2 "--levels and --alias are options of predict" "$BIN" eval $M --data "$tmp/long.csv" --levels 80

# usage and file errors
expect 2 "--levels needs --samples N" "$BIN" predict $M --input "$tmp/long.csv" --levels 80
expect 2 "--levels '0,80': each must be in (0, 100)" "$BIN" predict $M --input "$tmp/long.csv" --samples 9 --levels 0,80
expect 2 "are for long-format input" "$BIN" predict $M --input "$tmp/wide_S0.csv" --strict
expect 2 "--holdout is not available with long-format input" "$BIN" predict $M --input "$tmp/long.csv" --holdout
expect 2 "--batch-size '0' is not an integer" "$BIN" predict $M --input "$tmp/long.csv" --batch-size 0
expect 2 "long-format input is for forecasters" "$BIN" predict tests/golden/cls_maxpool_std --input "$tmp/long.csv"
expect 1 "line 1: no column 'y' in the header" "$BIN" predict $M --input "$tmp/m5.csv" --long --id-column item --time-column t
cut -d, -f1-4 "$tmp/long.csv" >"$tmp/two.csv"
expect 1 "2 value columns (the target and covariates), the model expects 3" "$BIN" predict $M --input "$tmp/two.csv"
expect 1 "row 3 has 2 cells, expected 5" sh -c "printf 'unique_id,ds,y,x1,x2\nA,1,2,3,4\nA,2\n' | '$BIN' predict $M --long --input -"

echo "test_long_format.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
