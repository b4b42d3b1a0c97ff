#!/bin/sh
# test_special_files.sh - the command line given files that are not regular files: a FIFO
# nobody writes, a directory or /dev/null as config.json, model.safetensors, --input or
# --data is refused at once (exit 1, one line saying what the file is), never a hang (each run
# is under `timeout`, so a regression fails); `--input -` still reads standard input; and
# --max-model-memory refuses a model (exit 1, "limit") on info, predict, eval and
# train --init-from. The library's side is in test_special_files.c.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
M=tests/golden/fc_common_gated_ln_std
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_special_files.sh: $*"; }

# expect RC PATTERN CMD...: exit code RC within 20 s, stderr matching PATTERN
expect() {
    want_rc=$1; pat=$2; shift 2
    timeout 20 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ "$rc" -eq 124 ]; then ko "$* hung (killed after 20 s)"; return; fi
    if [ "$rc" -ne "$want_rc" ]; then ko "$* -> exit $rc, expected $want_rc: $(cat "$tmp/err")"; return; fi
    if [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err"; then ko "$* -> stderr '$(cat "$tmp/err")' lacks '$pat'"; return; fi
    ok
}

# a copy of the model with NAME replaced by KIND (fifo, dir, null)
special_model() {
    rm -rf "$tmp/m"
    cp -r "$M" "$tmp/m"
    rm -f "$tmp/m/$1"
    case $2 in
    fifo) mkfifo "$tmp/m/$1" ;;
    dir) mkdir "$tmp/m/$1" ;;
    null) ln -s /dev/null "$tmp/m/$1" ;;
    esac
}

for kind in fifo dir null; do
    case $kind in fifo) what="FIFO" ;; dir) what="directory" ;; null) what="character device" ;; esac
    for f in config.json model.safetensors; do
        special_model $f $kind
        expect 1 "$f: is a $what" "$BIN" info "$tmp/m"
        expect 1 "$f: is a $what" "$BIN" predict "$tmp/m" --input tests/data/fc_past.csv
        expect 1 "$f: is a $what" "$BIN" eval "$tmp/m" --data tests/data/fc_past.csv
    done
    rm -rf "$tmp/in.csv"
    case $kind in
    fifo) mkfifo "$tmp/in.csv" ;;
    dir) mkdir "$tmp/in.csv" ;;
    null) ln -s /dev/null "$tmp/in.csv" ;;
    esac
    expect 1 "in.csv: is a $what" "$BIN" predict "$M" --input "$tmp/in.csv"
    expect 1 "in.csv: is a $what" "$BIN" eval "$M" --data "$tmp/in.csv"
    expect 1 "in.csv: is a $what" "$BIN" train --data "$tmp/in.csv" --out "$tmp/run" --quiet
done

# standard input stays readable through '-'
timeout 20 "$BIN" predict "$M" --input - <tests/data/fc_past.csv >"$tmp/fc.csv" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(wc -l <"$tmp/fc.csv")" -eq 13 ] && ok || ko "predict --input - failed: $(cat "$tmp/err")"

# --max-model-memory
expect 1 "more than the limit of 1000 bytes" "$BIN" info "$M" --max-model-memory 1000
expect 0 "" "$BIN" info "$M" --max-model-memory 1G
expect 1 "limit" "$BIN" predict "$M" --input tests/data/fc_past.csv --max-model-memory 1K
expect 0 "" "$BIN" predict "$M" --input tests/data/fc_past.csv --max-model-memory 64M
expect 1 "limit" "$BIN" eval "$M" --data tests/data/fc_past.csv --max-model-memory 1000
expect 1 "limit" "$BIN" train --data tests/data/tiny_ett.csv --out "$tmp/run2" --init-from "$M" \
    --max-model-memory 1000 --quiet
expect 2 "expected a byte count" "$BIN" info "$M" --max-model-memory -5
expect 2 "expected a byte count" "$BIN" info "$M" --max-model-memory 5T

echo "test_special_files.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
