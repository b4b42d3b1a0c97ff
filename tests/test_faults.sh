#!/bin/sh
# test_faults.sh - faults during training never lose a checkpoint:
#   1. kill -9 at random moments (KILLS times, default 30) of a training run that saves a
#      checkpoint every epoch: every time, DIR (the best model) and DIR/last (the resume state;
#      DIR/last.old when the kill fell between its two renames) load with `patchtsmixer info`
#      whenever they existed before the kill;
#   2. --resume after a kill reaches the same final checkpoints as an uninterrupted run,
#      byte for byte (RESUMES times, default 6);
#   3. a full disk (a file size limit, `ulimit -f`, with SIGXFSZ ignored) and an unwritable
#      staging folder during a save: a clear error, exit code 1, and the previous checkpoint
#      unchanged and loadable.
# Prints "test_faults: N passed, M failed". Delays come from awk's rand(), seeded with
# FAULT_SEED (default: the time; printed so that a failure can be replayed).
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
KILLS=${KILLS:-30}
RESUMES=${RESUMES:-6}
SEED=${FAULT_SEED:-$(date +%s)}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_faults: $*"; }

awk 'BEGIN { print "date,a,b"; for (i = 0; i < 240; i++)
    printf "2020-01-%02d %02d:00:00,%.5f,%.5f\n", 1 + int(i / 24), i % 24,
        sin(i * 0.3) + 0.1 * sin(i * 1.7), cos(i * 0.17) }' >"$tmp/sine.csv"
TINY="--data $tmp/sine.csv --context-length 32 --prediction-length 8 --patch-length 8 \
--d-model 8 --num-layers 1 --batch-size 8 --patience 0 --seed 3 --quiet"

# delays DELAY_MIN DELAY_MAX COUNT SEED: COUNT random delays in seconds, one per line
delays() { awk -v a="$1" -v b="$2" -v n="$3" -v s="$4" \
    'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.3f\n", a + (b - a) * rand() }'; }

# loadable DIR: `patchtsmixer info DIR` succeeds
loadable() { "$BIN" info "$1" >/dev/null 2>"$tmp/info.err"; }

echo "test_faults: seed $SEED"

# ---------------------------------------------------------------- 1. kill -9 at random times
# A long run (it is always killed); each epoch takes a few ms, much of it writing checkpoints.
in_save=0
had_ckpt=0
i=0
for d in $(delays 0.02 0.6 "$KILLS" "$SEED"); do
    i=$((i + 1))
    out="$tmp/kill$i"
    "$BIN" train $TINY --epochs 100000 --out "$out" &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # evidence that the kill fell inside a save: staging folders or temporary files left
    for f in "$out"/last.tmp "$out"/last.old "$out"/.*.ptm-tmp-* "$out"/last/.*.ptm-tmp-*; do
        if [ -e "$f" ]; then
            in_save=$((in_save + 1))
            break
        fi
    done
    # DIR/config.json is written after DIR/model.safetensors: once it exists, a checkpoint
    # existed, and DIR must load whatever the kill interrupted afterwards
    if [ -f "$out/config.json" ]; then
        had_ckpt=$((had_ckpt + 1))
        loadable "$out" && ok || ko "kill $i after ${d}s: $out does not load: $(cat "$tmp/info.err")"
    fi
    if [ -d "$out/last" ]; then
        loadable "$out/last" && ok || ko "kill $i: $out/last does not load: $(cat "$tmp/info.err")"
    elif [ -d "$out/last.old" ]; then
        loadable "$out/last.old" && ok || ko "kill $i: $out/last.old does not load"
    fi
    # and training resumes from whatever the kill left (one more epoch is enough to show it)
    if [ -d "$out/last" ] || [ -d "$out/last.old" ]; then
        ep=$(sed -n 's/.*"epoch": *\([0-9]*\).*/\1/p' "$out"/last*/trainer_state.json | head -n 1)
        if "$BIN" train $TINY --epochs $((ep + 2)) --out "$out" --resume >/dev/null 2>"$tmp/r.err"; then
            ok
        else
            ko "kill $i: --resume failed: $(cat "$tmp/r.err")"
        fi
    fi
    rm -rf "$out"
done
echo "test_faults: $KILLS kills, $had_ckpt with a checkpoint on disk, $in_save inside a save"
[ "$had_ckpt" -gt 0 ] && ok || ko "no kill happened after the first checkpoint"

# ---------------------------------------------------------------- 2. --resume is bit-identical
"$BIN" train $TINY --epochs 25 --out "$tmp/full" || ko "uninterrupted run failed"
i=0
for d in $(delays 0.05 0.5 "$RESUMES" "$((SEED + 1))"); do
    i=$((i + 1))
    out="$tmp/res$i"
    "$BIN" train $TINY --epochs 25 --out "$out" &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -d "$out/last" ] || [ -d "$out/last.old" ]; then
        "$BIN" train $TINY --epochs 25 --out "$out" --resume >/dev/null 2>"$tmp/r.err" ||
            ko "resume $i: $(cat "$tmp/r.err")"
    else
        "$BIN" train $TINY --epochs 25 --out "$out" || ko "rerun $i failed"
    fi
    same=1
    for f in model.safetensors config.json last/model.safetensors last/optimizer.safetensors \
        last/trainer_state.json; do
        cmp -s "$tmp/full/$f" "$out/$f" || { same=0; ko "resume $i (kill after ${d}s): $f differs"; }
    done
    [ "$same" -eq 1 ] && ok
    rm -rf "$out"
done

# ---------------------------------------------------------------- 3. full disk, unwritable
out="$tmp/disk"
"$BIN" train $TINY --epochs 2 --out "$out" || ko "first run failed"
cp -r "$out" "$tmp/disk.before"
# limited BYTES CMD...: run CMD with a file size limit of BYTES and SIGXFSZ ignored, so that a
# write beyond it fails with EFBIG (as on a full disk) instead of killing the process
limited() {
    lim=$1
    shift
    (
        trap '' XFSZ
        if command -v prlimit >/dev/null 2>&1; then
            exec prlimit --fsize="$lim" "$@"
        fi
        ulimit -f $((lim / 512)) 2>/dev/null || exit 99 # POSIX: 512-byte blocks
        exec "$@"
    )
}
# disk_case BYTES LABEL: a resumed run whose checkpoint writes hit the limit
disk_case() {
    rm -rf "$out" && cp -r "$tmp/disk.before" "$out"
    limited "$1" "$BIN" train $TINY --epochs 6 --out "$out" --resume >/dev/null 2>"$tmp/disk.err"
    rc=$?
    if [ "$rc" -eq 99 ]; then
        echo "test_faults: no file size limit available, $2 skipped"
        return
    fi
    [ "$rc" -eq 1 ] && ok || ko "$2: exit $rc, expected 1: $(cat "$tmp/disk.err")"
    grep -q "File too large" "$tmp/disk.err" && ok || ko "$2: unclear error: $(cat "$tmp/disk.err")"
    for f in last/model.safetensors last/optimizer.safetensors last/trainer_state.json; do
        cmp -s "$tmp/disk.before/$f" "$out/$f" && ok || ko "$2: $f changed"
    done
    loadable "$out" && loadable "$out/last" && ok || ko "$2: checkpoint does not load"
    left=0
    for f in "$out"/.*.ptm-tmp-* "$out"/last/.*.ptm-tmp-* "$out"/last.tmp "$out"/last.old; do
        [ -e "$f" ] && left=1
    done
    [ "$left" -eq 0 ] && ok || ko "$2: temporary files left behind: $(ls "$out")"
    # and the run continues from the intact state once there is room again
    "$BIN" train $TINY --epochs 3 --out "$out" --resume >/dev/null 2>&1 && ok ||
        ko "$2: --resume afterwards failed"
}
msize=$(wc -c <"$out/model.safetensors")
osize=$(wc -c <"$out/last/optimizer.safetensors")
# below every checkpoint file: the first write fails (the best model's or the state's)
disk_case $((msize / 2)) "full disk"
# room for model.safetensors but not for optimizer.safetensors: the state save fails midway
if [ "$osize" -gt $((msize + 64)) ]; then
    disk_case $((msize + 32)) "full disk during the state save"
fi
# an unwritable staging folder: a file where DIR/last.tmp must go (works as root too)
rm -rf "$out" && cp -r "$tmp/disk.before" "$out"
: >"$out/last.tmp"
"$BIN" train $TINY --epochs 6 --out "$out" --resume >/dev/null 2>"$tmp/ro.err"
rc=$?
[ "$rc" -eq 1 ] && ok || ko "unwritable: exit $rc, expected 1: $(cat "$tmp/ro.err")"
[ "$(wc -l <"$tmp/ro.err")" -eq 1 ] && grep -q "last" "$tmp/ro.err" && ok ||
    ko "unwritable: expected one line naming the folder: $(cat "$tmp/ro.err")"
for f in last/model.safetensors last/optimizer.safetensors last/trainer_state.json; do
    cmp -s "$tmp/disk.before/$f" "$out/$f" && ok || ko "unwritable: $f changed"
done
loadable "$out/last" && ok || ko "unwritable: last/ does not load"

echo "test_faults: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
