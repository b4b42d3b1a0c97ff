#!/bin/sh
# test_long_train.sh - `patchtsmixer train` on long-format data (issue #12, many series): a file
# of a few series in statsforecast's layout (unique_id, ds, y, a covariate; one series written
# backwards) is detected from its header; the broken series (too short, a gap, no target value)
# are skipped with one stderr line each and the others train; preprocessor_config.json records
# the long format and a scaler fitted on the training parts of the series used (recomputed here
# with awk); the model card says so; `predict` and `eval` then read long files by the model's
# column names without options (also custom names: --id-column, --time-column,
# --target-column); hostile inputs (no usable series, a missing column, the target left out, a
# task without series, a backtest of a long file) give exact one-line errors and exit codes.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_long_train.sh: $*"; }

# expect RC MESSAGE CMD...: exit code RC and exactly the one stderr line MESSAGE
expect() {
    want_rc=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then ko "$* -> exit $rc, expected $want_rc: $(cat "$tmp/err")"; return; fi
    if [ "$(cat "$tmp/err")" != "$want" ]; then ko "$* -> stderr '$(cat "$tmp/err")', expected '$want'"; return; fi
    ok
}

# A (80 rows) and B (70, written backwards) train; short (20 rows), gap (a missing hour) and
# noy (no y at all) are skipped. Context 16, horizon 4: a series needs 16 + 3 x 4 = 28 rows.
awk 'BEGIN { print "unique_id,ds,y,price"
  for (i = 0; i < 80; i++) {
    printf "A,2024-01-%02d %02d:00:00,%.4f,%.3f\n", 1 + int(i / 24), i % 24, 10 + 3 * sin(i / 3), 1 + 0.1 * cos(i / 5)
    if (i < 70) { j = 69 - i; printf "B,2024-01-%02d %02d:00:00,%.4f,%.3f\n", 1 + int(j / 24), j % 24, 20 + 2 * cos(j / 4), 2 + 0.01 * j }
    if (i < 20) printf "short,2024-01-01 %02d:00:00,%d,1\n", i, i
    if (i != 40) printf "gap,2024-01-%02d %02d:00:00,%d,1\n", 1 + int(i / 24), i % 24, i
    if (i < 60) printf "noy,2024-01-%02d %02d:00:00,NA,1\n", 1 + int(i / 24), i % 24
  } }' >"$tmp/long.csv"
ARCH="--context-length 16 --prediction-length 4 --patch-length 4 --d-model 8 --num-layers 2 --scaling none --epochs 2 --batch-size 16 --threads 1"

# shellcheck disable=SC2086
"$BIN" train --data "$tmp/long.csv" --out "$tmp/run" $ARCH 2>"$tmp/log"
rc=$?
[ "$rc" -eq 0 ] && ok || ko "train on a long file -> exit $rc: $(cat "$tmp/log")"
cat >"$tmp/skip_want" <<'EOF'
skipped series 'short': 20 rows, at least 28 needed (context_length 16 + 3 x prediction_length 4: training windows, a validation and a test horizon)
skipped series 'gap': irregular time steps in its last 79 rows: '2024-01-02 15:00:00' to '2024-01-02 17:00:00' is not the step of '2024-01-01 00:00:00' to '2024-01-01 01:00:00'
skipped series 'noy': no value in column 'y' in its last 60 rows
EOF
grep '^skipped series' "$tmp/log" >"$tmp/skip_got"
cmp -s "$tmp/skip_got" "$tmp/skip_want" && ok || ko "skipped series lines: $(cat "$tmp/skip_got")"
grep -q '^data: .* (long format), 2 series used, 3 skipped, 150 rows x 2 channels; windows train 96, val 2, test 2$' "$tmp/log" &&
    ok || ko "data line: $(grep '^data:' "$tmp/log")"
grep -q '^series: 2 trained on, 3 skipped (reasons above)$' "$tmp/log" && ok || ko "no series summary line"

# the preprocessor: long format, the columns, the step; the scaler of the training parts
pp="$tmp/run/preprocessor_config.json"
grep -q '"long_format": {"id_column": "unique_id", "time_column": "ds", "target_column": "y"},' "$pp" &&
    ok || ko "no long_format in $(cat "$pp")"
grep -q '"columns": \["y", "price"\],' "$pp" && grep -q '"time_step_seconds": 3600,' "$pp" &&
    grep -q '"timestamp_column": "ds",' "$pp" && ok || ko "columns or times: $(cat "$pp")"
# mean / population std of y and price over each used series but its last 2 x 4 rows (in time
# order: B is written backwards)
tail -n +2 "$tmp/long.csv" | sort -t, -k1,1 -k2,2 | awk -F, '$1 == "A" || $1 == "B" { n[$1]++; y[$1, n[$1]] = $3; p[$1, n[$1]] = $4 }
    END { for (s in n) for (k = 1; k <= n[s] - 8; k++) {
              c++; sy += y[s, k]; syy += y[s, k] ^ 2; sp += p[s, k]; spp += p[s, k] ^ 2 }
          my = sy / c; mp = sp / c
          printf "%.6g %.6g %.6g %.6g\n", my, mp, sqrt(syy / c - my * my), sqrt(spp / c - mp * mp) }' \
    >"$tmp/sc_want"
sed -n 's/.*"mean": \[\([^,]*\), \([^]]*\)\], "scale": \[\([^,]*\), \([^]]*\)\].*/\1 \2 \3 \4/p' "$pp" >"$tmp/sc_got"
awk 'NR == FNR { for (i = 1; i <= 4; i++) w[i] = $i; next }
     { bad = NF != 4; for (i = 1; i <= 4; i++) { d = $i - w[i]; if (d < 0) d = -d; if (d > 1e-4 * (1 + (w[i] < 0 ? -w[i] : w[i]))) bad = 1 }
       exit bad }' "$tmp/sc_want" "$tmp/sc_got" && ok ||
    ko "scaler $(cat "$tmp/sc_got"), expected $(cat "$tmp/sc_want") (training parts of A and B)"
grep -q 'in long format (one row per series and time step): series id `unique_id`, time `ds`, target `y`' "$tmp/run/README.md" &&
    grep -q '^- series: 2 trained on (150 rows), 3 skipped' "$tmp/run/README.md" &&
    grep -q '^- split, per series: its last 4 rows test, the 4 rows before them validation' "$tmp/run/README.md" &&
    ok || ko "model card: $(sed -n '/## Training data/,/## Training procedure/p' "$tmp/run/README.md")"

# predict and eval read the long file by the model's names (no --long needed)
"$BIN" predict "$tmp/run" --input "$tmp/long.csv" --output "$tmp/fc.csv" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok || ko "predict -> exit $rc: $(cat "$tmp/err")"
[ "$(head -1 "$tmp/fc.csv")" = "unique_id,ds,PatchTSMixer" ] && ok || ko "forecast header $(head -1 "$tmp/fc.csv")"
[ "$(grep -c '^A,' "$tmp/fc.csv")" -eq 4 ] && [ "$(grep -c '^B,' "$tmp/fc.csv")" -eq 4 ] &&
    grep -q '^A,2024-01-04 08:00:00,' "$tmp/fc.csv" && ok || ko "forecast rows: $(cat "$tmp/fc.csv")"
"$BIN" eval "$tmp/run" --data "$tmp/long.csv" --json >"$tmp/ev" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -q '"values": ' "$tmp/ev" && ok || ko "eval -> exit $rc: $(cat "$tmp/ev" "$tmp/err")"

# other column names: given at training, remembered by predict and eval
sed '1s/.*/item,time,sales,price/' "$tmp/long.csv" >"$tmp/named.csv"
# shellcheck disable=SC2086
"$BIN" train --data "$tmp/named.csv" --out "$tmp/named" $ARCH --quiet --id-column item \
    --time-column time --target-column sales --columns sales 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c '^patchtsmixer train: skipped series' "$tmp/err")" -eq 3 ] && ok ||
    ko "train with other names -> exit $rc: $(cat "$tmp/err")"
grep -q '"long_format": {"id_column": "item", "time_column": "time", "target_column": "sales"},' \
    "$tmp/named/preprocessor_config.json" && ok || ko "named long_format: $(cat "$tmp/named/preprocessor_config.json")"
"$BIN" predict "$tmp/named" --input "$tmp/named.csv" 2>"$tmp/err" | head -1 >"$tmp/hdr"
[ "$(cat "$tmp/hdr")" = "item,time,PatchTSMixer" ] && ok || ko "named predict header '$(cat "$tmp/hdr")': $(cat "$tmp/err")"
"$BIN" eval "$tmp/named" --data "$tmp/named.csv" --json >"$tmp/ev" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -q '"series": 4, "skipped": 1,' "$tmp/ev" && ok || ko "named eval -> exit $rc: $(cat "$tmp/ev" "$tmp/err")"

# hostile inputs
awk -F, 'NR == 1 || $1 == "short" || $1 == "noy"' "$tmp/long.csv" >"$tmp/bad.csv"
# shellcheck disable=SC2086
expect 1 "patchtsmixer train: skipped series 'short': 20 rows, at least 28 needed (context_length 16 + 3 x prediction_length 4: training windows, a validation and a test horizon)
patchtsmixer train: skipped series 'noy': no value in column 'y' in its last 60 rows
patchtsmixer: $tmp/bad.csv: no series can be trained on: all 2 were skipped (the first, 'short': 20 rows, at least 28 needed (context_length 16 + 3 x prediction_length 4: training windows, a validation and a test horizon))" \
    "$BIN" train --data "$tmp/bad.csv" --out "$tmp/bad" $ARCH --quiet
# shellcheck disable=SC2086
expect 1 "patchtsmixer: $tmp/long.csv: line 1: no column 'item' in the header; a long-format file has one row per series and time step with an id, a time and a target column ('item', 'ds', 'y')" \
    "$BIN" train --data "$tmp/long.csv" --out "$tmp/bad" $ARCH --quiet --id-column item
# shellcheck disable=SC2086
expect 1 "patchtsmixer: $tmp/long.csv: columns: the target column 'y' is not among the columns selected" \
    "$BIN" train --data "$tmp/long.csv" --out "$tmp/bad" $ARCH --quiet --columns price
# shellcheck disable=SC2086
expect 1 "patchtsmixer: $tmp/long.csv: columns: no column named 'cost' in the header" \
    "$BIN" train --data "$tmp/long.csv" --out "$tmp/bad" $ARCH --quiet --columns y,cost
# shellcheck disable=SC2086
expect 2 "patchtsmixer train: long-format data is for --task forecast or pretrain (see 'patchtsmixer train --help')" \
    "$BIN" train --data "$tmp/long.csv" --out "$tmp/bad" $ARCH --quiet --task classify --long
[ ! -e "$tmp/bad" ] && ok || ko "a failed run left $tmp/bad"
# backtest reads long files by the model's column names (statsforecast's cross_validation)
expect 0 "patchtsmixer backtest: skipped series 'noy': no value in column 'y' in its last 20 rows" \
    "$BIN" backtest "$tmp/run" --data "$tmp/long.csv" --json
grep -q '"format": "long", "windows": 1' "$tmp/out" && ok || ko "backtest on long.csv: $(cut -c1-200 "$tmp/out")"
expect 0 "patchtsmixer backtest: skipped series 'short': 20 rows, at least 23 needed
patchtsmixer backtest: skipped series 'noy': no value in column 'sales' in its last 23 rows" \
    "$BIN" backtest "$tmp/named" --data "$tmp/named.csv" --json --windows 2 --stride 3
grep -q '"format": "long", "windows": 2' "$tmp/out" && ok || ko "backtest on named.csv: $(cut -c1-200 "$tmp/out")"

echo "test_long_train.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
