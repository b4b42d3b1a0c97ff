#!/bin/sh
# test_backtest.sh - `patchtsmixer backtest` (issue #12): rolling-origin evaluation of a tiny
# forecaster. The metrics of one series (MAE, MSE, sMAPE, MASE with a season) are recomputed
# by hand with awk from `predict --holdout` forecasts at the same origins; --stride 1 gives
# eval's metrics; --json and --output carry the documented fields; a distribution head adds
# CRPS and coverage; --plot draws a panel per series; errors (not a forecaster, too few rows,
# a bad stride or range) are one line with the usual exit codes.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TEST_NAME=test_backtest.sh
. tests/cli_expect.sh


# 400 hourly rows; the custom split: train rows [0, 280), val [280, 320), test [320, 400)
awk 'BEGIN { print "date,a,b,c"; for (i = 0; i < 400; i++)
    printf "2021-03-%02d %02d:00:00,%.4f,%.4f,%.4f\n", 1 + int(i / 24), i % 24,
        50 + 8 * sin(i * 0.26), -20 + 0.5 * cos(i * 0.13), 1000 + 30 * sin(i * 0.05) }' >"$tmp/d.csv"
T="--context-length 32 --prediction-length 8 --patch-length 8 --d-model 8 --num-layers 1 --batch-size 32 --epochs 1 --quiet"
# shellcheck disable=SC2086
"$BIN" train --data "$tmp/d.csv" --out "$tmp/m" --columns c,a --scaling none $T 2>"$tmp/err" ||
    ko "train: $(cat "$tmp/err")"

# the default: the test split, stride = horizon: 10 origins of 8 rows
expect 0 "" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --json
J="$tmp/out"
for f in '"split": "test"' '"first_row": 320' '"end_row": 400' '"prediction_length": 8' \
    '"stride": 8' '"season": 1' '"origins": 10' '"distribution": false' '"samples": null' \
    '"intervals": \[\]' '"unique_id": "c"' '"unique_id": "a"' '"all": {"points": 160'; do
    grep -q "$f" "$J" && ok || ko "--json lacks $f: $(cat "$J")"
done
for k in points mse mae rmse mase smape mse_scaled mae_scaled; do
    [ -n "$(json_field "$J" a "$k")" ] && ok || ko "--json series a lacks $k"
done
[ -n "$(json_field "$J" a mase_scale)" ] && ok || ko "--json series a lacks mase_scale"
grep -q '"crps"' "$J" && ko "a point forecaster reports crps" || ok
expect 0 "" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv"
grep -q '^backtest of .*: test split 320 to 400, 10 origins every 8 rows, horizon 8$' "$tmp/out" &&
    grep -q '^all ' "$tmp/out" && ok || ko "table: $(cat "$tmp/out")"

# by hand: rows [320, 336) with season 24 are 2 origins (cutoffs 319 and 327); predict
# --holdout on the rows up to each origin's last forecast row gives the same forecasts
expect 0 "" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --start 320 --end 336 --season 24 --json \
    --output "$tmp/bt.csv"
cp "$tmp/out" "$tmp/j2"
grep -q '"split": null' "$tmp/j2" && grep -q '"origins": 2' "$tmp/j2" && ok ||
    ko "--start/--end: $(cat "$tmp/j2")"
: >"$tmp/fc"
for cut in 319 327; do
    head -n $((cut + 8 + 2)) "$tmp/d.csv" >"$tmp/past.csv"
    "$BIN" predict "$tmp/m" --input "$tmp/past.csv" --holdout --output "$tmp/f.csv" 2>"$tmp/err" ||
        ko "predict --holdout: $(cat "$tmp/err")"
    # forecast of a (the third column: date,c,a) next to the actual a (column 2 of the data)
    tail -n +2 "$tmp/f.csv" | cut -d, -f3 >"$tmp/f.a"
    tail -n 8 "$tmp/past.csv" | cut -d, -f2 | paste -d, - "$tmp/f.a" >>"$tmp/fc"
done
[ "$(wc -l <"$tmp/fc")" -eq 16 ] && ok || ko "16 forecast points expected: $(cat "$tmp/fc")"
# the MASE scale: mean |a[t] - a[t-24]| over the training rows [0, 280)
scale=$(awk -F, 'NR > 1 && NR <= 281 { x[NR - 2] = $2 } END { for (i = 24; i < 280; i++) {
    d = x[i] - x[i - 24]; s += d < 0 ? -d : d }; printf "%.10g", s / 256 }' "$tmp/d.csv")
awk -F, '{ e = $2 - $1; ae += e < 0 ? -e : e; se += e * e; y = $1 < 0 ? -$1 : $1; f = $2 < 0 ? -$2 : $2
    if (y + f > 0) sm += 200 * (e < 0 ? -e : e) / (y + f); n++ }
    END { printf "%.10g %.10g %.10g\n", ae / n, se / n, sm / n }' "$tmp/fc" >"$tmp/hand"
read -r mae mse smape <"$tmp/hand"
close "$(json_field "$tmp/j2" a mae)" "$mae" 1e-5 && ok || ko "MAE $(json_field "$tmp/j2" a mae) vs by hand $mae"
close "$(json_field "$tmp/j2" a mse)" "$mse" 1e-5 && ok || ko "MSE $(json_field "$tmp/j2" a mse) vs by hand $mse"
close "$(json_field "$tmp/j2" a smape)" "$smape" 1e-5 && ok || ko "sMAPE vs by hand $smape"
close "$(json_field "$tmp/j2" a mase_scale)" "$scale" 1e-5 && ok || ko "MASE scale vs by hand $scale"
mase=$(awk -v a="$mae" -v s="$scale" 'BEGIN { printf "%.10g", a / s }')
close "$(json_field "$tmp/j2" a mase)" "$mase" 1e-5 && ok || ko "MASE vs by hand $mase"
rmse=$(awk -v m="$mse" 'BEGIN { printf "%.10g", sqrt(m) }')
close "$(json_field "$tmp/j2" a rmse)" "$rmse" 1e-5 && ok || ko "RMSE vs by hand $rmse"

# --output: one row per origin and series; the second origin's MAE of a by hand
head -n 1 "$tmp/bt.csv" | grep -q '^unique_id,cutoff,cutoff_row,points,mse,mae,rmse,mase,smape,mse_scaled,mae_scaled$' &&
    ok || ko "--output header: $(head -n 1 "$tmp/bt.csv")"
[ "$(wc -l <"$tmp/bt.csv")" -eq 5 ] && ok || ko "--output: 4 rows expected: $(cat "$tmp/bt.csv")"
grep -q '^a,2021-03-14 15:00:00,327,8,' "$tmp/bt.csv" && ok || ko "--output cutoff: $(cat "$tmp/bt.csv")"
mae2=$(tail -n 8 "$tmp/fc" | awk -F, '{ e = $2 - $1; ae += e < 0 ? -e : e } END { printf "%.10g", ae / 8 }')
got=$(awk -F, '$1 == "a" && $3 == 327 { print $6 }' "$tmp/bt.csv")
close "$got" "$mae2" 1e-5 && ok || ko "--output MAE of origin 327: $got vs by hand $mae2"

# missing values: left out of the metrics and of MASE's scale (its pairs need both ends)
awk -F, 'BEGIN { OFS = "," } NR == 100 || NR == 324 || NR == 325 { $2 = "" } { print }' "$tmp/d.csv" >"$tmp/miss.csv"
expect 0 "" "$BIN" backtest "$tmp/m" --data "$tmp/miss.csv" --start 320 --end 336 --json --output "$tmp/miss_o.csv"
[ "$(json_field "$tmp/out" a points)" = 14 ] && [ "$(json_field "$tmp/out" c points)" = 16 ] && ok ||
    ko "points with 2 missing values: $(cat "$tmp/out")"
grep -q '^a,2021-03-14 07:00:00,319,6,' "$tmp/miss_o.csv" && ok || ko "--output points: $(cat "$tmp/miss_o.csv")"
scale=$(awk -F, 'NR > 1 && NR <= 281 { x[NR - 2] = $2 } END { for (i = 1; i < 280; i++)
    if (x[i] != "" && x[i - 1] != "") { d = x[i] - x[i - 1]; s += d < 0 ? -d : d; n++ }
    printf "%.10g", s / n }' "$tmp/miss.csv")
close "$(json_field "$tmp/out" a mase_scale)" "$scale" 1e-6 && ok || ko "MASE scale with gaps vs by hand $scale"

# stride 1 over the test split: the windows of eval, the same metrics
expect 0 "" "$BIN" eval "$tmp/m" --data "$tmp/d.csv" --json
ev="$(sed 's/.*"mse": \([^,]*\),.*/\1/' "$tmp/out")"
evu="$(sed 's/.*"mae_original_units": \([^,]*\),.*/\1/' "$tmp/out")"
expect 0 "" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --stride 1 --json
close "$(json_field "$tmp/out" all mse_scaled)" "$ev" 1e-6 && ok || ko "stride 1 vs eval MSE $ev: $(cat "$tmp/out")"
close "$(json_field "$tmp/out" all mae)" "$evu" 1e-6 && ok || ko "stride 1 vs eval MAE in units $evu"

# --plot: a panel per series with the metric's line
expect 0 "" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --split val --plot "$tmp/p.svg" --plot-metric mase
grep -q '<svg' "$tmp/p.svg" && [ "$(grep -c 'class="series" data-kind="line" data-name="mase"' "$tmp/p.svg")" -eq 2 ] &&
    grep -q '2021-03-12 15:00:00' "$tmp/p.svg" && ok || ko "--plot: $(head -c 300 "$tmp/p.svg")"

# a distribution head: CRPS and the coverage of each interval
# shellcheck disable=SC2086
"$BIN" train --data "$tmp/d.csv" --out "$tmp/n" --columns a --loss nll --distribution normal $T \
    2>"$tmp/err" || ko "train nll: $(cat "$tmp/err")"
expect 0 "" "$BIN" backtest "$tmp/n" --data "$tmp/d.csv" --samples 20 --quantiles 0.05,0.1,0.9,0.95 --json
grep -q '"distribution": true, "samples": 20, "intervals": \[{"name": "coverage_90", "lo": 0.05, "hi": 0.95}, {"name": "coverage_80", "lo": 0.1, "hi": 0.9}\]' "$tmp/out" &&
    ok || ko "intervals: $(cat "$tmp/out")"
c90=$(json_field "$tmp/out" a coverage_90)
c80=$(json_field "$tmp/out" a coverage_80)
awk -v a="$c90" -v b="$c80" 'BEGIN { exit !(a != "" && b != "" && a >= b && b >= 0 && a <= 1) }' &&
    ok || ko "coverage 90 $c90 >= 80 $c80 in [0, 1]"
awk -v c="$(json_field "$tmp/out" a crps)" 'BEGIN { exit !(c != "" && c > 0) }' && ok ||
    ko "crps: $(cat "$tmp/out")"
expect 0 "" "$BIN" backtest "$tmp/n" --data "$tmp/d.csv" --samples 20 --output - --stride 40
head -n 1 "$tmp/out" | grep -q ',crps,coverage_80$' && [ "$(wc -l <"$tmp/out")" -eq 3 ] && ok ||
    ko "--output - of a distribution head: $(cat "$tmp/out")"

# errors: one line each
expect 1 "backtest needs a forecaster" "$BIN" backtest tests/golden/cls_maxpool_std --data "$tmp/d.csv"
head -n 40 "$tmp/d.csv" >"$tmp/short.csv"
expect 1 "short.csv" "$BIN" backtest "$tmp/m" --data "$tmp/short.csv"
expect 1 "leave no origin" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --start 395
expect 1 "leaves no context" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --start 10
expect 1 "past the 400 rows" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --end 401
expect 1 "not after start" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --start 100 --end 100
expect 1 "unknown split 'bogus'" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --split bogus
expect 2 "--stride '0': expected a whole number from 1" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --stride 0
expect 2 "--stride 'x'" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --stride x
expect 2 "--season '0'" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --season 0
expect 2 "exclude each other" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --split val --start 330
expect 2 "missing --data" "$BIN" backtest "$tmp/m"
expect 2 "both write standard output" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --json --output -
expect 2 "--plot-metric 'crps'" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --plot "$tmp/x.svg" --plot-metric crps
expect 1 "quantiles" "$BIN" backtest "$tmp/n" --data "$tmp/d.csv" --quantiles 0.9,0.1
expect 1 "quantiles" "$BIN" backtest "$tmp/n" --data "$tmp/d.csv" --quantiles 0.1,0.5,0.9
expect 1 "'zz'" "$BIN" backtest "$tmp/m" --data "$tmp/d.csv" --columns zz
expect 0 "" "$BIN" backtest --help
grep -q '^usage: patchtsmixer backtest' "$tmp/out" && ok || ko "--help"

echo "test_backtest.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
