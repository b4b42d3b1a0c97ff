#!/bin/sh
# test_pip.sh - the Python package as users install it (issue #12): `pip install ./python` in a
# fresh venv (Debian's /usr/bin/python3 with --system-site-packages for python3-numpy; no
# download: the in-tree build backend needs nothing), then, from another folder, the installed
# package is used - the module and its bundled C library come from the venv, a forecast is bit
# for bit the in-tree binding's, errors are PatchTSMixerError - and `pip uninstall` removes it.
# Under a sanitizer build the package is the plain build's library: covered by `make test`.
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_pip: $*"; }
if [ "$BUILD" != build ]; then
    echo "test_pip: the installed package bundles the plain build; run by make test"
    echo "test_pip: 0 passed, 0 failed"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$PWD
"$PY" -m venv --system-site-packages "$tmp/venv" >"$tmp/log" 2>&1 && ok || ko "venv: $(cat "$tmp/log")"
"$tmp/venv/bin/pip" install --no-index "$root/python" >"$tmp/log" 2>&1 && ok ||
    ko "pip install: $(tail -n 5 "$tmp/log")"
[ -d "$root/python/build" ] && ko "pip left python/build behind" || ok
cd "$tmp" || exit 1
"$tmp/venv/bin/python" - "$root" "$tmp/venv" >"$tmp/py" 2>&1 <<'PY' && ok || ko "installed package: $(cat "$tmp/py")"
import os, subprocess, sys
import numpy as np
import patchtsmixer as ptm
root, venv = sys.argv[1], sys.argv[2]
assert ptm.__file__.startswith(venv), ptm.__file__
assert ptm.library_path() == os.path.join(os.path.dirname(ptm.__file__), "libpatchtsmixer.so"), \
    ptm.library_path()
m = ptm.PatchTSMixer.from_pretrained(os.path.join(root, "models/etth1"))
v, mk = ptm.read_csv(os.path.join(root, "data/ETTh1.csv")).window(512)
got = m.forecast(v, mk)
# the same forecast from the source tree's binding over build/libpatchtsmixer.so
ref = subprocess.run([sys.executable, "-c", """
import sys, numpy as np
sys.path.insert(0, sys.argv[1] + "/python")
import patchtsmixer as ptm
m = ptm.PatchTSMixer.from_pretrained(sys.argv[1] + "/models/etth1")
v, mk = ptm.read_csv(sys.argv[1] + "/data/ETTh1.csv").window(512)
sys.stdout.buffer.write(m.forecast(v, mk).tobytes())
""", root], capture_output=True, check=True).stdout
assert got.tobytes() == ref, "the installed package forecasts differently"
try:
    ptm.PatchTSMixer.from_pretrained(os.path.join(root, "no/such/model"))
    raise AssertionError("no error")
except ptm.PatchTSMixerError as e:
    assert e.status == "io", e
print("ok")
PY
cd "$root" || exit 1
"$tmp/venv/bin/pip" uninstall -y patchtsmixer >"$tmp/log" 2>&1 && ok || ko "uninstall: $(cat "$tmp/log")"
[ -e "$tmp/venv/lib/python3"*/site-packages/patchtsmixer ] && ko "uninstall left the package" || ok
echo "test_pip: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
