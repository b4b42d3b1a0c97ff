#!/bin/sh
# test_make_docs.sh - `make docs` on a machine without Doxygen stops at once with one line that
# names the package to install, instead of a shell's "doxygen: not found" after a half-made
# build/docs (DOXYGEN names the program, here one that does not exist).
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_make_docs: $*"; }

make -s --no-print-directory docs DOXYGEN=no-such-doxygen-ptm BUILD="$tmp/b" >"$tmp/out" 2>"$tmp/err"
[ $? -ne 0 ] && ok || ko "make docs without doxygen succeeded"
grep -q "^make docs: 'no-such-doxygen-ptm' not found: install Doxygen (Debian/Ubuntu: apt-get install doxygen" "$tmp/err" && ok || ko "no install hint: $(cat "$tmp/err")"
[ "$(grep -c "install Doxygen" "$tmp/err")" -eq 1 ] && ok || ko "the hint should be one line: $(cat "$tmp/err")"
[ ! -e "$tmp/b/docs" ] && ok || ko "make docs left $tmp/b/docs behind"

echo "test_make_docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
