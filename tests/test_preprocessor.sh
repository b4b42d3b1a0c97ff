#!/bin/sh
# test_preprocessor.sh - the preprocessing that travels with a model (issue #12): `train` writes
# preprocessor_config.json (columns by name and role, the training split's scaler, timestamps,
# the command); `predict` picks the columns by name whatever their order in the file, feeds the
# model the scaled values and writes forecasts in the data's units - the same numbers as scaling
# the file by hand for the model without the file and scaling back; `eval` uses the saved
# scaler (the same metrics as fitting it again on the same file); a CSV without one of the
# columns, or --columns naming others, is refused with one line; a hostile preprocessor file is
# refused naming its key; a checkpoint without the file (Hugging Face's) predicts as before.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TEST_NAME=test_preprocessor.sh
. tests/cli_expect.sh


# numeric CSVs equal within a relative tolerance (after the header)
close_csv() {
    awk -F, -v tol="$3" 'NR == FNR { if (FNR > 1) for (i = 2; i <= NF; i++) a[FNR, i] = $i; next }
        FNR > 1 { for (i = 2; i <= NF; i++) { d = a[FNR, i] - $i; if (d < 0) d = -d
                  m = a[FNR, i] < 0 ? -a[FNR, i] : a[FNR, i]; if (d > tol * (1 + m)) bad++ } ; n++ }
        END { exit (bad > 0 || n == 0) }' "$1" "$2"
}

# data: levels far from 0 and scales far from 1, so that a missing scaler shows
awk 'BEGIN { print "date,a,b,c"; for (i = 0; i < 400; i++)
    printf "2021-03-%02d %02d:00:00,%.4f,%.4f,%.4f\n", 1 + int(i / 24), i % 24,
        50 + 8 * sin(i * 0.26), -20 + 0.5 * cos(i * 0.13), 1000 + 30 * sin(i * 0.05) }' >"$tmp/d.csv"
T="--context-length 32 --prediction-length 8 --patch-length 8 --d-model 8 --num-layers 1 --batch-size 32 --epochs 2 --quiet"
# shellcheck disable=SC2086
"$BIN" train --data "$tmp/d.csv" --out "$tmp/m" --columns c,a --scaling none $T 2>"$tmp/err" ||
    ko "train: $(cat "$tmp/err")"
P="$tmp/m/preprocessor_config.json"
[ -f "$P" ] && ok || ko "train wrote no preprocessor_config.json"
grep -q '"columns": \["c", "a"\]' "$P" && ok || ko "columns not c,a in order: $(cat "$P")"
grep -q '"target_columns": \["c", "a"\]' "$P" && ok || ko "target columns: $(cat "$P")"
grep -q '"timestamp_column": "date"' "$P" && grep -q '"time_step_seconds": 3600' "$P" &&
    grep -q '"timestamp_format": "%Y-%m-%d %H:%M:%S"' "$P" && ok || ko "timestamps: $(cat "$P")"
grep -q '"training_command": "patchtsmixer train --data .* --columns c,a --scaling none' "$P" &&
    ok || ko "training command: $(cat "$P")"

# the model card: Hugging Face's layout, the data, the command, the test metrics that eval gives
C="$tmp/m/README.md"
head -n 2 "$C" | grep -q '^library_name: patchtsmixer$' && grep -q '^pipeline_tag: time-series-forecasting$' "$C" &&
    grep -q '^- columns (channel order): `c`, `a`$' "$C" && grep -q '^patchtsmixer train --data .* --columns c,a' "$C" &&
    ok || ko "model card: $(cat "$C")"
mse=$(sed -n 's/^| test MSE (scaled space) | \([0-9.]*\) .*/\1/p' "$C")
"$BIN" eval "$tmp/m" --data "$tmp/d.csv" | grep -q "^MSE $mse " && ok ||
    ko "card's test MSE '$mse' is not eval's: $("$BIN" eval "$tmp/m" --data "$tmp/d.csv" | head -n 1)"

# info says what the model was trained on; --json carries it (null for a Hugging Face folder)
expect 0 "" "$BIN" info "$tmp/m"
grep -q '^columns:      c, a (forecast channels, in this order)$' "$tmp/out" &&
    grep -q '^scaler:       standard' "$tmp/out" && grep -q '^trained by:   patchtsmixer train' "$tmp/out" &&
    ok || ko "info: $(cat "$tmp/out")"
expect 0 "" "$BIN" info "$tmp/m" --json
grep -q '"preprocessor": {"columns": \["c", "a"\], "targets": \[true, true\], "scaled": true' "$tmp/out" &&
    ok || ko "info --json: $(cat "$tmp/out")"
expect 0 "" "$BIN" info tests/golden/fc_common_gated_ln_std --json
grep -q '"preprocessor": null}' "$tmp/out" && ok || ko "info --json without one: $(cat "$tmp/out")"

# predict picks c,a by name: a file with the columns in another order gives the same forecast
awk -F, -v OFS=, '{ print $1, $3, $4, $2 }' "$tmp/d.csv" >"$tmp/shuffled.csv"
expect 0 "" "$BIN" predict "$tmp/m" --input "$tmp/d.csv" --output "$tmp/f1.csv"
expect 0 "" "$BIN" predict "$tmp/m" --input "$tmp/shuffled.csv" --output "$tmp/f2.csv"
cmp -s "$tmp/f1.csv" "$tmp/f2.csv" && ok || ko "column order changed the forecast"
head -n 1 "$tmp/f1.csv" | grep -q '^date,c,a$' && ok || ko "header: $(head -n 1 "$tmp/f1.csv")"
# --columns naming the same columns is accepted; others are refused
expect 0 "" "$BIN" predict "$tmp/m" --input "$tmp/d.csv" --columns c,a --output "$tmp/f3.csv"
cmp -s "$tmp/f1.csv" "$tmp/f3.csv" && ok || ko "--columns c,a changed the forecast"
expect 1 "the model was trained on other columns" \
    "$BIN" predict "$tmp/m" --input "$tmp/d.csv" --columns a,c
awk -F, -v OFS=, '{ print $1, $2, $3 }' "$tmp/d.csv" >"$tmp/no_c.csv"
expect 1 'no column "c": the model was trained on the columns c,a' \
    "$BIN" predict "$tmp/m" --input "$tmp/no_c.csv"

# the forecast is the model's on the scaled window, scaled back: the same as scaling by hand
mc=$(sed -n 's/.*"mean": \[\([^,]*\), \([^]]*\)\].*/\1/p' "$P")
ma=$(sed -n 's/.*"mean": \[\([^,]*\), \([^]]*\)\].*/\2/p' "$P")
sc=$(sed -n 's/.*"scale": \[\([^,]*\), \([^]]*\)\].*/\1/p' "$P")
sa=$(sed -n 's/.*"scale": \[\([^,]*\), \([^]]*\)\].*/\2/p' "$P")
[ -n "$mc" ] && [ -n "$sa" ] && ok || ko "no scaler in $(cat "$P")"
mkdir "$tmp/bare" && cp "$tmp/m/config.json" "$tmp/m/model.safetensors" "$tmp/bare/"
awk -F, -v OFS=, -v mc="$mc" -v ma="$ma" -v sc="$sc" -v sa="$sa" \
    'NR == 1 { print "date,c,a"; next } { printf "%s,%.9g,%.9g\n", $1, ($4 - mc) / sc, ($2 - ma) / sa }' \
    "$tmp/d.csv" >"$tmp/scaled.csv"
expect 0 "" "$BIN" predict "$tmp/bare" --input "$tmp/scaled.csv" --output "$tmp/fs.csv"
awk -F, -v OFS=, -v mc="$mc" -v ma="$ma" -v sc="$sc" -v sa="$sa" \
    'NR == 1 { print; next } { printf "%s,%.7g,%.7g\n", $1, $2 * sc + mc, $3 * sa + ma }' \
    "$tmp/fs.csv" >"$tmp/fs_units.csv"
close_csv "$tmp/f1.csv" "$tmp/fs_units.csv" 1e-4 && ok || ko "predict differs from scaling by hand"
# ... and not what the model gives on raw values (the defect of issue #12)
expect 0 "" "$BIN" predict "$tmp/bare" --input "$tmp/d.csv" --columns c,a --output "$tmp/fraw.csv"
close_csv "$tmp/f1.csv" "$tmp/fraw.csv" 1e-2 && ko "raw input gave the same forecast" || ok

# eval: the saved scaler is the one it would fit on the same file: identical metrics
expect 0 "" "$BIN" eval "$tmp/m" --data "$tmp/d.csv"
cp "$tmp/out" "$tmp/e1"
expect 0 "" "$BIN" eval "$tmp/bare" --data "$tmp/d.csv" --columns c,a
cmp -s "$tmp/e1" "$tmp/out" && ok || ko "eval with the saved scaler: $(cat "$tmp/e1") vs $(cat "$tmp/out")"
expect 0 "" "$BIN" eval "$tmp/m" --data "$tmp/shuffled.csv"
cmp -s "$tmp/e1" "$tmp/out" && ok || ko "eval depends on the column order"
expect 1 "the model was trained on other columns" "$BIN" eval "$tmp/m" --data "$tmp/d.csv" --columns a,c
expect 1 'no column "c"' "$BIN" eval "$tmp/m" --data "$tmp/no_c.csv"

# a hostile preprocessor file is refused naming what is wrong
sed 's/"scaler"/"scalar"/' "$P" >"$tmp/p2" && cp "$tmp/p2" "$P"
expect 1 "preprocessor_config.json: scalar: unknown key" "$BIN" predict "$tmp/m" --input "$tmp/d.csv"
printf '{"preprocessor_type": "PatchTSMixerPreprocessor", "format_version": 1, "columns": ["c"], "target_columns": ["c"], "covariate_columns": []}' >"$P"
expect 1 "lists 1 columns, config.json has 2 channels" "$BIN" predict "$tmp/m" --input "$tmp/d.csv"

# a Hugging Face checkpoint (no preprocessor file) predicts as before: the bundled model's
# forecast is unchanged by this feature
expect 0 "" "$BIN" predict tests/golden/fc_common_gated_ln_std --input tests/data/fc_past.csv

echo "test_preprocessor.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
