#!/usr/bin/env bash
# bench/compare/run.sh - our engine vs PyTorch vs ONNX Runtime on the same model, same run.
# Run from anywhere; see --help. Builds nothing: expects build/bench and build/patchtsmixer
# (`make`). The numbers in the README's performance table come from this script.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/compare/run.sh [options]

Runs the same forecaster in our engine (build/bench), PyTorch 1.13 (eager and TorchScript,
through dev/ptm_torch.py or, for TinyTimeMixer, dev/ttm_torch.py on the same safetensors) and
ONNX Runtime (npm onnxruntime-node, CPU, on a torch.onnx.export of that module), one after
another in one run, for one or more shape presets (--shape), and prints a markdown report: one
summary table (CPU, kernels, measured FMA peak; per preset, thread count and batch: ours with
its % of the peak, PyTorch and ONNX Runtime, ratios), then the detail. The report is also
written to bench/compare/results.md (--out).

Shape presets (--shape, comma-separated):
  seed      --model as it is (models/etth1_seed: context 512, patch 8, 7 channels, d_model 16,
            4 layers): inference at --batches, training at --train-batch
  mix       --model's config with mode "mix_channel", random weights; batches --mix-batch
            (the mix/common table reads seed's rows of the same batch)
  long2048  --model's config with context 4096, patch 2, stride 2 (2048 patches), random
            weights; batch 1
  ch321     --model's config with 321 channels, random weights; batch 8
  ttm512    TinyTimeMixer r2 512-96 architecture (patch 64, d_model 192, decoder 128, 3 adaptive
            levels), 7 channels: tests/golden/ttm/r2_512_96_7ch (its random weights); batches 1,64
  ttm1536   TinyTimeMixer r2 1536-96 architecture: r2_512_96_7ch's config with context 1536,
            patch 128 (12 patches), d_model 384, decoder 256 (the r2 1024-96 widths, whose exact
            shapes tests/golden/ttm/r2_1024_96 has), 7 channels, random weights; batches 1,64
  all       every preset above
Random-weight checkpoints (PyTorch's default initialisation, seed 0) are written by
bench/compare/torch_bench.py write-variant into the scratch directory and removed at the end.

Steps, per preset:
  1. its checkpoint (written when the preset has random weights), and the ONNX export
  2. where the preset's channels match --csv's columns: the forecast of one real window (the
     last context_length rows of --csv) by `build/patchtsmixer predict`, PyTorch and ONNX
     Runtime
  3. timings: every batch size x every thread count, each engine; training for seed
  4. correctness of what was timed: the forecast of every timed input (each batch size, each
     thread count, each engine and wait policy; ours from build/bench --dump) against ours
  A check passes when max|other - ours| <= 1e-4 * (1 + max|ours|).
Engines that are not installed are skipped with a note. Exit status: 0, or 1 when a
correctness check fails or a step errs, 2 for usage.

options:
  --shape LIST        presets (above)                                    [seed,mix]
  --model DIR         seed's checkpoint, and the base config of mix, long2048 and ch321
                      (HF config.json + model.safetensors)                [models/etth1_seed]
  --csv FILE          data for the real-window check                     [data/ETTh1.csv]
  --batches LIST      seed's inference batch sizes                       [1,8,64,256]
  --mix-batch LIST    mix's batch sizes (0 = leave the mix preset out)   [1,64]
  --threads LIST      thread counts                                      [1,2]
  --seconds S         timed seconds per configuration, every engine      [2]
  --other-seconds S   the same for PyTorch / ORT only                    [= --seconds]
  --min-calls K       timed calls per configuration at least, every engine [20]
  --train-batch B     seed's training batch (0 = skip training)          [64]
  --opset N           ONNX opset for torch.onnx.export                   [17]
  --torch-blas DIR    prepend DIR to LD_LIBRARY_PATH for PyTorch only (a libblas.so.3, e.g.
                      OpenBLAS's; see "PyTorch's BLAS" below)
  --no-torch, --no-ort  skip PyTorch / ONNX Runtime (ONNX Runtime needs PyTorch to export)
  --out FILE          also write the report here ('' = don't)            [bench/compare/results.md]
  --keep DIR          keep the intermediate files (JSON lines, ONNX, checkpoints, dumps) in DIR
  -h, --help          this text

Requirements (Debian):
  make                                              # build/bench, build/patchtsmixer
  apt-get install python3-torch python3-numpy       # PyTorch 1.13 (uses /usr/bin/python3;
                                                    #   PYTHON=... to override)
  cd bench/compare && ONNXRUNTIME_NODE_INSTALL=skip npm install   # onnxruntime-node (needs node)
long2048's random checkpoint takes about 340 MB of the scratch directory, and as much again
for its ONNX file.

PyTorch's BLAS: Debian's libtorch1.13 does its matmuls through libblas.so.3. With only the
reference (netlib) libblas3 installed, which apt's --no-install-recommends gives, PyTorch's
linear layers run about 10x slower than with OpenBLAS, the BLAS libtorch1.13 recommends. The
report names the BLAS PyTorch loaded and warns about the reference one. Either install
libopenblas0-pthread (switches libblas.so.3 system-wide) or, without touching the system:
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
  bench/compare/run.sh --torch-blas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread

Timing (all engines alike): a warm-up, then one call after another for S seconds and at least
K calls; median and p90 of the wall time per call; samples/s = batch / median. Inputs are
build/bench's (x[i] = sin(0.01 i)). Each PyTorch thread count runs in its own process with
torch.set_num_threads(N) and OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = N; ONNX Runtime uses
intraOpNumThreads N, interOpNumThreads 1. For N > 1 both run twice, with their idle pool
threads spinning (their default) and sleeping (OMP_WAIT_POLICY=PASSIVE; ORT
session.intra_op.allow_spinning=0), and the report keeps the faster of the two per row
(spinning threads collapse when other work shares the cores). Our % of peak: build/bench's
GFLOP/s (2 x the model's multiply-adds per sample x samples/s) over its measured FMA peak of
the cores the threads use. Run it on a quiet machine: the report records the load average
before and after and says when the machine was loaded. On a shared machine,
`nice -n -15 bench/compare/run.sh ...` (root) gives every engine the cores ahead of the other
work; the report records the niceness.

examples:
  make && bench/compare/run.sh --torch-blas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
  bench/compare/run.sh --shape all --torch-blas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
  bench/compare/run.sh --shape ttm512 --threads 1 --seconds 0.1 --min-calls 3 --out ''  # smoke test
EOF
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CMDLINE="bench/compare/run.sh"
for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./,:=+-]+$ ]]; then CMDLINE+=" $a"; else CMDLINE+=" $(printf '%q' "$a")"; fi
done

SHAPES=seed,mix
MODEL=models/etth1_seed
CSV=data/ETTh1.csv
BATCHES=1,8,64,256
MIX_BATCHES=1,64
THREADS=1,2
SECONDS_OURS=2
SECONDS_OTHER=""
MIN_CALLS=20
TRAIN_BATCH=64
OPSET=17
TORCH_BLAS=""
DO_TORCH=1
DO_ORT=1
OUT=bench/compare/results.md
KEEP=""
USER_MODEL="" USER_CSV="" USER_OUT="" USER_KEEP="" USER_BLAS=""
die() { echo "run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --shape) SHAPES=${2:?}; shift ;;
    --model) MODEL=${2:?}; USER_MODEL=1; shift ;;
    --csv) CSV=${2:?}; USER_CSV=1; shift ;;
    --batches) BATCHES=${2:?}; shift ;;
    --mix-batch) MIX_BATCHES=${2:?}; shift ;;
    --threads) THREADS=${2:?}; shift ;;
    --seconds) SECONDS_OURS=${2:?}; shift ;;
    --other-seconds) SECONDS_OTHER=${2:?}; shift ;;
    --min-calls) MIN_CALLS=${2:?}; shift ;;
    --train-batch) TRAIN_BATCH=${2:?}; shift ;;
    --opset) OPSET=${2:?}; shift ;;
    --torch-blas) TORCH_BLAS=${2:?}; USER_BLAS=1; shift ;;
    --no-torch) DO_TORCH=0 ;;
    --no-ort) DO_ORT=0 ;;
    --out) OUT=${2?}; [ -z "$OUT" ] || USER_OUT=1; shift ;;
    --keep) KEEP=${2:?}; USER_KEEP=1; shift ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done
SECONDS_OTHER=${SECONDS_OTHER:-$SECONDS_OURS}
LIST_RE='^[1-9][0-9]*(,[1-9][0-9]*)*$'
[[ $BATCHES =~ $LIST_RE ]] || die "--batches: expected e.g. 1,8,64, got '$BATCHES'"
[[ $MIX_BATCHES = 0 || $MIX_BATCHES =~ $LIST_RE ]] || die "--mix-batch: expected e.g. 1,64 or 0, got '$MIX_BATCHES'"
[[ $THREADS =~ $LIST_RE ]] || die "--threads: expected e.g. 1,2, got '$THREADS'"
[[ $TRAIN_BATCH =~ ^[0-9]+$ ]] || die "--train-batch: expected a number"
[[ $MIN_CALLS =~ ^[1-9][0-9]*$ ]] || die "--min-calls: expected a number >= 1"
for s in "$SECONDS_OURS" "$SECONDS_OTHER"; do
    [[ $s =~ ^[0-9]*\.?[0-9]+$ ]] || die "--seconds / --other-seconds: expected a number, got '$s'"
done
ALL_SHAPES=(seed mix long2048 ch321 ttm512 ttm1536)
PRESETS=()
IFS=, read -r -a REQ <<<"$SHAPES"
for s in "${REQ[@]}"; do
    case "$s" in
    all) PRESETS+=("${ALL_SHAPES[@]}") ;;
    seed | mix | long2048 | ch321 | ttm512 | ttm1536) PRESETS+=("$s") ;;
    *) die "--shape: unknown preset '$s' (seed, mix, long2048, ch321, ttm512, ttm1536, all)" ;;
    esac
done
# each preset once, in the order of ALL_SHAPES; mix left out by --mix-batch 0
SEL=()
for s in "${ALL_SHAPES[@]}"; do
    for p in "${PRESETS[@]}"; do
        if [ "$p" = "$s" ] && { [ "$s" != mix ] || [ "$MIX_BATCHES" != 0 ]; }; then
            SEL+=("$s")
            break
        fi
    done
done
[ ${#SEL[@]} -gt 0 ] || die "--shape: no preset left to run"

# paths given relative to the caller's directory, defaults relative to the repository root
ORIG_PWD=$PWD
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$ORIG_PWD/$1" ;; esac; }
if [ "$ORIG_PWD" != "$ROOT" ]; then
    [ -z "$USER_MODEL" ] || MODEL=$(absolute "$MODEL")
    [ -z "$USER_CSV" ] || CSV=$(absolute "$CSV")
    [ -z "$USER_OUT" ] || OUT=$(absolute "$OUT")
    [ -z "$USER_KEEP" ] || KEEP=$(absolute "$KEEP")
    [ -z "$USER_BLAS" ] || TORCH_BLAS=$(absolute "$TORCH_BLAS")
fi
cd "$ROOT"
BENCH=build/bench
CLI=build/patchtsmixer
TTM512=tests/golden/ttm/r2_512_96_7ch
for f in "$BENCH" "$CLI"; do
    [ -x "$f" ] || { echo "run.sh: $f not found: run 'make' first" >&2; exit 1; }
done
for d in "$MODEL" "$TTM512"; do
    if [ ! -f "$d/config.json" ] || [ ! -f "$d/model.safetensors" ]; then
        echo "run.sh: $d: no config.json + model.safetensors" >&2
        exit 1
    fi
done
[ -z "$TORCH_BLAS" ] || [ -d "$TORCH_BLAS" ] || die "--torch-blas: $TORCH_BLAS is not a directory"

PY=${PYTHON:-/usr/bin/python3}
command -v "$PY" >/dev/null || PY=python3
NOTES=()
[ $DO_TORCH = 1 ] || NOTES+=("PyTorch not run (--no-torch).")
[ $DO_ORT = 1 ] || NOTES+=("ONNX Runtime not run (--no-ort).")
if [ $DO_TORCH = 1 ] && ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
    NOTES+=("PyTorch skipped: $PY cannot import torch and numpy (apt-get install python3-torch python3-numpy).")
    DO_TORCH=0
fi
if [ $DO_ORT = 1 ] && { ! command -v node >/dev/null || [ ! -d "$HERE/node_modules/onnxruntime-node" ]; }; then
    NOTES+=("ONNX Runtime skipped: needs node and bench/compare/node_modules/onnxruntime-node (cd bench/compare && ONNXRUNTIME_NODE_INSTALL=skip npm install).")
    DO_ORT=0
fi
if [ $DO_ORT = 1 ] && [ $DO_TORCH = 0 ]; then
    NOTES+=("ONNX Runtime skipped: the ONNX file is exported from PyTorch, which is not run.")
    DO_ORT=0
fi

FAILED=0
if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP"
    T=$(cd "$KEEP" && pwd)
else
    T=$(mktemp -d)
fi
# shellcheck disable=SC2317  # (called by the EXIT trap)
cleanup() {
    if [ "$FAILED" = 1 ] && [ -s "$T/log.txt" ]; then
        echo "run.sh: last lines of the log ($T/log.txt):" >&2
        tail -n 30 "$T/log.txt" >&2
    fi
    [ -n "$KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
R=$T/results.jsonl
: >"$R"
LOG=$T/log.txt
: >"$LOG"
T0=$(date +%s)
step() { printf '[%3ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }
fail() { echo "run.sh: $*" >&2; NOTES+=("$*"); FAILED=1; }

torch_env() { # threads, then the command
    local t=$1
    shift
    env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" MKL_NUM_THREADS="$t" \
        ${TORCH_BLAS:+LD_LIBRARY_PATH="$TORCH_BLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"} "$@"
}
TB="$HERE/torch_bench.py"
RP="$HERE/report.py"
cfg_get() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/config.json" "$2"; }
read -r L1 L5 L15 _ </proc/loadavg
LOAD_BEFORE="[$L1, $L5, $L15]"
step "presets ${SEL[*]}; load average $L1 $L5 $L15 on $(nproc) CPUs; scratch $T"
IFS=, read -r -a TLIST <<<"$THREADS"
CSV_COLS=$(head -n 1 "$CSV" | tr ',' '\n' | grep -cvi '^\(date\|time\|timestamp\|datetime\)$' || true)
CSV_ROWS=$(($(wc -l <"$CSV") - 1))

# ---- presets: checkpoint, batches, description --------------------------------------------
variant() { # name base-dir key=json ...: a random-weight copy of base's config with these keys
    local name=$1 base=$2
    shift 2
    local sets=()
    for kv in "$@"; do sets+=(--set "$kv"); done
    if [ $DO_TORCH = 0 ]; then
        fail "$name: its random-weight checkpoint is written by torch_bench.py, which needs PyTorch"
        return 1
    fi
    step "$name: writing a random-weight checkpoint"
    "$PY" "$TB" write-variant --model "$base" --out "$T/$name" "${sets[@]}" 2>>"$LOG" ||
        { fail "$name: write-variant failed (see log)"; return 1; }
    P_DIR=$T/$name
}
prepare() { # name -> P_DIR, P_BATCHES, P_SRC
    case "$1" in
    seed) P_DIR=$MODEL P_BATCHES=$BATCHES P_SRC="$MODEL" ;;
    mix)
        P_BATCHES=$MIX_BATCHES P_SRC="$MODEL's config, mode mix_channel, random weights"
        variant mix "$MODEL" 'mode="mix_channel"'
        ;;
    long2048)
        P_BATCHES=1 P_SRC="$MODEL's config, context 4096, patch 2 / stride 2, random weights"
        variant long2048 "$MODEL" context_length=4096 patch_length=2 patch_stride=2
        ;;
    ch321)
        P_BATCHES=8 P_SRC="$MODEL's config, 321 channels, random weights"
        variant ch321 "$MODEL" num_input_channels=321
        ;;
    ttm512) P_DIR=$TTM512 P_BATCHES=1,64 P_SRC="$TTM512 (TTM r2 512-96 architecture, random weights)" ;;
    ttm1536)
        P_BATCHES=1,64 P_SRC="$TTM512's config with the r2 1536-96 shapes, random weights"
        variant ttm1536 "$TTM512" context_length=1536 patch_length=128 patch_stride=128 d_model=384 \
            decoder_d_model=256
        ;;
    esac
}

# ---- 2. the real-window check -------------------------------------------------------------
check_window() { # preset dir onnx(or '')
    local tag=$1 dir=$2 onnx=$3 refs=() ok=1 context channels
    context=$(cfg_get "$dir" context_length)
    channels=$(cfg_get "$dir" num_input_channels)
    if [ "$channels" != "$CSV_COLS" ] || [ "$context" -gt "$CSV_ROWS" ]; then
        NOTES+=("$tag: no real-window check ($CSV has $CSV_COLS columns and $CSV_ROWS rows; the model reads $channels channels x $context steps); the timed inputs are checked.")
        return
    fi
    step "$tag: one real window (the last $context rows of $CSV), ours vs PyTorch vs ONNX Runtime"
    "$CLI" predict "$dir" --input "$CSV" --output "$T/$tag.ours.csv" 2>>"$LOG" ||
        { fail "check $tag: build/patchtsmixer predict failed (see log)"; return; }
    torch_env 1 "$PY" "$TB" predict --model "$dir" --csv "$CSV" --window-out "$T/$tag.window.f32" \
        --out "$T/$tag.torch.f32" 2>>"$LOG" || fail "check $tag: PyTorch predict failed (see log)"
    refs+=(--ref "PyTorch=$T/$tag.torch.f32")
    if [ -n "$onnx" ]; then
        node "$HERE/ort_bench.js" --model "$onnx" --context "$context" --channels "$channels" \
            --check "$T/$tag.window.f32" --check-out "$T/$tag.ort.f32" 2>>"$LOG" ||
            fail "check $tag: ONNX Runtime failed (see log)"
        refs+=(--ref "ONNX Runtime=$T/$tag.ort.f32")
    fi
    "$PY" "$TB" compare --ours "$T/$tag.ours.csv" --label "$tag: real window" "${refs[@]}" \
        >"$T/$tag.check.jsonl" 2>>"$LOG" || ok=0
    cat "$T/$tag.check.jsonl" >>"$R"
    "$PY" "$RP" --checks "$T/$tag.check.jsonl" >&2
    [ $ok = 1 ] || fail "correctness check FAILED: $tag, real window"
}

# ---- 3. timings (each engine dumps the forecast of what it timed) -------------------------
tag_ours() { sed -e "s/^{/{\"engine\": \"ours\", \"threads\": $1, \"model\": \"$2\", /"; }
waits() { # the wait policies to try for a thread count: 1 thread has no idle pool threads
    if [ "$1" -gt 1 ]; then echo default passive; else echo default; fi
}
time_ours() { # preset dir batches
    local tag=$1 dir=$2 pb=$3
    for t in "${TLIST[@]}"; do
        mkdir -p "$T/dump/$tag/ours-t$t"
        step "$tag: ours, $t thread(s), batches $pb"
        "$BENCH" --model "$dir" --batches "$pb" --threads "$t" --seconds "$SECONDS_OURS" \
            --min-calls "$MIN_CALLS" --json --dump "$T/dump/$tag/ours-t$t" 2>>"$LOG" |
            tag_ours "$t" "$tag" >>"$R" || fail "$tag: build/bench failed ($t threads)"
        if [ "$tag" = seed ] && [ "$TRAIN_BATCH" -gt 0 ]; then
            step "$tag: ours, training, $t thread(s), batch $TRAIN_BATCH"
            "$BENCH" --model "$dir" --batches "$TRAIN_BATCH" --threads "$t" --seconds "$SECONDS_OURS" \
                --min-calls "$MIN_CALLS" --json --train-only 2>>"$LOG" | tag_ours "$t" "$tag" >>"$R" ||
                fail "$tag: build/bench --train failed ($t threads)"
        fi
    done
}
time_torch() { # preset dir batches
    local tag=$1 dir=$2 pb=$3 tb=0
    [ "$tag" = seed ] && tb=$TRAIN_BATCH
    for t in "${TLIST[@]}"; do
        for w in $(waits "$t"); do
            local wenv=()
            [ "$w" = passive ] && wenv=(OMP_WAIT_POLICY=PASSIVE)
            step "$tag: PyTorch ($w OpenMP wait), eager + TorchScript, $t thread(s), batches $pb$(
                [ "$tb" = 0 ] || echo "; training batch $tb")"
            torch_env "$t" env "${wenv[@]+"${wenv[@]}"}" "$PY" "$TB" bench --model "$dir" --threads "$t" \
                --batches "$pb" --seconds "$SECONDS_OTHER" --min-calls "$MIN_CALLS" --train-batch "$tb" \
                --tag "$tag" --dump-dir "$T/dump/$tag/torch-t$t-$w" >>"$R" 2>>"$LOG" ||
                fail "$tag: PyTorch bench failed ($t threads, $w; see log)"
        done
    done
}
time_ort() { # preset onnx context channels batches
    local tag=$1 onnx=$2 context=$3 channels=$4 pb=$5 multi th
    multi=$(tr , '\n' <<<"$THREADS" | awk '$1 > 1' | paste -sd, -)
    mkdir -p "$T/dump/$tag/ort"
    for w in default passive; do
        th=$THREADS
        [ $w = passive ] && th=$multi
        [ -n "$th" ] || continue
        step "$tag: ONNX Runtime ($w spinning), threads $th, batches $pb"
        node "$HERE/ort_bench.js" --model "$onnx" --context "$context" --channels "$channels" \
            --threads "$th" --batches "$pb" --seconds "$SECONDS_OTHER" --min-calls "$MIN_CALLS" \
            --tag "$tag" --wait $w --dump-dir "$T/dump/$tag/ort" >>"$R" 2>>"$LOG" ||
            fail "$tag: ONNX Runtime bench failed ($w; see log)"
    done
}

# ---- 4. correctness of every timed configuration ------------------------------------------
check_timed() { # preset batches
    local tag=$1 pb=$2 d=$T/dump/$1 refs out ok=1
    IFS=, read -r -a bl <<<"$pb"
    for t in "${TLIST[@]}"; do
        for b in "${bl[@]}"; do
            refs=()
            if [ $DO_TORCH = 1 ]; then
                for w in $(waits "$t"); do
                    local sfx=""
                    [ "$w" = passive ] && sfx=" (passive)"
                    refs+=(--ref "PyTorch eager$sfx=$d/torch-t$t-$w/torch-eager-b$b.f32")
                    refs+=(--ref "PyTorch TorchScript$sfx=$d/torch-t$t-$w/torch-script-b$b.f32")
                    if [ $DO_ORT = 1 ] && [ -n "$ONNX" ]; then
                        refs+=(--ref "ONNX Runtime$sfx=$d/ort/ort-t$t-$w-b$b.f32")
                    fi
                done
            fi
            [ ${#refs[@]} -gt 0 ] || continue
            out=$T/$tag.t$t.b$b.check.jsonl
            "$PY" "$TB" compare --ours "$d/ours-t$t/b$b.f32" --label "$tag" --threads "$t" --batch "$b" \
                "${refs[@]}" >"$out" 2>>"$LOG" || ok=0
            cat "$out" >>"$R"
        done
    done
    cat "$T/$tag".t*.check.jsonl 2>/dev/null | "$PY" "$RP" --checks /dev/stdin >&2 || true
    [ $ok = 1 ] || fail "correctness check FAILED: $tag, timed inputs (see the report)"
}

for p in "${SEL[@]}"; do
    P_DIR="" P_BATCHES="" P_SRC=""
    prepare "$p" || continue
    DESC=$("$PY" "$RP" --desc "$P_DIR/config.json")
    "$PY" "$RP" --preset "$R" "name=$p" "desc=$DESC" "src=$P_SRC"
    step "$p: $DESC"
    CONTEXT=$(cfg_get "$P_DIR" context_length)
    CHANNELS=$(cfg_get "$P_DIR" num_input_channels)
    ONNX=""
    if [ $DO_TORCH = 1 ] && [ $DO_ORT = 1 ]; then
        step "$p: torch.onnx.export (opset $OPSET)"
        if torch_env 1 "$PY" "$TB" export --model "$P_DIR" --onnx "$T/$p.onnx" --opset "$OPSET" >>"$LOG" 2>&1; then
            ONNX=$T/$p.onnx
        else
            fail "$p: torch.onnx.export failed (see log); ONNX Runtime skipped for it"
        fi
    fi
    [ $DO_TORCH = 0 ] || check_window "$p" "$P_DIR" "$ONNX"
    time_ours "$p" "$P_DIR" "$P_BATCHES"
    [ $DO_TORCH = 0 ] || time_torch "$p" "$P_DIR" "$P_BATCHES"
    [ -z "$ONNX" ] || time_ort "$p" "$ONNX" "$CONTEXT" "$CHANNELS" "$P_BATCHES"
    check_timed "$p" "$P_BATCHES"
    # the scratch copies of big random checkpoints are not needed any more
    [ -n "$KEEP" ] || [ "$P_DIR" != "$T/$p" ] || rm -rf "$P_DIR" "$T/$p.onnx" "$T/dump/$p"
done

# ---- report -------------------------------------------------------------------------------
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    NOTES+=("This CPU has AVX-512 (avx512f): our kernels, ONNX Runtime's MLAS and OpenBLAS all use it. The FMA peak above is measured with 512-bit FMAs, twice the AVX2 rate on cores with full-width 512-bit FMA units, so % of peak is against the larger figure.")
fi
read -r L1 L5 L15 _ </proc/loadavg
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || true)
if [ -n "$COMMIT" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    COMMIT+=" with uncommitted changes"
fi
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
KERNELS=$("$BENCH" --model "$MODEL" --batches 1 --seconds 0.01 2>/dev/null | sed -n 's/^kernels: \([^;]*\);.*/\1/p' || true)
PEAK=$(grep '"engine": "ours", "threads": 1,' "$R" | sed -n 's/.*"peak_gflops": \([0-9.]*\).*/\1/p' | head -1)
NOTES_JSON=$("$PY" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${NOTES[@]+"${NOTES[@]}"}")
"$PY" "$RP" --meta "$R" "command=$CMDLINE" "cpu=${CPU:-unknown CPU}" "ncpu=$(nproc)" "kernels=$KERNELS" "niceness=$(nice)" \
    "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "commit=$COMMIT" "load_before=$LOAD_BEFORE" \
    "load_after=[$L1, $L5, $L15]" "model=$MODEL" "peak_gflops=${PEAK:-0}" \
    "opset=$OPSET" "ours_seconds=$SECONDS_OURS" "other_seconds=$SECONDS_OTHER" "min_calls=$MIN_CALLS" \
    "elapsed_s=$(($(date +%s) - T0))" "notes=$NOTES_JSON"
echo >&2
"$PY" "$HERE/report.py" "$R" ${OUT:+--out "$OUT"}
step "done${OUT:+; report written to $OUT}${KEEP:+; files kept in $KEEP}"
exit $FAILED
