#!/bin/sh
# test_ttm_cli.sh - `patchtsmixer predict` on TinyTimeMixer models (docs/ttm.md): forecasts from
# CSV files equal to granite-tsfm's (one sample of a golden case written as CSV by
# tests/ttm_case_csv.py, within the case's tolerance), any number of columns for a
# channel-independent model, the last context_length rows of longer inputs, --pad, the
# frequency token from the time step or --freq / --freq-token, --target / --exogenous /
# --future for forecast channel mixer models, --holdout and --plot; `eval` with any number of
# columns, the frequency token and a filtered head; static categorical codes from
# --static-categorical columns (predict and eval); and the exact one-line errors of wrong
# options (exit 2) and inputs (exit 1).
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
T=tests/golden/ttm
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TEST_NAME=test_ttm_cli
EXPECT_FIXED=1
. tests/cli_expect.sh


if ! command -v "$PY" >/dev/null 2>&1; then
    echo "SKIP test_ttm_cli: $PY not found (it writes the golden samples as CSV)"
    echo "test_ttm_cli: 0 passed, 0 failed"
    exit 0
fi

# same FORECAST.csv EXPECTED.csv TOL: every forecast cell (after the date/step column) within
# TOL of the expected one (same rows, same columns)
same() {
    awk -F, -v tol="$3" 'NR==FNR { if (FNR > 1) for (i = 1; i <= NF; i++) e[FNR, i] = $i; n = FNR; next }
        FNR > 1 { rows++; for (i = 2; i <= NF; i++) { d = $i - e[FNR, i - 1]; if (d < 0) d = -d; if (d > tol) bad = 1 } }
        END { exit bad || rows != n - 1 }' "$2" "$1"
}

# case CASE SAMPLE [STEP]: the sample's CSV files into $tmp/CASE
case_csv() {
    "$PY" tests/ttm_case_csv.py "$T/$1" "$2" "$tmp/$1" $3 || ko "ttm_case_csv.py $1"
}

# 1. the exact r2 512-96 architecture, 7 channels: the forecast equals granite-tsfm's
case_csv r2_512_96_7ch 1 3600
D=$tmp/r2_512_96_7ch
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/past.csv --output $D/fc.csv
same $D/fc.csv $D/expected.csv "$(cat $D/tol)" && ok || ko "r2 512-96 forecast differs from the golden one"
head -n 2 $D/fc.csv | tail -n 1 | grep -q "^2024-01-22 08:00:00," && ok || ko "timestamps do not continue the input's"
# any number of columns: one channel alone, or three, gives that channel's forecast, bit for bit
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/past.csv --columns c4 --output $D/one.csv
cut -d, -f6 $D/fc.csv >$D/c4 && cut -d, -f2 $D/one.csv | cmp -s - $D/c4 && ok || ko "channel c4 alone differs"
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/past.csv --target c6,c0,c4 --output $D/three.csv
cut -d, -f8,2,6 $D/fc.csv | awk -F, '{ print $3 "," $1 "," $2 }' >$D/want3
cut -d, -f2- $D/three.csv | cmp -s - $D/want3 && ok || ko "--target c6,c0,c4 differs"
# a longer input: the last context_length rows
sed -n '1p;2,101p' $D/past.csv | sed '1d' | sed 's/^2024-01-0\([1-5]\)/2023-12-2\1/' >$D/older
{ head -n 1 $D/past.csv; sed 's/^2024-01-\(..\)/2023-11-\1/' $D/older; tail -n +2 $D/past.csv; } >$D/long.csv
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/long.csv --output $D/fc_long.csv
cut -d, -f2- $D/fc_long.csv | cmp -s - "$(cut -d, -f2- $D/fc.csv >$D/fcv; echo $D/fcv)" && ok || ko "a longer input changed the forecast"
# --plot and --holdout as for PatchTSMixer
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/long.csv --holdout --plot $D/fc.svg --plot-columns c0,c3
grep -q "<svg" $D/fc.svg && grep -q "held out" $D/fc.svg && ok || ko "--holdout --plot of a TTM model"

# 2. a short input: the error names the minimum; --pad prepends zero rows (observed), as
# granite-tsfm's ts_padding does
tail -n 30 $D/past.csv | sed '1i date,c0,c1,c2,c3,c4,c5,c6' >$D/short.csv
expect 1 "30 data rows, the model needs at least context_length = 512 (or --pad)" "$BIN" predict $T/r2_512_96_7ch --input $D/short.csv
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/short.csv --pad --output $D/padded.csv
{ echo "c0,c1,c2,c3,c4,c5,c6"; i=0; while [ $i -lt 482 ]; do echo "0,0,0,0,0,0,0"; i=$((i + 1)); done
  tail -n 30 $D/past.csv | cut -d, -f2-; } >$D/zeros.csv
expect 0 "" "$BIN" predict $T/r2_512_96_7ch --input $D/zeros.csv --output $D/zeros_fc.csv
cut -d, -f2- $D/padded.csv | cmp -s - "$(cut -d, -f2- $D/zeros_fc.csv >$D/zv; echo $D/zv)" && ok || ko "--pad differs from explicit zero rows"

# 3. frequency token (r2.1 52-16 with prefix tuning): from the time step (sample 0 has token 3,
# 5 minutes), --freq or --freq-token
case_csv r21_52_16_ft_l1_prefix 0 300
D=$tmp/r21_52_16_ft_l1_prefix
expect 0 "" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/past.csv --output $D/fc.csv
same $D/fc.csv $D/expected.csv "$(cat $D/tol)" && ok || ko "r2.1 52-16 forecast (token from the 5 min step) differs"
cut -d, -f2- $D/past.csv >$D/untimed.csv
expect 1 "needs a frequency token and the input has no evenly spaced timestamps: give --freq (e.g. 1h) or --freq-token N" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/untimed.csv
for f in "--freq 5min" "--freq-token 3"; do
    expect 0 "" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/untimed.csv $f --output $D/fc2.csv
    cut -d, -f2- $D/fc2.csv | cmp -s - "$(cut -d, -f2- $D/fc.csv >$D/v; echo $D/v)" && ok || ko "$f differs from the time step's token"
done
expect 0 "" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/untimed.csv --freq 1h
expect 1 "sample 0: token 10 out of range [0, 10)" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/untimed.csv --freq-token 10
expect 1 "'3 fortnights' is not a frequency like 1h, 15min, D or W (or oov)" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/untimed.csv --freq "3 fortnights"
# a step outside granite-tsfm's mapping: token 0 (oov) with a warning, as granite-tsfm does
"$PY" tests/ttm_case_csv.py $T/r21_52_16_ft_l1_prefix 0 $tmp/odd 7 && "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $tmp/odd/past.csv >$tmp/odd.csv 2>$tmp/odd.err &&
    grep -qF "a step of 7 s is not in granite-tsfm's frequency mapping: frequency token 0 (oov)" $tmp/odd.err && ok || ko "unmapped step"
expect 2 "--freq/--freq-token: this model has no frequency token (resolution_prefix_tuning is off)" "$BIN" predict $T/r2_512_96_7ch --input $tmp/r2_512_96_7ch/past.csv --freq 1h
expect 2 "--freq and --freq-token both give the frequency token" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/past.csv --freq 1h --freq-token 7

# the same model on many series (long format): each series' token from its own step, so a
# series equal to past.csv gets predict's forecast; integer times need --freq / --freq-token
awk -F, 'NR > 1 { print "A," $1 "," $2 "," $3; print "B," $1 "," $2 "," $3 }' $D/past.csv |
    { echo "unique_id,ds,y,c1"; cat; } >$D/long.csv
expect 0 "" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/long.csv --output $D/lfc.csv
tail -n +2 $D/fc.csv | cut -d, -f2 >$D/fc_y
for s in A B; do
    grep "^$s," $D/lfc.csv | cut -d, -f3 | cmp -s - $D/fc_y && ok || ko "long series $s differs from predict on its rows"
done
awk -F, 'NR > 1 { print "A," NR "," $2 "," $3 }' $D/past.csv | { echo "unique_id,ds,y,c1"; cat; } >$D/long_int.csv
expect 1 "needs a frequency token and the series' times are integers: give --freq (e.g. 1h) or --freq-token N" \
    "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/long_int.csv
expect 0 "" "$BIN" predict $T/r21_52_16_ft_l1_prefix --input $D/long_int.csv --freq-token 3 --output $D/lfc3.csv
tail -n +2 $D/lfc3.csv | cut -d, -f3 | cmp -s - $D/fc_y && ok || ko "--freq-token 3 on integer times differs from the 5 min step's token"

# backtest of the same model on that long file with the forecast appended as the truth: the
# token comes from each series' step again, so the forecast meets its own values (MSE ~ 0)
{ cat $D/long.csv; tail -n +2 $D/fc.csv | awk -F, '{ print "A," $1 "," $2 "," $3; print "B," $1 "," $2 "," $3 }'; } >$D/long_fc.csv
expect 0 "" "$BIN" backtest $T/r21_52_16_ft_l1_prefix --data $D/long_fc.csv --json
awk '{ sub(/.*"all": \{/, ""); n = split($0, f, ","); for (i = 1; i <= n; i++) if (f[i] ~ /"mae":/) { sub(/.*: /, "", f[i]); m = f[i] } }
    END { exit !(m != "" && m + 0 < 1e-4) }' $tmp/out && ok || ko "backtest of the prefix model on long data: $(cut -c1-300 $tmp/out)"
expect 1 "needs a frequency token, found from each series' time step, and the times are integers" \
    "$BIN" backtest $T/r21_52_16_ft_l1_prefix --data $D/long_int.csv

# 4. a longer past than the context and forecast channels of a filtered head (55 rows, context
# 48, channels 0 and 2 of 4, the first 6 of 10 steps)
case_csv predidx_filter_longctx_futmask 2 60
D=$tmp/predidx_filter_longctx_futmask
expect 0 "" "$BIN" predict $T/predidx_filter_longctx_futmask --input $D/past.csv --output $D/fc.csv
same $D/fc.csv $D/expected.csv "$(cat $D/tol)" && ok || ko "forecast channels / filter / long past differ"
head -n 1 $D/fc.csv | grep -qx "date,c0,c2" && ok || ko "forecast channel columns"
expect 1 "this model takes exactly 4 channels, not 3: it names forecast channels" "$BIN" predict $T/predidx_filter_longctx_futmask --input $D/past.csv --columns c0,c1,c2

# 5. exogenous channels and the forecast channel mixer: --target / --exogenous / --future
case_csv fcm_exog_mixer_prepend_mixdec 1 86400
D=$tmp/fcm_exog_mixer_prepend_mixdec
expect 0 "" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2,c3 --future $D/future.csv --output $D/fc.csv
same $D/fc.csv $D/expected.csv "$(cat $D/tol)" && ok || ko "forecast channel mixer forecast differs"
# the future file needs only the exogenous columns, in any order
cut -d, -f1,4,5 $D/future.csv | awk -F, '{ print $1 "," $3 "," $2 }' >$D/fut_exo.csv
expect 0 "" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2,c3 --future $D/fut_exo.csv --output $D/fc2.csv
cmp -s $D/fc.csv $D/fc2.csv && ok || ko "a future file with only the exogenous columns"
# --holdout reads the known future from the held-out rows
{ cat $D/past.csv; tail -n +2 $D/future.csv; } >$D/whole.csv
expect 0 "" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/whole.csv --target c0,c1 --exogenous c2,c3 --holdout --output $D/fc3.csv
cmp -s $D/fc.csv $D/fc3.csv && ok || ko "--holdout future differs from --future"
expect 1 "this model's forecast channel mixer reads the known future of its exogenous channels: give their next 10 values with --future FILE.csv (or backtest with --holdout)" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2,c3
expect 2 "--future: this model reads no known future values (it has no forecast channel mixer with exogenous channels)" "$BIN" predict $T/r2_512_96_7ch --input $tmp/r2_512_96_7ch/past.csv --future $D/future.csv
expect 1 "the model has 2 exogenous channels (exogenous_channel_indices): name their columns with --exogenous" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1
expect 1 "--exogenous needs --target (the columns of the other channels)" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --exogenous c2,c3 --future $D/future.csv
expect 1 "1 columns named, the model has 2 exogenous channels (exogenous_channel_indices)" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2 --future $D/future.csv
expect 1 "3 columns named, the model has 2 channels besides its 2 exogenous ones" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1,c2 --exogenous c3,c2 --future $D/future.csv
expect 1 "the model has no exogenous channels (exogenous_channel_indices); forecast the columns with --target alone" "$BIN" predict $T/r2_512_96_7ch --input $tmp/r2_512_96_7ch/past.csv --target c0 --exogenous c1
expect 2 "--columns and --target/--exogenous both choose the channels: give one" "$BIN" predict $T/r2_512_96_7ch --input $tmp/r2_512_96_7ch/past.csv --columns c0 --target c1
head -n 5 $D/future.csv >$D/fut_short.csv
expect 1 "4 data rows, the forecast channel mixer reads the next 10 steps" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2,c3 --future $D/fut_short.csv
cut -d, -f1,2 $D/future.csv >$D/fut_noexo.csv
expect 1 "no column 'c2' (an exogenous channel)" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2,c3 --future $D/fut_noexo.csv
sed '4s/,[^,]*$/,/' $D/future.csv >$D/fut_missing.csv
expect 1 "data row 3: the known future of an exogenous channel is missing" "$BIN" predict $T/fcm_exog_mixer_prepend_mixdec --input $D/past.csv --target c0,c1 --exogenous c2,c3 --future $D/fut_missing.csv
expect 1 "this model takes exactly 3 channels, not 2: its decoder mixes channels (decoder_mode mix_channel)" "$BIN" predict $T/decoder_mix_rawres_apl2_mean --input tests/data/ttm_past.csv --columns a,b

# 6. eval: any number of columns, the frequency token from the time step (ETTh1 is hourly: 7);
# channels are forecast independently, so the scaled-space MSE of three columns is the mean of
# the three columns' own
P=$T/r21_52_16_ft_l1_prefix
for col in OT HUFL LULL; do
    "$BIN" eval $P --data data/ETTh1.csv --columns $col --json >$tmp/ev_$col.json || ko "eval $col"
done
"$BIN" eval $P --data data/ETTh1.csv --columns OT,HUFL,LULL --json >$tmp/ev_3.json || ko "eval 3 columns"
mse() { sed 's/.*"mse": \([^,]*\),.*/\1/' "$1"; }
awk -v a="$(mse $tmp/ev_OT.json)" -v b="$(mse $tmp/ev_HUFL.json)" -v c="$(mse $tmp/ev_LULL.json)" \
    -v m="$(mse $tmp/ev_3.json)" 'BEGIN { d = (a + b + c) / 3 - m; if (d < 0) d = -d; exit !(d <= 1e-5 * m) }' &&
    ok || ko "eval of 3 columns is not the mean of the columns' ($(mse $tmp/ev_3.json))"
expect 0 "" "$BIN" eval $P --data data/ETTh1.csv --columns OT,HUFL --plot $tmp/ev.svg
grep -q "<svg" $tmp/ev.svg && ok || ko "eval --plot of a TTM model"
cut -d, -f2- data/ETTh1.csv >$tmp/untimed.csv
expect 1 "freq_token: this model (resolution_prefix_tuning) needs a frequency token and the data has no evenly spaced timestamps" "$BIN" eval $P --data $tmp/untimed.csv --columns OT
expect 1 "this model takes exactly 3 channels, not 1: its decoder mixes channels (decoder_mode mix_channel)" "$BIN" eval $T/grad_apl2_mixdec_bn --data data/ETTh1.csv --columns OT
# a filtered head: the forecast's 6 of 10 steps are scored (granite-tsfm's loss cuts the same)
expect 0 "" "$BIN" eval $T/predidx_filter_longctx_futmask --data data/ETTh1.csv --columns OT,HUFL,HULL,MUFL --plot $tmp/ev2.svg

# a forecast channel mixer reads the windows' own future rows of its exogenous channels
expect 0 "" "$BIN" eval $T/fcm_exog_mixer_prepend_mixdec --data data/ETTh1.csv --columns OT,HUFL,HULL,MUFL

# 7. PatchTSMixer models take none of TinyTimeMixer's options
expect 2 "--target, --exogenous, --future, --freq, --freq-token and --static-categorical are for TinyTimeMixer models" "$BIN" predict tests/golden/fc_common_gated_ln_std --input tests/data/fc_past.csv --freq 1h

# 8. static categorical variables (vocabularies [4, 3]): integer codes from the columns named
# by --static-categorical (sample 0 has codes 3 and 0 in columns cat0 and cat1), not channels
case_csv categorical_static_mixdec 0 3600
D=$tmp/categorical_static_mixdec
P=$T/categorical_static_mixdec
expect 0 "" "$BIN" predict $P --input $D/past.csv --static-categorical cat0,cat1 --output $D/fc.csv
same $D/fc.csv $D/expected.csv "$(cat $D/tol)" && ok || ko "forecast with static categorical codes differs"
head -n 1 $D/fc.csv | grep -qx "date,c0,c1" && ok || ko "the code columns are not channels"
expect 0 "" "$BIN" predict $P --input $D/past.csv --static-categorical cat0,cat1 --columns c0,c1 --output $D/fc2.csv
cmp -s $D/fc.csv $D/fc2.csv && ok || ko "--columns with --static-categorical"
expect 1 "--static-categorical: this model has 2 static categorical variables (categorical_vocab_size_list): name the columns of their integer codes with --static-categorical" "$BIN" predict $P --input $D/past.csv --columns c0,c1
expect 1 "--static-categorical: 1 columns named, the model has 2 static categorical variables (categorical_vocab_size_list)" "$BIN" predict $P --input $D/past.csv --static-categorical cat0
expect 1 "cat0: code 3 is not in the vocabulary of static categorical variable 1: [0, 3) (categorical_vocab_size_list)" "$BIN" predict $P --input $D/past.csv --static-categorical cat1,cat0
expect 1 "c0: data row 1: -30.0629959 is not a category code (an integer >= 0)" "$BIN" predict $P --input $D/past.csv --static-categorical c0,cat1 --columns c1,cat0
expect 1 "cat1: the column is named as a channel and with --static-categorical" "$BIN" predict $P --input $D/past.csv --static-categorical cat0,cat1 --columns c0,cat1
expect 1 "no column named 'shop' in the header" "$BIN" predict $P --input $D/past.csv --static-categorical shop,cat1
sed '6s/,3,0$/,2,0/' $D/past.csv >$D/changing.csv
expect 1 "cat0: data row 5: code 2 differs from 3 in data row 1 (a static categorical column holds one code per series)" "$BIN" predict $P --input $D/changing.csv --static-categorical cat0,cat1
sed '4s/,3,0$/,,0/' $D/past.csv >$D/missing.csv
expect 1 "cat0: data row 3: the static categorical code is missing" "$BIN" predict $P --input $D/missing.csv --static-categorical cat0,cat1
sed '4s/,3,0$/,1.5,0/' $D/past.csv >$D/frac.csv
expect 1 "cat0: data row 3: 1.5 is not a category code (an integer >= 0)" "$BIN" predict $P --input $D/frac.csv --static-categorical cat0,cat1
expect 2 "--static-categorical: this model has no static categorical variables (categorical_vocab_size_list)" "$BIN" predict $T/r2_512_96_7ch --input $tmp/r2_512_96_7ch/past.csv --static-categorical c0
# only the rows read count: a longer file whose earlier rows hold other codes
{ head -n 1 $D/past.csv; sed -n '2,6p' $D/past.csv | sed 's/^2024-01-01/2023-12-31/; s/,3,0$/,1,2/'; tail -n +2 $D/past.csv; } >$D/longer.csv
expect 0 "" "$BIN" predict $P --input $D/longer.csv --static-categorical cat0,cat1 --output $D/fc3.csv
cmp -s $D/fc.csv $D/fc3.csv && ok || ko "codes of rows before the context were read"
# eval: the file's codes (one per column over every row); --plot reads them too
awk -F, 'NR == 1 { print $1 "," $2 "," $3 ",store,region"; next } { print $1 "," $2 "," $3 ",3,1" }' data/ETTh1.csv >$tmp/cat_etth1.csv
expect 0 "" "$BIN" eval $P --data $tmp/cat_etth1.csv --static-categorical store,region --plot $tmp/cat.svg
grep -q "<svg" $tmp/cat.svg && ok || ko "eval --plot with static categorical codes"
expect 1 "--static-categorical: this model has 2 static categorical variables (categorical_vocab_size_list): name the columns of their integer codes with --static-categorical" "$BIN" eval $P --data $tmp/cat_etth1.csv
expect 1 "store: code 3 is not in the vocabulary of static categorical variable 1: [0, 3) (categorical_vocab_size_list)" "$BIN" eval $P --data $tmp/cat_etth1.csv --static-categorical region,store
expect 1 "static_categorical_columns: 1 columns named, the model has 2 static categorical variables (categorical_vocab_size_list)" "$BIN" eval $P --data $tmp/cat_etth1.csv --static-categorical store
sed '100s/,3,1$/,2,1/' $tmp/cat_etth1.csv >$tmp/cat_changing.csv
expect 1 "store: data row 99: code 2 differs from 3 in data row 1 (a static categorical column holds one code per series)" "$BIN" eval $P --data $tmp/cat_changing.csv --static-categorical store,region
expect 1 "store: the column is named as a channel and as a static categorical one" "$BIN" eval $P --data $tmp/cat_etth1.csv --static-categorical store,region --columns HUFL,store
expect 2 "--static-categorical: this model has no static categorical variables (categorical_vocab_size_list)" "$BIN" eval $T/r2_512_96_7ch --data data/ETTh1.csv --static-categorical OT
{ echo "unique_id,ds,y,c1"; sed -n '2,80p' $D/past.csv | awk -F, '{ print "A," $1 "," $2 "," $3 }'; } >$D/long.csv
expect 2 "--static-categorical reads one series' codes: long-format input (many series) takes none yet" "$BIN" predict $P --input $D/long.csv --static-categorical cat0,cat1
# train: the codes from the same columns; eval of the checkpoint scores what the trainer's
# test line says
expect 0 "" "$BIN" train --config $P/config.json --data $tmp/cat_etth1.csv --static-categorical store,region --out $tmp/catrun --max-steps 3 --epochs 1 --threads 1
"$BIN" eval $tmp/catrun --data $tmp/cat_etth1.csv --static-categorical store,region >$tmp/cat_eval.txt || ko "eval of the trained categorical model"
grep -q "^test: MSE $(sed -n 's/^MSE \([0-9.]*\)  MAE.*(scaled space)$/\1/p' $tmp/cat_eval.txt)  " $tmp/err && ok || ko "train's test MSE differs from eval's ($(cat $tmp/cat_eval.txt))"
expect 0 "" "$BIN" predict $tmp/catrun --input $tmp/cat_etth1.csv --static-categorical store,region --output $tmp/cat_fc.csv
head -n 1 $tmp/cat_fc.csv | grep -qx "date,HUFL,HULL" && ok || ko "the trained model's forecast columns"
expect 1 "static_categorical_columns: this model has 2 static categorical variables (categorical_vocab_size_list): name the columns of their integer codes" "$BIN" train --config $P/config.json --data $tmp/cat_etth1.csv --out $tmp/catrun2 --max-steps 1 --epochs 1 --quiet
expect 1 "static_categorical_columns: the model has no static categorical variables (categorical_vocab_size_list)" "$BIN" train --config $T/r2_512_96_7ch/config.json --data $tmp/cat_etth1.csv --static-categorical store --out $tmp/catrun3 --max-steps 1 --epochs 1 --quiet

# train --loss: TinyTimeMixer's point losses from the flag (over --config's); the `val:` line is
# the saved model on the validation windows (its MAE is the `done:` line's validation loss when
# the loss is mae, its MSE what `eval --split val` says); PatchTSMixer refuses them
R="--config $T/r21_52_16_ft_l1_prefix/config.json --data data/ETTh1.csv --columns HUFL,OT --max-steps 3 --epochs 1 --threads 1"
expect 0 "" "$BIN" train $R --loss mae --out $tmp/maerun
grep -q '"loss": "mae"' $tmp/maerun/config.json && ok || ko "train --loss mae: saved loss $(grep '"loss"' $tmp/maerun/config.json)"
vl=$(sed -n 's/^done:.*(val loss \([0-9.]*\)).*/\1/p' $tmp/err)
grep -q "^val: MSE [0-9.]*  MAE $vl (scaled space, the saved model)$" $tmp/err && ok || ko "val: line's MAE is not the done: line's $vl: $(grep '^val:' $tmp/err)"
"$BIN" eval $tmp/maerun --data data/ETTh1.csv --columns HUFL,OT --split val >$tmp/mae_eval.txt || ko "eval --split val of the mae model"
grep -q "^val: MSE $(sed -n 's/^MSE \([0-9.]*\)  MAE.*(scaled space)$/\1/p' $tmp/mae_eval.txt)  " $tmp/err && ok || ko "train's val MSE differs from eval --split val's ($(cat $tmp/mae_eval.txt))"
vm=$(sed -n 's/^val: MSE \([0-9.]*\)  MAE.*/\1/p' $tmp/err)
grep -q "^| validation MSE (scaled space) | $vm | |$" $tmp/maerun/README.md && ok || ko "the model card lacks the validation MSE $vm"
expect 0 "" "$BIN" train $R --loss huber --out $tmp/huberrun
grep -q '"loss": "huber"' $tmp/huberrun/config.json && ok || ko "train --loss huber: saved loss $(grep '"loss"' $tmp/huberrun/config.json)"
expect 1 "loss: \"mae\" is a TinyTimeMixer loss; PatchTSMixer trains with \"mse\" or \"nll\"" "$BIN" train --data data/ETTh1.csv --loss mae --out $tmp/ptmmae --max-steps 1 --epochs 1 --quiet
expect 2 "--loss 'l1': expected mse, nll, mae, pinball or huber" "$BIN" train --data data/ETTh1.csv --loss l1 --out $tmp/ptmmae

echo "test_ttm_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
