#!/bin/sh
# test_escape.sh - the `patchtsmixer` command never echoes a raw control character from its
# arguments or from a hostile file: usage errors (fail_usage) and library / command errors
# (fail_status) print one line on stderr whose every byte is printable, with newlines and ESC
# sequences written as \n, \x1b... (the library side is tests/test_escape.c).
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
G=tests/golden
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_escape.sh: $*"; }

ESC=$(printf '\033')
NL='
'

# clean RC CMD...: exit code RC, exactly one line on stderr, no control byte but its newline
clean() {
    want_rc=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then ko "exit $rc, expected $want_rc: $(od -c "$tmp/err" | head -3)"; return 1; fi
    lines=$(wc -l <"$tmp/err")
    if [ "$lines" -ne 1 ]; then ko "$lines stderr lines, expected 1: $(od -c "$tmp/err" | head -5)"; return 1; fi
    if tr -d '\n' <"$tmp/err" | LC_ALL=C grep -q '[[:cntrl:]]'; then
        ko "raw control byte on stderr: $(od -c "$tmp/err" | head -5)"; return 1
    fi
    ok
}

# 1. usage errors quoting argv, with the exact escaped text for one
if clean 2 "$BIN" "bad${ESC}[31m${NL}cmd"; then
    want="patchtsmixer: unknown command 'bad\\x1b[31m\\ncmd' (see 'patchtsmixer --help')"
    if [ "$(cat "$tmp/err")" = "$want" ]; then ok; else ko "got '$(cat "$tmp/err")', expected '$want'"; fi
fi
clean 2 "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --samples "1${ESC}]0;x"
clean 2 "$BIN" train --data x.csv --out "$tmp/o" "--mode${NL}" x

# 2. a model folder named with control characters (the library's message through fail_status)
clean 1 "$BIN" info "$tmp/no${NL}${ESC}[2Jmodel"

# 3. a CSV column name with ESC and a newline (quoted header cell), then a bad value in it
{
    printf 'date,"a%s[31m\nx",b,c\n' "$ESC"
    sed '1d;30s/^\([^,]*\),[^,]*,/\1,abc,/' tests/data/fc_past.csv
} >"$tmp/evil.csv"
if clean 1 "$BIN" predict $G/fc_common_gated_ln_std --input "$tmp/evil.csv"; then
    if grep -q "column 'a\\\\x1b\\[31m\\\\nx'" "$tmp/err"; then ok; else ko "escaped column name missing: $(cat "$tmp/err")"; fi
fi

# 4. --columns naming a column that is not there (the CLI's own error quoting argv)
clean 1 "$BIN" predict $G/fc_common_gated_ln_std --input tests/data/fc_past.csv --columns "a,b,z${ESC}[5m"

echo "test_escape.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
