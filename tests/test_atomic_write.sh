#!/bin/sh
# test_atomic_write.sh - the one atomic writer (ptm_file_writer) as the command line uses it:
# --plot, predict --output, train's DIR/loss.csv + DIR/loss.svg and the checkpoints refuse a
# target that is not a regular file (a FIFO, a symbolic link, a directory, a device) without
# blocking and without touching what a link points to; a link planted at a temporary name is
# never followed; stale temporary files of killed writers are removed; a read-only folder gives
# a clear error and keeps the previous file. And hostile loss.csv values (1e308, -1e308, nan,
# inf, constant, garbage) never hang `train --resume`: it ends quickly with a well-formed SVG.
# Every command runs under `timeout`, so a hang fails instead of stalling the suite.
BUILD=${BUILD:-build}
BIN="$BUILD/patchtsmixer"
G=tests/golden/fc_common_gated_ln_std
pass=0
fail=0
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL test_atomic_write: $*"; }
T="timeout 60"

# well_formed FILE: parses as XML (xmllint, else python3, else only the closing tag)
well_formed() {
    if command -v xmllint >/dev/null 2>&1; then
        xmllint --noout "$1" 2>/dev/null
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" 2>/dev/null
    else
        tail -n 1 "$1" | grep -q '</svg>'
    fi
}
# temps DIR: the writer's temporary files (and the names of earlier versions) left in DIR
temps() { find "$1" -maxdepth 1 \( -name '.*.ptm-tmp-*' -o -name '*.tmp.*' \) | wc -l; }
predict() { $T "$BIN" predict $G --input tests/data/fc_past.csv "$@"; }

echo victim >"$tmp/victim"

# ---------------------------------------------------------------- 1. special targets refused
mkfifo "$tmp/fifo"
ln -s "$tmp/victim" "$tmp/link"
ln -s "$tmp/nowhere" "$tmp/dangling"
mkdir "$tmp/dir"
# device nodes: as root our own (a writer that replaced the target would replace the system's
# /dev/null otherwise), else the system's (which nobody but root can replace)
if [ "$(id -u)" -eq 0 ] && mknod "$tmp/null" c 1 3 2>/dev/null && mknod "$tmp/full" c 1 7 2>/dev/null; then
    null="$tmp/null" full="$tmp/full"
else
    null=/dev/null full=/dev/full
fi
for target in "$tmp/fifo" "$tmp/link" "$tmp/dangling" "$tmp/dir" "$null"; do
    predict --output "$tmp/o.csv" --plot "$target" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 1 ] && ok || ko "--plot $target: exit $rc, expected 1"
    grep -q "not a regular file" "$tmp/err" && grep -qF "$target" "$tmp/err" && ok ||
        ko "--plot $target: unclear error: $(cat "$tmp/err")"
    predict --output "$target" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 1 ] && grep -q "not a regular file" "$tmp/err" && ok ||
        ko "--output $target: exit $rc: $(cat "$tmp/err")"
done
[ -p "$tmp/fifo" ] && [ -L "$tmp/link" ] && [ -L "$tmp/dangling" ] && [ -d "$tmp/dir" ] &&
    [ -c "$null" ] && ok || ko "a special target was replaced"
[ ! -e "$tmp/nowhere" ] && ok || ko "the dangling link's target was created"
[ "$(cat "$tmp/victim")" = victim ] && ok || ko "the file behind the link changed"
[ "$(temps "$tmp")" -eq 0 ] && ok || ko "temporary files left: $(ls -A "$tmp")"
# /dev/full as --plot: refused before anything is written (as root it used to be replaced)
if [ -c "$full" ]; then
    predict --output "$tmp/o.csv" --plot "$full" 2>"$tmp/err"
    [ $? -eq 1 ] && [ -c "$full" ] && grep -q "character device" "$tmp/err" && ok ||
        ko "--plot $full: $(cat "$tmp/err")"
fi
# '-' stays standard output
predict --output "$tmp/o.csv" --plot - >"$tmp/stdout.txt" && grep -q '</svg>' "$tmp/stdout.txt" &&
    predict --output - | grep -q '^date,a,b,c' && ok ||
    ko "'-' should write standard output"

# ---------------------------------------------------------------- 2. planted links at temp names
# links at every name the old writer used, and at names of the new pattern: none is followed
mkdir "$tmp/plant"
for n in o.svg.tmp o.csv.tmp o.svg.tmp.1.0 .o.svg.ptm-tmp-AAAAAA .o.csv.ptm-tmp-000000; do
    ln -s "$tmp/victim" "$tmp/plant/$n"
done
predict --output "$tmp/plant/o.csv" --plot "$tmp/plant/o.svg" && ok || ko "predict next to planted links failed"
[ "$(cat "$tmp/victim")" = victim ] && ok || ko "a planted link was followed"
well_formed "$tmp/plant/o.svg" && [ -s "$tmp/plant/o.csv" ] && ok || ko "outputs next to planted links"
[ -f "$tmp/plant/o.svg" ] && [ ! -L "$tmp/plant/o.svg" ] && ok || ko "o.svg is not a plain file"

# ---------------------------------------------------------------- 3. stale temporaries removed
mkdir "$tmp/stale"
for n in .o.svg.ptm-tmp-Ab12Cd .o.svg.ptm-tmp-zzzzzz o.svg.tmp.4242.7; do
    echo partial >"$tmp/stale/$n"
    touch -d '1 hour ago' "$tmp/stale/$n" 2>/dev/null || touch -t 202001010000 "$tmp/stale/$n"
done
echo other >"$tmp/stale/.other.svg.ptm-tmp-Ab12Cd" # another target's: kept
touch -t 202001010000 "$tmp/stale/.other.svg.ptm-tmp-Ab12Cd"
predict --output "$tmp/stale/o.csv" --plot "$tmp/stale/o.svg" && ok || ko "predict in stale folder failed"
left=$(find "$tmp/stale" -name '*o.svg*tmp*' | wc -l)
[ "$left" -eq 0 ] && ok || ko "stale temporaries of o.svg left: $(ls -A "$tmp/stale")"
[ -f "$tmp/stale/.other.svg.ptm-tmp-Ab12Cd" ] && ok || ko "another target's temporary was removed"

# ---------------------------------------------------------------- 4. read-only folder
# as root (which ignores permissions) the case runs as nobody through setpriv where it can
ro_case() {
    $as mkdir "$ro/ro" && $as "$BIN" predict $G --input tests/data/fc_past.csv --output "$ro/ro/o.csv" \
        --plot "$ro/ro/o.svg" && ok || ko "predict into ro failed"
    cp "$ro/ro/o.svg" "$ro/svg.before"
    chmod a-w "$ro/ro"
    $as "$BIN" predict $G --input tests/data/fc_past.csv --output "$ro/o2.csv" --plot "$ro/ro/o.svg" \
        2>"$ro/err"
    rc=$?
    chmod u+w "$ro/ro"
    [ "$rc" -eq 1 ] && grep -qF "$ro/ro/o.svg" "$ro/err" && grep -qi "denied" "$ro/err" && ok ||
        ko "read-only folder: exit $rc, unclear error: $(cat "$ro/err")"
    cmp -s "$ro/ro/o.svg" "$ro/svg.before" && ok || ko "read-only folder: previous file changed"
    [ "$(temps "$ro/ro")" -eq 0 ] && ok || ko "read-only folder: temporary files left"
}
ro="$tmp/rocase"
mkdir "$ro"
if [ "$(id -u)" -ne 0 ]; then
    as=""
    ro_case
elif command -v setpriv >/dev/null 2>&1 && chmod 711 "$tmp" && chmod 777 "$ro" &&
    setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --version >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups test -r tests/data/fc_past.csv; then
    as="setpriv --reuid=65534 --regid=65534 --clear-groups"
    ro_case
else
    echo "test_atomic_write: root without setpriv, read-only folder case skipped"
fi

# ---------------------------------------------------------------- 5. hostile loss.csv, --resume
awk 'BEGIN { print "date,a,b"; for (i = 0; i < 200; i++)
    printf "2020-01-%02d %02d:00:00,%.5f,%.5f\n", 1 + int(i / 24), i % 24,
        sin(i * 0.3), cos(i * 0.17) }' >"$tmp/sine.csv"
TINY="--data $tmp/sine.csv --context-length 32 --prediction-length 8 --patch-length 8 \
--d-model 8 --num-layers 1 --batch-size 8 --patience 0 --seed 3 --quiet"
run="$tmp/run"
$T "$BIN" train $TINY --epochs 1 --out "$run" && ok || ko "train failed"
# hostile_case NAME LINES...: loss.csv holding those rows, then --resume for one more epoch
ep=1
hostile_case() {
    name=$1
    shift
    ep=$((ep + 1))
    { echo "epoch,train_loss,val_loss"; for l in "$@"; do echo "$l"; done; } >"$run/loss.csv"
    start=$(date +%s)
    timeout 30 "$BIN" train $TINY --epochs $ep --out "$run" --resume 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 0 ] && ok || ko "$name: --resume exit $rc (124 = hang): $(cat "$tmp/err")"
    [ $(($(date +%s) - start)) -le 20 ] && ok || ko "$name: --resume took too long"
    well_formed "$run/loss.svg" && ok || ko "$name: loss.svg is not well-formed"
    [ "$(wc -c <"$run/loss.svg")" -lt 200000 ] && ok || ko "$name: loss.svg is huge"
    grep -q "^$ep," "$run/loss.csv" && ok || ko "$name: loss.csv lacks epoch $ep: $(cat "$run/loss.csv")"
    [ "$(temps "$run")" -eq 0 ] && ok || ko "$name: temporary files left: $(ls -A "$run")"
}
hostile_case "1e308" "1,1e308,-1e308"
hostile_case "huge both" "1,1.7976931348623157e308,1.7976931348623157e308"
hostile_case "out of range" "1,1e999,-1e999"
hostile_case "nan and inf" "1,nan,inf" "3,-inf,nan"
hostile_case "constant" "1,5,5"
hostile_case "tiny range" "1,1e300,1.0000000000000002e300"
hostile_case "garbage" "1,abc,2" "99999999999999999999,1,1" "-5,1,1" ",,," "1,2"
# a long line (split by the reader's buffer) whose tail looks like a row
long=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "9"; }')
hostile_case "long line" "1,0.5,0.5$long,1,1e308,-1e308"
# loss.csv a FIFO: not waited on (the history starts empty), the writer refuses to replace it
rm -f "$run/loss.csv"
mkfifo "$run/loss.csv"
ep=$((ep + 1))
timeout 30 "$BIN" train $TINY --epochs $ep --out "$run" --resume 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok || ko "loss.csv FIFO: --resume exit $rc (124 = hang)"
grep -q "loss.csv.*not a regular file.*training goes on" "$tmp/err" && ok ||
    ko "loss.csv FIFO: unclear message: $(cat "$tmp/err")"
[ -p "$run/loss.csv" ] && ok || ko "loss.csv FIFO was replaced"
rm -f "$run/loss.csv"

# ---------------------------------------------------------------- 6. checkpoints: planted links
ln -s "$tmp/victim" "$run/.model.safetensors.ptm-tmp-AAAAAA"
ln -s "$tmp/victim" "$run/model.safetensors.tmp"
ep=$((ep + 1))
$T "$BIN" train $TINY --epochs $ep --out "$run" --resume && ok || ko "train next to planted links failed"
[ "$(cat "$tmp/victim")" = victim ] && ok || ko "train followed a planted link"
$T "$BIN" info "$run" >/dev/null && ok || ko "checkpoint does not load"
# a checkpoint file that is a symbolic link is refused, the file behind it untouched
rm -f "$run/config.json"
ln -s "$tmp/victim" "$run/config.json"
$T "$BIN" train $TINY --epochs $((ep + 1)) --out "$run" --resume 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "config.json.*symbolic link" "$tmp/err" && ok ||
    ko "config.json as a link: $(cat "$tmp/err")"
[ "$(cat "$tmp/victim")" = victim ] && ok || ko "train wrote through config.json's link"

echo "test_atomic_write: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
