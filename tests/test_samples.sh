#!/bin/sh
# test_samples.sh - `patchtsmixer predict --samples N` shows a progress line on a terminal and
# only there: with stderr a pseudo-terminal (script(1)) the sampling and quantile lines appear
# and are erased at the end, with stderr a file nothing is written, and the forecast CSV is the
# same byte for byte either way (the numbers themselves: tests/test_samples_cli.c).
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
M=tests/golden/fc_nll_normal_std
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_samples.sh: $*"; }

# a past of the model's context (48 rows, 3 channels)
awk 'BEGIN { print "a,b,c"; for (i = 0; i < 48; i++) printf "%g,%g,%g\n", sin(i), cos(i), i % 5 }' \
    >"$tmp/past.csv"

if "$BIN" predict $M --input "$tmp/past.csv" --samples 300 --seed 4 --output "$tmp/plain.csv" \
    2>"$tmp/err"; then ok; else ko "predict --samples failed: $(cat "$tmp/err")"; fi
if [ ! -s "$tmp/err" ]; then ok; else ko "stderr not empty off a terminal: $(cat "$tmp/err")"; fi
if head -n 1 "$tmp/plain.csv" | grep -q '_q0.9'; then ok; else ko "no quantile columns"; fi

if command -v script >/dev/null 2>&1 &&
    script -qc "true" /dev/null >/dev/null 2>&1; then
    script -qc "'$BIN' predict $M --input '$tmp/past.csv' --samples 300 --seed 4 --output '$tmp/tty.csv'" \
        /dev/null >"$tmp/tty.txt" 2>&1
    if cmp -s "$tmp/plain.csv" "$tmp/tty.csv"; then ok; else ko "CSV differs on a terminal"; fi
    if grep -q 'predict: sampling 300 paths of 36 values' "$tmp/tty.txt"; then ok; else
        ko "no sampling line: $(od -c "$tmp/tty.txt" | head -5)"
    fi
    if grep -q 'predict: quantiles of 300 samples:' "$tmp/tty.txt"; then ok; else
        ko "no quantile progress: $(od -c "$tmp/tty.txt" | head -5)"
    fi
    # the line is erased at the end: the output ends with CR ESC [ K
    if [ "$(tail -c 4 "$tmp/tty.txt" | od -An -c | tr -d ' \n')" = '\r033[K' ]; then ok; else
        ko "progress line not erased: $(tail -c 16 "$tmp/tty.txt" | od -c)"
    fi
else
    echo "test_samples.sh: script(1) unavailable, terminal checks skipped"
fi

echo "test_samples.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
