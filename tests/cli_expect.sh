# cli_expect.sh - the helpers the command-line test scripts share (sourced, not run):
#     TEST_NAME=test_x; tmp=$(mktemp -d); . tests/cli_expect.sh
#   ok / ko MESSAGE        count a passed / failed check (ko prints "FAIL $TEST_NAME: MESSAGE")
#   expect RC PATTERN CMD...
#                          run CMD (stdout in $tmp/out, stderr in $tmp/err): exit code RC, and
#                          for RC != 0 exactly one line on stderr; that line (or stderr) matches
#                          PATTERN (a grep regular expression; EXPECT_FIXED=1: a plain string;
#                          "" matches anything)
#   json_field FILE SERIES KEY, close A B TOL   (backtest --json checks)
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $TEST_NAME: $*"; }
expect() {
    want_rc=$1; pat=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne "$want_rc" ]; then ko "$* -> exit $rc, expected $want_rc: $(cat "$tmp/err")"; return; fi
    if [ "$want_rc" -ne 0 ] && [ "$lines" -ne 1 ]; then ko "$* -> $lines stderr lines, expected 1"; return; fi
    if [ "${EXPECT_FIXED:-0}" = 1 ]; then gflag=-qF; else gflag=-q; fi
    if [ -n "$pat" ] && ! grep $gflag -- "$pat" "$tmp/err"; then ko "$* -> stderr '$(cat "$tmp/err")' lacks '$pat'"; return; fi
    ok
}

# json_field FILE SERIES KEY: KEY in the object of series SERIES ("all": the aggregate)
json_field() {
    if [ "$2" = all ]; then
        sed 's/.*"all": {//' "$1"
    else
        sed "s/.*\"series\": \\[//; s/.*{\"unique_id\": \"$2\"//; s/}.*//" "$1"
    fi | tr ',' '\n' | sed -n "s/^ *\"$3\": //p" | head -n 1
}

# close A B TOL: |a - b| <= tol (1 + |b|)
close() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
        exit !(a != "" && d <= t * (1 + m)) }'
}
