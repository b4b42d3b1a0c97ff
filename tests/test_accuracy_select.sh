#!/bin/sh
# test_accuracy_select.sh - bench/accuracy/run.sh (issue 15) chooses configurations on validation
# loss only: a folder of made-up finished runs (command.sh, train.log, loss.csv, result.csv, no
# training), then `run.sh --table`, and the roles it writes into results.csv. The test MSEs are
# made to disagree with the validation losses everywhere, so a selection that looked at test
# figures would choose otherwise. Then `run.sh --quick` with this build, end to end.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_accuracy_select: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data"

# run DS H CAND SEED EPOCH_END_VALS DONE_VAL TEST [FLAGS [VAL_MSE]]: a finished run's files;
# VAL_MSE: a run trained with another loss (--loss mae): its validation losses are MAEs, the
# trainer's val: line has the saved model's validation MSE (its result line's val_mse)
run() {
    d=$tmp/out/runs/$1_$2_$3_s$4
    mkdir -p "$d/ckpt"
    printf '#!/bin/sh\nx train --context-length 512 --prediction-length %s %s --out %s/ckpt\n' \
        "$2" "$8" "$d" >"$d/command.sh"
    {
        echo "epoch,train_loss,val_loss"
        e=0
        for v in $5; do
            e=$((e + 1))
            echo "$e,0.5,$v"
        done
    } >"$d/ckpt/loss.csv"
    echo "done: 3 epochs, 300 steps, best epoch 1 (val loss $6), 10.0 s, 100 samples/s" >"$d/train.log"
    echo "{}" >"$d/ckpt/config.json"
    if [ -n "${9:-}" ]; then
        echo "val: MSE $9  MAE $6 (scaled space, the saved model)" >>"$d/train.log"
        echo "3,1,$9,$7,0.4,10.0" >"$d/result.csv"
    else
        echo "3,1,$6,$7,0.4,10.0" >"$d/result.csv"
    fi
}

# ETTh2's search at 96: ttmhd7 has the lowest validation loss and the worst test MSE
for c in const drop5 onecyc lr1e4 ttm; do
    run ETTh2 96 $c 42 "0.30 0.25" 0.25 0.20
done
run ETTh2 96 ttmhd7 42 "0.24 0.21" 0.21 0.90
# the MAE-trained candidates: ttmmae's validation MAE (0.10) is below every MSE, but its
# validation MSE (0.26) is not; ttmhd7mae's MSE 0.22 is just above ttmhd7's 0.21
run ETTh2 96 ttmmae 42 "0.12 0.10" 0.10 0.01 "--loss mae" 0.26
run ETTh2 96 ttmhd7mae 42 "0.40 0.35" 0.35 0.02 "--loss mae" 0.22
# ETTh2 192 has a search of its own (ttmhd7, ttmhd7ve, ttmlr, ttmhd7mae): ttmhd7ve's best check
# lies inside an epoch (done: line 0.28, epoch ends 0.31), below ttmhd7's 0.29; ttmlr is worse,
# and so is ttmhd7mae by its validation MSE (0.30; its MAE 0.20 is no MSE)
run ETTh2 192 ttmhd7 42 "0.29 0.30" 0.29 0.10
run ETTh2 192 ttmhd7ve 42 "0.31 0.32" 0.28 0.95 "--val-every 40"
run ETTh2 192 ttmlr 42 "0.35" 0.35 0.05 "--val-every 40"
run ETTh2 192 ttmhd7mae 42 "0.22 0.20" 0.20 0.01 "--loss mae" 0.30
# ETTh2 720 has none: the dataset's choice
run ETTh2 720 ttmhd7 42 "0.60" 0.60 0.50
run ETTh2 720 const 42 "0.50" 0.50 0.30

bash bench/accuracy/run.sh --table --out "$tmp/out" --data-dir "$tmp/data" --bin /bin/true \
    --seeds 42 --cells ETTh2 --cell-search >"$tmp/log" 2>&1 && ok || ko "run.sh --table: $(cat "$tmp/log")"
res=$tmp/out/results-cellsearch.csv
role() { awk -F, -v h="$1" -v c="$2" '$2 == h && $4 == c { print $6 }' "$res"; }
[ "$(role 96 ttmhd7)" = "search+final" ] && ok || ko "96: ttmhd7 should be search+final, got '$(role 96 ttmhd7)'"
[ "$(role 96 ttm)" = "search" ] && ok || ko "96: ttm should be search, got '$(role 96 ttm)'"
[ "$(role 96 ttmmae)" = "search" ] && ok || ko "96: ttmmae (validation MAE 0.10, MSE 0.26) should be search, got '$(role 96 ttmmae)'"
[ "$(role 192 ttmhd7ve)" = "search+final" ] && ok || ko "192: ttmhd7ve (its done: line) should win, got '$(role 192 ttmhd7ve)'"
[ "$(role 192 ttmhd7)" = "search" ] && ok || ko "192: ttmhd7 should be search, got '$(role 192 ttmhd7)'"
[ "$(role 192 ttmlr)" = "search" ] && ok || ko "192: ttmlr should be search, got '$(role 192 ttmlr)'"
[ "$(role 720 ttmhd7)" = "final" ] && ok || ko "720: ttmhd7 should be final, got '$(role 720 ttmhd7)'"
[ -z "$(role 720 const)" ] && ok || ko "720: const is no search run there, got '$(role 720 const)'"
grep -q "ttmhd7ve" "$tmp/out/cells-cellsearch/ETTh2_192/command.sh" && ok || ko "cells/ETTh2_192/command.sh lacks the cell's choice"
grep -q "| ETTh2 | 512→192 | ttmhd7ve |" "$tmp/out/table-cellsearch.md" && ok || ko "table.md: $(cat "$tmp/out/table-cellsearch.md")"
# without --cell-search (the default protocol) the dataset's choice holds at 192, and the cell's
# candidates are not search runs
bash bench/accuracy/run.sh --table --out "$tmp/out" --data-dir "$tmp/data" --bin /bin/true \
    --seeds 42 --cells ETTh2 >"$tmp/log" 2>&1 && ok || ko "run.sh --table: $(cat "$tmp/log")"
res=$tmp/out/results.csv
[ "$(role 192 ttmhd7)" = "final" ] && ok || ko "default, 192: ttmhd7 should be final, got '$(role 192 ttmhd7)'"
[ -z "$(role 192 ttmhd7ve)" ] && ok || ko "default, 192: ttmhd7ve should have no role, got '$(role 192 ttmhd7ve)'"

# ETTh1 96: the MAE-trained candidate wins on its validation MSE (0.20) though its MAE (0.50) is
# above the others' validation MSEs
for c in const drop5 onecyc lr1e4 ttm ttmhd7; do
    run ETTh1 96 $c 42 "0.30 0.25" 0.25 0.20
done
run ETTh1 96 ttmmae 42 "0.55 0.50" 0.50 0.90 "--loss mae" 0.20
run ETTh1 96 ttmhd7mae 42 "0.60 0.55" 0.55 0.90 "--loss mae" 0.24
bash bench/accuracy/run.sh --table --out "$tmp/out" --data-dir "$tmp/data" --bin /bin/true \
    --seeds 42 --cells ETTh1_96 >"$tmp/log" 2>&1 && ok || ko "run.sh --table ETTh1_96: $(cat "$tmp/log")"
[ "$(awk -F, '$1 == "ETTh1" && $4 == "ttmmae" { print $6 }' "$tmp/out/results.csv")" = "search+final" ] && ok ||
    ko "ETTh1 96: ttmmae (validation MSE 0.20) should win: $(grep ETTh1 "$tmp/out/results.csv")"
# one run of such a candidate (run.sh __run): its result line's val_mse is the val: line's MSE
d=$tmp/one/runs/ETTh1_96_ttmmae_s1
mkdir -p "$d"
printf '#!/bin/sh\n# x train --loss mae\necho "done: 5 epochs, 630 steps, best epoch 5 (val loss 0.540181), 1.0 s, 9 samples/s"\necho "val: MSE 0.664901  MAE 0.540181 (scaled space, the saved model)"\necho "test: MSE 0.358520  MAE 0.381824 (scaled space; repeat-last-value baseline MSE 1.294371  MAE 0.713181)"\n' >"$d/command.sh"
bash bench/accuracy/run.sh --bin /bin/true __run "$d" >"$tmp/log" 2>&1 && ok || ko "run.sh __run: $(cat "$tmp/log")"
[ "$(cut -d, -f1-5 "$d/result.csv")" = "5,5,0.664901,0.358520,0.381824" ] && ok || ko "__run of a --loss mae run: $(cat "$d/result.csv")"

# --import: the committed results folder restored into a fresh OUT gives back the committed tables
# and CSVs byte for byte (but the run paths) and the same cell configurations; a run already in
# OUT is kept as it is (a run trained here wins over an imported one)
imp=$tmp/imp
mkdir -p "$imp/runs/ETTh1_96_const_s42"
echo "1,1,0.5,0.5,0.5,1.0" >"$imp/runs/ETTh1_96_const_s42/result.csv"
bash bench/accuracy/run.sh --import bench/accuracy/results --plan --cells ETTh1_96 --out "$imp" --data-dir "$tmp/data" \
    --bin /bin/true >"$tmp/log" 2>&1 && ok || ko "run.sh --import --plan: $(cat "$tmp/log")"
[ "$(cat "$imp/runs/ETTh1_96_const_s42/result.csv")" = "1,1,0.5,0.5,0.5,1.0" ] && ok ||
    ko "--import replaced a run already in OUT"
[ ! -f "$imp/runs/ETTh1_96_const_s42/imported" ] && ok || ko "--import marked a local run imported"
echo "$(sed -n '2p' bench/accuracy/results/results.csv | cut -d, -f7-12)" | grep -q . && ok || ko "no committed results"
# with the committed result of that run back in place, the tables must be the committed ones
rm -rf "$imp/runs/ETTh1_96_const_s42"
bash bench/accuracy/run.sh --import bench/accuracy/results --table --out "$imp" --data-dir "$tmp/data" \
    --bin /bin/true >"$tmp/log" 2>&1 && ok || ko "run.sh --import: $(cat "$tmp/log")"
bash bench/accuracy/run.sh --table --cell-search --out "$imp" --data-dir "$tmp/data" --bin /bin/true \
    >"$tmp/log" 2>&1 && ok || ko "run.sh --table --cell-search after --import: $(cat "$tmp/log")"
for t in table.md table-cellsearch.md; do
    cmp -s "$imp/$t" "bench/accuracy/results/$t" && ok || ko "--import: $t differs from the committed one"
done
for r in results.csv results-cellsearch.csv; do
    sed 's#,[^,]*/runs/\([^,/]*\)$#,\1#' "$imp/$r" >"$tmp/a.csv"
    sed 's#,[^,]*/runs/\([^,/]*\)$#,\1#' "bench/accuracy/results/$r" >"$tmp/b.csv"
    cmp -s "$tmp/a.csv" "$tmp/b.csv" && ok || ko "--import: $r differs from the committed one"
done
diff -r -x command.sh "$imp/cells" bench/accuracy/results/cells >/dev/null && ok || ko "--import: cells/ configs differ"
diff -r -x command.sh "$imp/cells-cellsearch" bench/accuracy/results/cells-cellsearch >/dev/null && ok ||
    ko "--import: cells-cellsearch/ configs differ"
# an imported run is chosen on the val_mse of its result line (no loss.csv, no train.log)
[ ! -f "$imp/runs/ETTh2_96_ttmhd7_s42/ckpt/loss.csv" ] && [ -f "$imp/runs/ETTh2_96_ttmhd7_s42/imported" ] && ok ||
    ko "--import: the imported run has a loss.csv or no mark"
mkdir -p "$tmp/empty"
bash bench/accuracy/run.sh --import "$tmp/empty" --table --out "$tmp/imp2" --data-dir "$tmp/data" \
    --bin /bin/true >"$tmp/log" 2>&1 && ko "--import of an empty folder succeeded" ||
    { grep -q "^run.sh: --import: no results\*.csv in $tmp/empty$" "$tmp/log" && ok || ko "--import empty: $(cat "$tmp/log")"; }

# --measure: a made-up trainer that prints the trainer's data: and train: lines and burns CPU in
# proportion to --max-steps; the costs come back per configuration, with its steps per epoch,
# the cost of a step from its epoch line (0.05 s over 100 steps; ILI: 35) and the validation
# share of the overhead (val/(val + test) = 1/3)
mkdir -p "$tmp/mdata/ETT-small" "$tmp/mdata/weather" "$tmp/mdata/exchange_rate" "$tmp/mdata/illness"
for f in ETT-small/ETTm1.csv ETT-small/ETTm2.csv weather/weather.csv; do echo x | gzip >"$tmp/mdata/$f.gz"; done
cat >"$tmp/fake_train" <<'FAKE'
#!/bin/sh
n=0
while [ $# -gt 0 ]; do [ "$1" = --max-steps ] && n=$2; shift; done
echo "data: f, 100 rows x 7 channels; windows train 700, val 100, test 200"
echo "train: forecast, 1 epochs x 123 steps, batch 64, lr 0.001 (constant)"
echo "epoch 1/1: train loss 0.5, val loss 0.6 (best, saved), 0.05s, 100 samples/s"
i=0
while [ "$i" -lt $((n * 1000 + 100000)) ]; do i=$((i + 1)); done
FAKE
chmod +x "$tmp/fake_train"
bash bench/accuracy/run.sh --measure --out "$tmp/meas" --data-dir "$tmp/mdata" --bin "$tmp/fake_train" \
    >"$tmp/log" 2>&1 && ok || ko "run.sh --measure: $(cat "$tmp/log")"
[ "$(awk -F, 'NR > 1 && $4 == 123 && $5 == ($1 == "ILI" ? 0.0014 : 0.0005) && $6 > 0 && $7 > 0.25 * $6 && $7 < 0.42 * $6' \
    "$tmp/meas/measure/costs.csv" | wc -l)" -eq 11 ] && ok || ko "--measure costs: $(cat "$tmp/meas/measure/costs.csv")"
grep -q -- "--config .* --epochs 1 --max-steps 100$" "$tmp/meas/measure/ETTh1_96_ttm_n100_2/command.sh" && ok ||
    ko "--measure: the TinyTimeMixer candidate's command: $(cat "$tmp/meas/measure/ETTh1_96_ttm_n100_2/command.sh")"

# time_estimate.py: two runs priced from made-up costs - ETTh1 96 const (3 epochs of 10 s + 2 s;
# cap 10: 102 s) and ETTh1 720 ttm (5 epochs of 40 s x its horizon factor 20/10 = 2, + 4 s;
# cap 5: the same 404 s); totals 436 s as run and 506 s at the caps
cat >"$tmp/costs.csv" <<'CSV'
dataset,horizon,candidate,steps_per_epoch,cpu_s_per_step,run_overhead_s,val_s,epoch_s
ETTh1,96,const,100,0.1,2,1,10
ETTh1,720,const,100,0.2,2,1,20
ETTh1,96,ttm,100,0.4,4,2,40
CSV
cat >"$tmp/res.csv" <<'CSV'
dataset,horizon,context,configuration,seed,role,epochs,best_epoch,val_mse,test_mse,test_mae,wall_s,run
ETTh1,96,512,const,42,search,3,1,0.7,0.4,0.4,10,x
ETTh1,720,512,ttm,42,final,5,2,0.7,0.4,0.4,10,y
CSV
/usr/bin/python3 bench/accuracy/time_estimate.py "$tmp/costs.csv" "$tmp/res.csv" >"$tmp/log" 2>&1 &&
    grep -q "^total  *436  *506$" "$tmp/log" && ok || ko "time_estimate.py: $(cat "$tmp/log")"
# a run of a run.sh --dataset set has no measured cost: left out of the totals, and named
echo "Toy,8,24,const,42,search,3,1,0.3,0.2,0.3,1.0,z" >>"$tmp/res.csv"
/usr/bin/python3 bench/accuracy/time_estimate.py "$tmp/costs.csv" "$tmp/res.csv" >"$tmp/log" 2>&1 &&
    grep -q "^total  *436  *506$" "$tmp/log" && grep -q "^not priced .*: Toy$" "$tmp/log" && ok ||
    ko "time_estimate.py with a --dataset run: $(cat "$tmp/log")"

# --dataset: a dataset of the user's through the whole protocol (search at its search horizon,
# the winner at every horizon and seed, results.csv, table.md, the cell's command.sh), with a
# made-up trainer whose validation loss favours drop5 and whose test MSE favours the others
mkdir -p "$tmp/udata"
printf 'date,a,b\n2020-01-01,1,2\n' >"$tmp/udata/toy.csv"
cat >"$tmp/fake_fit" <<'FAKE'
#!/bin/sh
out="" v=0.30 t=0.20 h=0
case " $* " in *" --dropout 0.5 "*) v=0.25 t=0.90 ;; esac
while [ $# -gt 0 ]; do
    case "$1" in --out) out=$2 ;; --prediction-length) h=$2 ;; esac
    shift
done
mkdir -p "$out"
printf 'epoch,train_loss,val_loss\n1,0.5,%s\n' "$v" >"$out/loss.csv"
echo '{"prediction_length": '"$h"'}' >"$out/config.json"
echo "done: 1 epochs, 10 steps, best epoch 1 (val loss $v), 1.0 s, 10 samples/s"
echo "test: MSE $t  MAE 0.3 (scaled space; repeat-last-value baseline MSE 1.0  MAE 0.7)"
FAKE
chmod +x "$tmp/fake_fit"
spec='Toy|toy.csv|24|4|4|8 16|8|2|1|16'
bash bench/accuracy/run.sh --dataset "$spec" --candidates 'Toy|const drop5 onecyc' --cells Toy \
    --seeds 42,1 --out "$tmp/u" --data-dir "$tmp/udata" --bin "$tmp/fake_fit" >"$tmp/log" 2>&1 && ok ||
    ko "run.sh --dataset: $(cat "$tmp/log")"
res=$tmp/u/results.csv
[ "$(awk -F, '$1 == "Toy" && $2 == 8 && $4 == "drop5" && $5 == 42 { print $6 }' "$res")" = "search+final" ] && ok ||
    ko "--dataset: drop5 (lowest validation loss) should win Toy 8: $(cat "$res")"
[ "$(awk -F, '$1 == "Toy" && $6 ~ /final/' "$res" | wc -l)" -eq 4 ] && ok ||
    ko "--dataset: 2 horizons x 2 seeds of finals expected: $(cat "$res")"
[ "$(awk -F, '$1 == "Toy" && $6 == "search"' "$res" | wc -l)" -eq 2 ] && ok || ko "--dataset: 2 losing search runs expected: $(cat "$res")"
grep -q "| Toy | 24→16 | drop5 |" "$tmp/u/table.md" && ok || ko "--dataset table: $(cat "$tmp/u/table.md")"
grep -q -- "--data $tmp/udata/toy.csv --context-length 24 --patch-length 4 --patch-stride 4 --prediction-length 16 --batch-size 16 --epochs 2 --patience 1 .*--dropout 0.5" \
    "$tmp/u/cells/Toy_16/command.sh" && ok || ko "--dataset cell command: $(cat "$tmp/u/cells/Toy_16/command.sh")"
# the same with an absolute path and the default candidates (const drop5 onecyc lr1e4): --plan
bash bench/accuracy/run.sh --dataset "Toy2|$tmp/udata/toy.csv|24|4|4|8|8|2|1|16" --cells Toy2 --plan \
    --out "$tmp/u2" --data-dir "$tmp/udata" --bin "$tmp/fake_fit" >"$tmp/log" 2>&1 && ok || ko "--dataset --plan: $(cat "$tmp/log")"
[ "$(ls "$tmp/u2/runs" | grep _s42 | tr '\n' ' ')" = "Toy2_8_const_s42 Toy2_8_drop5_s42 Toy2_8_lr1e4_s42 Toy2_8_onecyc_s42 " ] && ok ||
    ko "--dataset default candidates: $(ls "$tmp/u2/runs")"
grep -q "Toy2, a --dataset, count as 0 s" "$tmp/log" && ok || ko "--plan note on --dataset: $(cat "$tmp/log")"
# hostile specifications: exit 2, one clear line, nothing run
bad_spec() { # expected-message args...
    msg=$1
    shift
    bash bench/accuracy/run.sh "$@" --out "$tmp/bad" --data-dir "$tmp/udata" --bin "$tmp/fake_fit" >"$tmp/log" 2>&1
    rc=$?
    [ "$rc" -eq 2 ] && grep -qF -- "$msg" "$tmp/log" && [ ! -d "$tmp/bad/runs" ] && ok ||
        ko "hostile $*: rc $rc, $(cat "$tmp/log")"
}
bad_spec "9 fields, expected 10" --dataset 'Toy|toy.csv|24|4|4|8|8|2|1'
bad_spec "name 'To_y': letters and digits" --dataset 'To_y|toy.csv|24|4|4|8|8|2|1|16'
bad_spec "'ETTh1' is already a dataset" --dataset 'ETTh1|toy.csv|24|4|4|8|8|2|1|16'
bad_spec "context 0 is not a positive integer" --dataset 'Toy|toy.csv|0|4|4|8|8|2|1|16'
bad_spec "horizon 'x' is not a positive integer" --dataset 'Toy|toy.csv|24|4|4|8 x|8|2|1|16'
bad_spec "the search horizon '96' is not one of its horizons" --dataset 'Toy|toy.csv|24|4|4|8 16|96|2|1|16'
bad_spec "no file $tmp/udata/nope.csv" --dataset 'Toy|nope.csv|24|4|4|8|8|2|1|16'
bad_spec "'toy.txt' is not a .csv or .csv.gz file" --dataset 'Toy|toy.txt|24|4|4|8|8|2|1|16'
bad_spec "unknown candidate 'big'" --dataset "$spec" --candidates 'Toy|const big'
bad_spec "--candidates: no dataset 'Nope'" --candidates 'Nope|const'

# and the real thing, end to end: --quick trains ETTh1 512->96 twice (two candidates, 20 steps
# each) with this build and writes the table (ETTh1 from data/, the same file as the shared set's)
BIN=${BUILD:-build}/patchtsmixer
if [ -x "$BIN" ]; then
    mkdir -p "$tmp/shared/ETT-small"
    cp data/ETTh1.csv "$tmp/shared/ETT-small/ETTh1.csv"
    bash bench/accuracy/run.sh --quick --out "$tmp/quick" --data-dir "$tmp/shared" --bin "$BIN" \
        >"$tmp/qlog" 2>&1 && ok || ko "run.sh --quick: $(cat "$tmp/qlog")"
    [ "$(grep -c ',search' "$tmp/quick/results.csv")" -eq 2 ] && ok || ko "--quick: $(cat "$tmp/quick/results.csv")"
    grep -q "| ETTh1 | 512→96 |" "$tmp/quick/table.md" && ok || ko "--quick table: $(cat "$tmp/quick/table.md")"
    [ -s "$tmp/quick/cells/ETTh1_96/config.json" ] && ok || ko "--quick wrote no cell config.json"
else
    ko "$BIN not built"
fi

echo "test_accuracy_select: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
