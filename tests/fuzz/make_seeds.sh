#!/bin/sh
# make_seeds.sh - (re)creates the seed files of tests/fuzz/corpus/<target>/seed_* from the
# golden cases, the test data and tiny models trained here with build/patchtsmixer. Crash
# files (crash_*) found by fuzzing are kept separately and never touched by this script.
#
#     make && sh tests/fuzz/make_seeds.sh
#
# Seeds are kept small (a few KB) so that libFuzzer's mutations stay fast.
set -eu
BIN=${BIN:-build/patchtsmixer}
C=tests/fuzz/corpus
SEP='
--ptm-fuzz-file--
'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in safetensors config csv ts checkpoint model preprocessor long; do
    mkdir -p "$C/$t"
    rm -f "$C/$t"/seed_*
done

# join FILE... > OUT: the files joined by the fuzz_common.h separator
join() {
    first=1
    for f in "$@"; do
        [ $first -eq 1 ] || printf '%s' "$SEP"
        cat "$f"
        first=0
    done
}

# tiny training data
awk 'BEGIN { print "date,a,b"; for (i = 0; i < 200; i++)
    printf "2020-01-%02d %02d:00:00,%.4f,%.4f\n", 1 + int(i / 24), i % 24, sin(i * 0.3), cos(i * 0.17) }' \
    >"$tmp/sine.csv"
tiny="--context-length 16 --patch-length 4 --d-model 4 --num-layers 1 --epochs 1 --batch-size 16 --quiet"
"$BIN" train --data "$tmp/sine.csv" --out "$tmp/fc" $tiny --prediction-length 4 --norm BatchNorm
"$BIN" train --data "$tmp/sine.csv" --out "$tmp/nll" $tiny --prediction-length 4 --loss nll \
    --distribution student_t --mode mix_channel --gated-attn 0
"$BIN" train --data "$tmp/sine.csv" --out "$tmp/nb" $tiny --prediction-length 4 --loss nll \
    --distribution negative_binomial --scaling mean
"$BIN" train --data "$tmp/sine.csv" --out "$tmp/att" $tiny --prediction-length 4 \
    --self-attn-heads 2 --positional-encoding random --scaling none
"$BIN" train --task pretrain --data "$tmp/sine.csv" --out "$tmp/pt" $tiny --mask-type forecast
"$BIN" train --task classify --data tests/data/tiny_uea.ts --out "$tmp/cls" $tiny \
    --context-length 8 --patch-length 2 --head-aggregation none
"$BIN" train --task regress --data tests/data/tiny_tser.ts --out "$tmp/reg" $tiny \
    --context-length 8 --patch-length 2 --norm BatchNorm --head-aggregation avg_pool

# model: config.json + model.safetensors (tiny trained models and the smallest golden cases)
for m in fc nll nb att pt cls reg; do
    join "$tmp/$m/config.json" "$tmp/$m/model.safetensors" >"$C/model/seed_$m"
done
for g in fc_mean_missing_channel_mix pt_forecast_int_fullloss_noscale_attn reg_avgpool_noscale_nogate \
    ttm/apl3_fallback_np1_noscale ttm/categorical_static_mixdec ttm/fcm_w2_nomixer_noprepend_filter \
    ttm/model_backbone_prefix_apl2_obsmask; do
    join tests/golden/$g/config.json tests/golden/$g/model.safetensors \
        >"$C/model/seed_golden_$(echo "$g" | tr / _)"
done

# checkpoint: a last/ folder of the fixed architecture of fuzz_checkpoint.c
"$BIN" train --data "$tmp/sine.csv" --out "$tmp/ck" $tiny --prediction-length 4 --norm BatchNorm \
    --epochs 2
L="$tmp/ck/last"
join "$L/config.json" "$L/model.safetensors" "$L/optimizer.safetensors" "$L/trainer_state.json" \
    >"$C/checkpoint/seed_last"
join "$L/config.json" "$L/model.safetensors" "$L/optimizer.safetensors" >"$C/checkpoint/seed_no_state"

# safetensors: tiny models, optimiser state, golden inputs, a header-only file
cp "$tmp/fc/model.safetensors" "$C/safetensors/seed_fc"
cp "$tmp/cls/model.safetensors" "$C/safetensors/seed_cls"
cp "$L/optimizer.safetensors" "$C/safetensors/seed_optimizer"
cp tests/golden/grad_cls_avgpool_std_mix_bn/inputs.safetensors "$C/safetensors/seed_inputs_cls"
cp tests/golden/fc_mean_missing_channel_mix/inputs.safetensors "$C/safetensors/seed_inputs_fc"
head -c 2048 tests/golden/fc_mean_missing_channel_mix/model.safetensors >"$C/safetensors/seed_head"

# config: every golden config and the trained ones
for d in tests/golden/*/; do
    if [ -f "$d/config.json" ]; then cp "$d/config.json" "$C/config/seed_$(basename "$d")"; fi
done
for d in tests/golden/ttm/*/; do cp "$d/config.json" "$C/config/seed_ttm_$(basename "$d")"; done
# hostile TinyTimeMixer configs (tests/test_hostile_ttm.c): levels that do not split d_model, a
# prefix patch not counted, categoricals without a channel-mixing decoder, a forecast channel
# mixer with no window and a mixer
T=tests/golden/ttm
sed 's/"d_model": 192/"d_model": 22/' $T/r2_512_96_7ch/config.json >"$C/config/seed_ttm_levels_22"
sed 's/"num_patches": 14/"num_patches": 13/' $T/r21_52_16_ft_l1_prefix/config.json \
    >"$C/config/seed_ttm_prefix_uncounted"
sed 's/"decoder_mode": "mix_channel"/"decoder_mode": "common_channel"/' \
    $T/categorical_static_mixdec/config.json >"$C/config/seed_ttm_categorical_common"
sed 's/"fcm_context_length": 1/"fcm_context_length": 0/' \
    $T/fcm_exog_mixer_prepend_mixdec/config.json >"$C/config/seed_ttm_fcm_w0_mixer"
for m in fc nll pt cls reg; do cp "$tmp/$m/config.json" "$C/config/seed_trained_$m"; done

# preprocessor: what training wrote, and a hand-made one with a covariate and null fields
for m in fc att pt; do cp "$tmp/$m/preprocessor_config.json" "$C/preprocessor/seed_trained_$m"; done
printf '%s\n' '{"preprocessor_type": "PatchTSMixerPreprocessor", "format_version": 1,' \
    '"columns": ["y", "x \"1\"", "\u00e9"], "target_columns": ["y"],' \
    '"covariate_columns": ["x \"1\"", "\u00e9"], "scaler": null, "timestamp_column": null,' \
    '"timestamp_format": null, "time_step_seconds": null, "training_data": null,' \
    '"training_command": null, "library_version": null}' >"$C/preprocessor/seed_covariates"

# csv: the test data, the first rows of the bundled data and hand-made layouts
cp tests/data/tiny_ett.csv "$C/csv/seed_tiny_ett"
cp tests/data/fc_past.csv "$C/csv/seed_fc_past"
head -n 20 data/ETTh1.csv >"$C/csv/seed_etth1_head"
printf '\357\273\277"date";"x y";"z"\r\n"2020-01-01T00:00:00Z";1.5;"2"\r\n"2020-01-01T01:00:00Z";NA;-3e2\r\n' \
    >"$C/csv/seed_bom_crlf_quoted"
printf 'time\tv\n2020/1/2 3:04\t1\n2020/1/2 4:04\tnan\n2020/1/2 5:04\t\n' >"$C/csv/seed_tab"
printf '1,2,3\n4,5,6\n\n7,8,9\n' >"$C/csv/seed_noheader"
printf '\001;a;b\n1;2\n3;4\n' >"$C/csv/seed_given_delimiter"
printf 'd,v\n2016-07-01 02:00:00+02:00,1\n2016-07-01 03:00:00+0200,inf\n2016-07-01 04:00:00.5,"1.5"\n' \
    >"$C/csv/seed_zones"

# long: statsforecast's layout with a covariate, series out of order, integer times, a gap, a
# repeated time, quoted ids, the given-delimiter and custom-name prefixes
printf 'unique_id,ds,y,price\nB,2024-01-02,2,0.5\nA,2024-01-01 00:00:00,1,NA\nA,2024-01-01 01:00:00,1.5,\nB,2024-01-01,3,0.4\nA,2024-01-01 03:00:00,2,1\n' \
    >"$C/long/seed_covariate_unsorted"
printf 'unique_id,ds,y\n"a,b",3,1\n"a,b",1,2\n"a,b",2,3\nc,1,4\nc,1,5\nc,-7,6\n' >"$C/long/seed_integer_quoted"
printf '\357\273\277"y";"ds";"unique_id"\r\n1;2016-07-01T02:00:00+02:00;s\r\n2;2016-07-01T03:00:00+02:00;s\r\n' \
    >"$C/long/seed_bom_semicolon"
printf '\001\tunique_id\tds\ty\nx\t2020/1/2 3:04\t1\nx\t2020/1/2 4:04\tinf\n' >"$C/long/seed_given_delimiter"
printf '\002id,t,v,w\nM5_1,1,0,1\nM5_1,2,0,1\nM5_2,1,3,0\n' >"$C/long/seed_custom_names"

# ts: the test files and hand-made variants
cp tests/data/tiny_uea.ts "$C/ts/seed_tiny_uea"
cp tests/data/tiny_tser.ts "$C/ts/seed_tiny_tser"
printf '@problemName x\r\n@univariate false\r\n@dimensions 2\r\n@equalLength true\r\n@seriesLength 3\r\n@classLabel true a b\r\n@data\r\n1,2,3:4,5,6:a\r\n?,NaN,1:0,0,1e3:b\r\n' \
    >"$C/ts/seed_equal_crlf"
printf '# comment\n@targetLabel false\n@data\n1,2,3\n4,5\n' >"$C/ts/seed_unlabelled"
printf '\357\273\277@classLabel true\n@data\n1 , 2:x\n3:y\n4,5,6,7:x\n' >"$C/ts/seed_bom_autoclasses"
echo "seeds written to $C"
