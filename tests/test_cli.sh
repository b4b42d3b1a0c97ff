#!/bin/sh
# test_cli.sh - end-to-end checks of the `patchtsmixer` command: a forecast from a CSV matches
# the Hugging Face reference, and bad arguments or bad files give one clear line on stderr and
# the documented exit code (1 runtime error, 2 usage error), never a crash.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
G=tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TEST_NAME=test_cli
. tests/cli_expect.sh


# 1. forecast from CSV equals the HF expected values (rel 1e-4) with continued timestamps
"$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --output "$tmp/fc.csv"
if [ $? -eq 0 ] && awk -F, 'NR==FNR { if (FNR > 1) { t[FNR] = $1; for (i = 2; i <= NF; i++) e[FNR, i] = $i }; next }
    FNR > 1 { if ($1 != t[FNR]) bad = 1; for (i = 2; i <= NF; i++) { d = $i - e[FNR, i]; if (d < 0) d = -d; m = e[FNR, i]; if (m < 0) m = -m; if (d > 1e-4 * (1 + 100)) bad = 1 } }
    END { exit bad }' tests/data/fc_expected.csv "$tmp/fc.csv"; then ok; else ko "forecast differs from tests/data/fc_expected.csv"; fi
[ "$(wc -l <"$tmp/fc.csv")" -eq 13 ] && ok || ko "forecast should have 12 rows + header"

# 2. info, help, version
expect 0 "" "$BIN" info $G/fc_common_gated_ln_std
grep -q "PatchTSMixerForPrediction" "$tmp/out" && ok || ko "info does not name the class"
for c in info predict; do expect 0 "" "$BIN" $c --help; grep -q "example:" "$tmp/out" && ok || ko "$c --help lacks an example"; done
expect 0 "" "$BIN" --version

# 3. usage errors -> 2
expect 2 "unknown command" "$BIN" frobnicate
expect 2 "missing --input" "$BIN" predict $G/fc_common_gated_ln_std
expect 2 "unknown option" "$BIN" predict $G/fc_common_gated_ln_std --bogus
expect 2 "needs a value" "$BIN" predict $G/fc_common_gated_ln_std --input
expect 2 "needs a distribution head" "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --samples 10

# 4. runtime errors -> 1, one line naming the file
expect 1 "nothing.csv: cannot open" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/nothing.csv"
head -n 20 tests/data/fc_past.csv >"$tmp/short.csv"
expect 1 "19 data rows, the model needs at least context_length = 64" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/short.csv"
cut -d, -f1-3 tests/data/fc_past.csv >"$tmp/cols.csv"
expect 1 "2 value columns, the model expects 3" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/cols.csv"
sed '30s/,[^,]*$/,abc/' tests/data/fc_past.csv >"$tmp/nonnum.csv"
expect 1 "column 'c'" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/nonnum.csv"
sed '30s/,[^,]*$//' tests/data/fc_past.csv >"$tmp/ragged.csv"
expect 1 "row 30" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/ragged.csv"
expect 1 "no column named 'zz'" "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --columns a,b,zz
expect 1 "config.json: cannot open" "$BIN" info "$tmp"
mkdir -p "$tmp/m" && cp $G/fc_common_gated_ln_std/config.json "$tmp/m/"
expect 1 "model.safetensors: cannot open" "$BIN" info "$tmp/m"
: >"$tmp/m/model.safetensors"
expect 1 "model.safetensors" "$BIN" info "$tmp/m"
expect 1 "has no prediction head" "$BIN" predict $G/model_base_mix_bn_obsmask --input tests/data/fc_past.csv

# 5. empty cells are missing values: the forecast still runs
sed '30s/,[^,]*$/,/' tests/data/fc_past.csv >"$tmp/missing.csv"
expect 0 "" "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/missing.csv"

# 6. distribution head: mean + quantiles of seeded samples, reproducible
"$BIN" predict $G/fc_nll_normal_std --input tests/data/fc_past.csv --samples 200 --quantiles 0.1,0.9 --seed 7 >"$tmp/q1.csv" 2>"$tmp/err" && ok || ko "sampling failed: $(cat "$tmp/err")"
"$BIN" predict $G/fc_nll_normal_std --input tests/data/fc_past.csv --samples 200 --quantiles 0.1,0.9 --seed 7 >"$tmp/q2.csv"
cmp -s "$tmp/q1.csv" "$tmp/q2.csv" && ok || ko "same seed gave different samples"
head -n 1 "$tmp/q1.csv" | grep -q "a_q0.1" && ok || ko "quantile columns missing"
# q0.1 <= mean <= q0.9 for (nearly) every cell
awk -F, 'NR > 1 { for (i = 2; i <= 4; i++) { n++; if ($(i+3) <= $i && $i <= $(i+6)) k++ } } END { exit !(k >= 0.9 * n) }' "$tmp/q1.csv" && ok || ko "mean outside its 80% interval too often"

# 6. TinyTimeMixer: info (text and JSON) and a forecast equal to granite-tsfm's (sample 0 of a
# golden case; max 53: tolerance 1e-4 (1 + 60))
T=$G/ttm
expect 0 "" "$BIN" info $T/r2_512_96_7ch
grep -q "TinyTimeMixerForPrediction" "$tmp/out" && grep -q "805280" "$tmp/out" && ok || ko "info of a TTM model"
expect 0 "" "$BIN" info --json $T/fcm_w2_nomixer_noprepend_filter
grep -q '"prediction_filter_length": 7' "$tmp/out" && ok || ko "info --json of a TTM model"
"$BIN" predict $T/decoder_mix_rawres_apl2_mean --input tests/data/ttm_past.csv --output "$tmp/ttm.csv"
if [ $? -eq 0 ] && awk -F, 'NR==FNR { for (i = 1; i <= NF; i++) e[FNR, i] = $i; next }
    FNR > 1 { for (i = 2; i <= NF; i++) { d = $i - e[FNR, i]; if (d < 0) d = -d; if (d > 1e-4 * 61) bad = 1 } }
    END { exit bad }' tests/data/ttm_expected.csv "$tmp/ttm.csv"; then ok; else ko "TTM forecast differs from tests/data/ttm_expected.csv"; fi
expect 1 "needs a frequency token" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input tests/data/ttm_past.csv --columns a,b

echo "test_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
