#!/bin/sh
# test_backtest_long.sh - `patchtsmixer backtest` on long-format data (issue #12: many series,
# statsforecast's cross_validation): a file of five series, three of them broken (too short, a
# gap, no values), is detected from its header; the broken ones are skipped with one stderr
# line each and listed in --json; with one window the per-series MSE / MAE equal `eval`'s on
# the same file (both hold out the last horizon); window k of three equals one window on the
# file without the last (2 - k) * stride rows of each series; MASE is MAE over the series'
# in-sample naive MAE (recomputed with awk); --output has a row per window and series;
# --plot draws a panel per series; the column options; errors (split, windows on a wide CSV,
# no usable series) are one line with the usual exit codes.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
M=tests/golden/fc_nll_normal_std # 3 channels, context 48, horizon 12, normal distribution head
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TEST_NAME=test_backtest_long.sh
. tests/cli_expect.sh

# long FILE DROP: the five series, the last DROP time steps of S0 and S1 left out; S0 and S1
# valid (S1 written backwards), S2 too short, S3 with a gap, S4 without any y; interleaved
long() {
    awk -v drop="$2" 'BEGIN { print "unique_id,ds,y,x1,x2"
    for (i = 71; i >= 0; i--) {
        if (i < 72 - drop) printf "S0,2024-01-%02d %02d:00:00,%g,%g,%g\n", 1 + int((i + 5) / 24),
            (i + 5) % 24, sin(i * 0.3) * 4 + 10, cos(i * 0.2), i % 5
        if (i < 20) printf "S2,2024-02-01 %02d:00:00,%g,1,2\n", i, i
        j = 71 - i
        if (j < 72 - drop) printf "S1,2024-03-%02d %02d:00:00,%g,%g,%g\n", 1 + int(j / 24), j % 24,
            cos(j * 0.7) * 2 - 3, sin(j * 0.1), (j * 7) % 3
        if (i != 30) printf "S3,2024-01-%02d %02d:00:00,%g,0,0\n", 1 + int(i / 24), i % 24, i
        printf "S4,2024-01-%02d %02d:00:00,NA,1,1\n", 1 + int(i / 24), i % 24
    } }' >"$1"
}
long "$tmp/long.csv" 0
long "$tmp/long8.csv" 8
long "$tmp/long4.csv" 4

# one window: eval's per-series MSE / MAE, the skipped series on stderr and in --json
"$BIN" backtest $M --data "$tmp/long.csv" --json >"$tmp/w1.json" 2>"$tmp/err" ||
    ko "backtest on a long file: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 3 ] && grep -q "^patchtsmixer backtest: skipped series 'S2': 20 rows, at least 60 needed$" "$tmp/err" &&
    grep -q "^patchtsmixer backtest: skipped series 'S4': no value in column 'y' in its last 60 rows$" "$tmp/err" &&
    ok || ko "skipped lines: $(cat "$tmp/err")"
grep -q '"format": "long", "windows": 1, "skipped": \[{"unique_id": "S3", "reason": "irregular time steps in its last 60 rows' "$tmp/w1.json" &&
    ok || ko "--json skipped list: $(cut -c1-300 "$tmp/w1.json")"
"$BIN" eval $M --data "$tmp/long.csv" --per-series "$tmp/ev.csv" >/dev/null 2>&1 || ko "eval on the long file"
for s in S0 S1; do
    for k in mse mae; do
        want=$(awk -F, -v s=$s -v k=$k 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
            $1 == s { print $c[k] }' "$tmp/ev.csv")
        got=$(json_field "$tmp/w1.json" $s $k)
        close "$got" "$want" 1e-6 && ok || ko "$s $k: backtest $got, eval $want"
    done
done
# distribution head: CRPS and the 80 % coverage (12 points: a multiple of 1/12)
crps=$(json_field "$tmp/w1.json" S1 crps)
cov=$(json_field "$tmp/w1.json" S1 coverage_80)
awk -v c="$crps" -v v="$cov" 'BEGIN { n = v * 12; exit !(c > 0 && n - int(n + 0.5) < 1e-6 &&
    int(n + 0.5) - n < 1e-6) }' && ok || ko "S1 crps $crps coverage $cov"

# MASE = MAE / the mean |y[t] - y[t-1]| over S0's first 60 rows (in time order)
scale=$(grep '^S0,' "$tmp/long.csv" | sort -t, -k2 | head -n 60 |
    awk -F, 'NR > 1 { d = $3 - p; s += d < 0 ? -d : d } { p = $3 } END { printf "%.9g", s / (NR - 1) }')
mae=$(json_field "$tmp/w1.json" S0 mae)
mase=$(json_field "$tmp/w1.json" S0 mase)
close "$mase" "$(awk -v a="$mae" -v s="$scale" 'BEGIN { printf "%.9g", a / s }')" 1e-5 && ok ||
    ko "S0 mase $mase, mae $mae / scale $scale"

# three windows every 4 rows: window 1 = one window without the last 8 rows, window 2 without 4
"$BIN" backtest $M --data "$tmp/long.csv" --windows 3 --stride 4 --output "$tmp/w3.csv" >/dev/null \
    --plot "$tmp/w3.svg" 2>/dev/null || ko "--windows 3 --output --plot"
[ "$(head -n 1 "$tmp/w3.csv" | cut -d, -f1-5)" = "unique_id,cutoff,window,points,mse" ] &&
    [ "$(wc -l <"$tmp/w3.csv")" -eq 7 ] && ok || ko "--output: $(head -n 3 "$tmp/w3.csv")"
grep -q '^S0,2024-01-03 08:00:00,1,12,' "$tmp/w3.csv" && ok || ko "S0's first cutoff: $(grep ^S0 "$tmp/w3.csv")"
for k in 1 2; do
    f=$([ $k = 1 ] && echo long8 || echo long4)
    "$BIN" backtest $M --data "$tmp/$f.csv" --json >"$tmp/$f.json" 2>/dev/null || ko "backtest $f"
    for s in S0 S1; do
        got=$(awk -F, -v s=$s -v k=$k '$1 == s && $3 == k { print $5 }' "$tmp/w3.csv")
        close "$got" "$(json_field "$tmp/$f.json" $s mse)" 1e-6 && ok ||
            ko "window $k of $s: mse $got, alone $(json_field "$tmp/$f.json" $s mse)"
    done
done
[ "$(grep -c 'class="series" data-kind="line" data-name="mae"' "$tmp/w3.svg")" -eq 2 ] &&
    grep -q 'window 3' "$tmp/w3.svg" && ok || ko "--plot: $(head -c 300 "$tmp/w3.svg")"

# other column names
sed '1s/.*/sid,when,target,x1,x2/' "$tmp/long.csv" >"$tmp/named.csv"
"$BIN" backtest $M --data "$tmp/named.csv" --id-column sid --time-column when \
    --target-column target --json >"$tmp/named.json" 2>/dev/null || ko "the column options"
[ "$(json_field "$tmp/named.json" S0 mse)" = "$(json_field "$tmp/w1.json" S0 mse)" ] && ok ||
    ko "renamed columns give other metrics"

# errors
expect 1 "split: is for wide CSVs" "$BIN" backtest $M --data "$tmp/long.csv" --split val
expect 1 "start: is for wide CSVs" "$BIN" backtest $M --data "$tmp/long.csv" --start 50
expect 1 "windows: is for long-format data" "$BIN" backtest $M --data tests/data/tiny_ett.csv --windows 2
EXPECT_FIXED=1 expect 2 "--windows '0': expected a whole number from 1" "$BIN" backtest $M --data "$tmp/long.csv" --windows 0
expect 1 "no series can be backtested: each of the 5 needs 108 usable rows" \
    "$BIN" backtest $M --data "$tmp/long.csv" --windows 13 --stride 4
expect 1 "column 'y' not found\|'y'" "$BIN" backtest $M --data "$tmp/named.csv" --long

echo "test_backtest_long.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
