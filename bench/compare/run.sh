#!/usr/bin/env bash
# bench/compare/run.sh - our engine vs PyTorch vs ONNX Runtime on the same model, same run.
# Run from anywhere; see --help. Builds nothing: expects build/bench and build/patchtsmixer
# (`make`). The numbers in the README's performance table come from this script.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/compare/run.sh [options]

Runs the same PatchTSMixer forecaster in our engine (build/bench), PyTorch 1.13 (eager and
TorchScript, through dev/ptm_torch.py on the same safetensors) and ONNX Runtime (npm
onnxruntime-node, CPU, on a torch.onnx.export of that module), one after another in one run,
and prints one markdown table with the median / p90 latency per call, samples/s and the ratio
ours/other (our samples/s / theirs; > 1 = ours faster), plus the machine, date and command.
The table is also written to bench/compare/results.md (--out).

Steps:
  1. correctness first: the forecast of one window (the last context_length rows of --csv)
     by `build/patchtsmixer predict`, by PyTorch and by ONNX Runtime; PASS when
     max|other - ours| <= 1e-4 * (1 + max|ours|); the same for the mix_channel model
  2. inference: every batch size x every thread count, each engine
  3. training throughput at --train-batch: ours (build/bench --train-only: forward + backward,
     and forward + backward + AdamW step) and PyTorch (the same two)
  4. mix_channel: a mode "mix_channel" copy of the model's config with random weights
     (written by dev/ptm_torch.py into a temporary directory), at --mix-batch, in every
     engine; reports mix/common time per engine
Engines that are not installed are skipped with a note. Takes about 3-4 minutes with the
defaults. Exit status: 0, or 1 when a correctness check fails or a step errs, 2 for usage.

options:
  --model DIR         checkpoint (HF config.json + model.safetensors)   [models/etth1]
  --csv FILE          data for the correctness window                    [data/ETTh1.csv]
  --batches LIST      inference batch sizes                              [1,8,64,256]
  --threads LIST      thread counts                                      [1,2]
  --seconds S         timed seconds per configuration, ours              [1]
  --other-seconds S   timed seconds per configuration, PyTorch / ORT     [2]
  --train-batch B     training batch (0 = skip training)                 [64]
  --mix-batch B       mix_channel comparison batch (0 = skip)            [64]
  --opset N           ONNX opset for torch.onnx.export                   [17]
  --torch-blas DIR    prepend DIR to LD_LIBRARY_PATH for PyTorch only (a libblas.so.3, e.g.
                      OpenBLAS's; see "PyTorch's BLAS" below)
  --no-torch, --no-ort  skip PyTorch / ONNX Runtime (ONNX Runtime needs PyTorch to export)
  --out FILE          also write the report here ('' = don't)            [bench/compare/results.md]
  --keep DIR          keep the intermediate files (JSON lines, ONNX, checkpoints) in DIR
  -h, --help          this text

Requirements (Debian):
  make                                              # build/bench, build/patchtsmixer
  apt-get install python3-torch python3-numpy       # PyTorch 1.13 (uses /usr/bin/python3;
                                                    #   PYTHON=... to override)
  cd bench/compare && ONNXRUNTIME_NODE_INSTALL=skip npm install   # onnxruntime-node (needs node)

PyTorch's BLAS: Debian's libtorch1.13 does its matmuls through libblas.so.3. With only the
reference (netlib) libblas3 installed, which apt's --no-install-recommends gives, PyTorch's
linear layers run about 10x slower than with OpenBLAS, the BLAS libtorch1.13 recommends. The
report names the BLAS PyTorch loaded and warns about the reference one. Either install
libopenblas0-pthread (switches libblas.so.3 system-wide) or, without touching the system:
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
  bench/compare/run.sh --torch-blas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread

Timing (all engines alike): a warm-up, then one call after another for S seconds; median and
p90 of the wall time per call; samples/s = batch / median. Inputs are build/bench's
(x[i] = sin(0.01 i)). Each PyTorch thread count runs in its own process with
torch.set_num_threads(N) and OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = N; ONNX Runtime uses
intraOpNumThreads N, interOpNumThreads 1. For N > 1 both run twice, with their idle pool
threads spinning (their default) and sleeping (OMP_WAIT_POLICY=PASSIVE; ORT
session.intra_op.allow_spinning=0), and the report keeps the faster of the two per row
(spinning threads collapse when other work shares the cores). Run it on a quiet machine: the
report records the load average before and after and says when the machine was loaded. On
a shared machine, `nice -n -15 bench/compare/run.sh ...` (root) gives every engine the cores
ahead of the other work; the report records the niceness.

example:
  make && bench/compare/run.sh --torch-blas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
EOF
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CMDLINE="bench/compare/run.sh"
for a in "$@"; do CMDLINE+=" $(printf '%q' "$a")"; done

MODEL=models/etth1
CSV=data/ETTh1.csv
BATCHES=1,8,64,256
THREADS=1,2
SECONDS_OURS=1
SECONDS_OTHER=2
TRAIN_BATCH=64
MIX_BATCH=64
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
    --model) MODEL=${2:?}; USER_MODEL=1; shift ;;
    --csv) CSV=${2:?}; USER_CSV=1; shift ;;
    --batches) BATCHES=${2:?}; shift ;;
    --threads) THREADS=${2:?}; shift ;;
    --seconds) SECONDS_OURS=${2:?}; shift ;;
    --other-seconds) SECONDS_OTHER=${2:?}; shift ;;
    --train-batch) TRAIN_BATCH=${2:?}; shift ;;
    --mix-batch) MIX_BATCH=${2:?}; shift ;;
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
[[ $BATCHES =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--batches: expected e.g. 1,8,64, got '$BATCHES'"
[[ $THREADS =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--threads: expected e.g. 1,2, got '$THREADS'"
[[ $TRAIN_BATCH =~ ^[0-9]+$ ]] || die "--train-batch: expected a number"
[[ $MIX_BATCH =~ ^[0-9]+$ ]] || die "--mix-batch: expected a number"

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
for f in "$BENCH" "$CLI"; do
    [ -x "$f" ] || { echo "run.sh: $f not found: run 'make' first" >&2; exit 1; }
done
if [ ! -f "$MODEL/config.json" ] || [ ! -f "$MODEL/model.safetensors" ]; then
    echo "run.sh: $MODEL: no config.json + model.safetensors" >&2
    exit 1
fi
[ -z "$TORCH_BLAS" ] || [ -d "$TORCH_BLAS" ] || die "--torch-blas: $TORCH_BLAS is not a directory"

PY=${PYTHON:-/usr/bin/python3}
command -v "$PY" >/dev/null || PY=python3
NOTES=()
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
CFGDESC=$("$PY" "$RP" --desc "$MODEL/config.json")
read -r L1 L5 L15 _ </proc/loadavg
LOAD_BEFORE="[$L1, $L5, $L15]"
step "model $MODEL: $CFGDESC; load average $L1 $L5 $L15 on $(nproc) CPUs; scratch $T"

# ---- 1. correctness ---------------------------------------------------------------------
MIX="$T/mix_channel"
CONTEXT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["context_length"])' "$MODEL/config.json")
CHANNELS=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_input_channels"])' "$MODEL/config.json")
check_model() { # tag dir label
    local tag=$1 dir=$2 label=$3 refs=()
    "$CLI" predict "$dir" --input "$CSV" --output "$T/$tag.ours.csv" 2>>"$LOG" ||
        { fail "check $tag: build/patchtsmixer predict failed (see log)"; return; }
    if [ $DO_TORCH = 1 ]; then
        torch_env 1 "$PY" "$TB" predict --model "$dir" --csv "$CSV" --window-out "$T/$tag.window.f32" \
            --out "$T/$tag.torch.f32" 2>>"$LOG" || fail "check $tag: PyTorch predict failed (see log)"
        refs+=(--ref "PyTorch=$T/$tag.torch.f32")
        if torch_env 1 "$PY" "$TB" export --model "$dir" --onnx "$T/$tag.onnx" --opset "$OPSET" \
            >>"$LOG" 2>&1; then
            if [ $DO_ORT = 1 ]; then
                node "$HERE/ort_bench.js" --model "$T/$tag.onnx" --context "$CONTEXT" --channels "$CHANNELS" \
                    --check "$T/$tag.window.f32" --check-out "$T/$tag.ort.f32" 2>>"$LOG" ||
                    fail "check $tag: ONNX Runtime failed (see log)"
                refs+=(--ref "ONNX Runtime=$T/$tag.ort.f32")
            fi
        else
            fail "check $tag: torch.onnx.export failed (see log); ONNX Runtime skipped"
            DO_ORT=0
        fi
        local ok=1
        "$PY" "$TB" compare --ours "$T/$tag.ours.csv" --label "$label" "${refs[@]}" >"$T/$tag.check.jsonl" \
            2>>"$LOG" || ok=0
        cat "$T/$tag.check.jsonl" >>"$R"
        "$PY" "$RP" --checks "$T/$tag.check.jsonl" >&2
        [ $ok = 1 ] || fail "correctness check FAILED: $label"
    fi
}
step "correctness: one window of $CSV (last $CONTEXT rows), ours vs PyTorch vs ONNX Runtime"
check_model common "$MODEL" "forecast, $MODEL"
if [ "$MIX_BATCH" -gt 0 ]; then
    if [ $DO_TORCH = 1 ]; then
        "$PY" "$TB" write-mix --model "$MODEL" --out "$MIX" 2>>"$LOG" || fail "write-mix failed (see log)"
        check_model mix "$MIX" "forecast, mix_channel copy (random weights)"
    else
        NOTES+=("mix_channel skipped: its checkpoint is written with dev/ptm_torch.py, which needs PyTorch.")
        MIX_BATCH=0
    fi
fi

# ---- 2-4. timings -----------------------------------------------------------------------
tag_ours() { sed -e "s/^{/{\"engine\": \"ours\", \"threads\": $1, \"model\": \"$2\", /"; }
IFS=, read -r -a TLIST <<<"$THREADS"
for t in "${TLIST[@]}"; do
    step "ours: inference, $t thread(s), batches $BATCHES"
    "$BENCH" --model "$MODEL" --batches "$BATCHES" --threads "$t" --seconds "$SECONDS_OURS" --json \
        2>>"$LOG" | tag_ours "$t" common >>"$R" || fail "build/bench failed ($t threads)"
    if [ "$TRAIN_BATCH" -gt 0 ]; then
        step "ours: training, $t thread(s), batch $TRAIN_BATCH"
        "$BENCH" --model "$MODEL" --batches "$TRAIN_BATCH" --threads "$t" --seconds "$SECONDS_OURS" \
            --json --train-only 2>>"$LOG" | tag_ours "$t" common >>"$R" ||
            fail "build/bench --train failed ($t threads)"
    fi
    if [ "$MIX_BATCH" -gt 0 ]; then
        step "ours: mix_channel, $t thread(s), batch $MIX_BATCH"
        "$BENCH" --model "$MIX" --batches "$MIX_BATCH" --threads "$t" --seconds "$SECONDS_OURS" --json \
            2>>"$LOG" | tag_ours "$t" mix >>"$R" || fail "build/bench (mix_channel) failed ($t threads)"
    fi
done
waits() { # the wait policies to try for a thread count: 1 thread has no idle pool threads
    if [ "$1" -gt 1 ]; then echo default passive; else echo default; fi
}
if [ $DO_TORCH = 1 ]; then
    for t in "${TLIST[@]}"; do
        for w in $(waits "$t"); do
            WENV=()
            [ "$w" = passive ] && WENV=(OMP_WAIT_POLICY=PASSIVE)
            step "PyTorch ($w OpenMP wait): eager + TorchScript, $t thread(s), batches $BATCHES; training batch $TRAIN_BATCH"
            torch_env "$t" env "${WENV[@]+"${WENV[@]}"}" "$PY" "$TB" bench --model "$MODEL" --threads "$t" \
                --batches "$BATCHES" --seconds "$SECONDS_OTHER" --train-batch "$TRAIN_BATCH" --tag common \
                >>"$R" 2>>"$LOG" || fail "PyTorch bench failed ($t threads, $w; see log)"
            if [ "$MIX_BATCH" -gt 0 ]; then
                step "PyTorch ($w OpenMP wait): mix_channel, $t thread(s), batch $MIX_BATCH"
                torch_env "$t" env "${WENV[@]+"${WENV[@]}"}" "$PY" "$TB" bench --model "$MIX" --threads "$t" \
                    --batches "$MIX_BATCH" --seconds "$SECONDS_OTHER" --tag mix >>"$R" 2>>"$LOG" ||
                    fail "PyTorch mix_channel bench failed ($t threads, $w; see log)"
            fi
        done
    done
fi
if [ $DO_ORT = 1 ]; then
    MULTI=$(tr , '\n' <<<"$THREADS" | awk '$1 > 1' | paste -sd, -)
    for w in default passive; do
        TH=$THREADS
        [ $w = passive ] && TH=$MULTI
        [ -n "$TH" ] || continue
        step "ONNX Runtime ($w spinning): threads $TH, batches $BATCHES"
        node "$HERE/ort_bench.js" --model "$T/common.onnx" --context "$CONTEXT" --channels "$CHANNELS" \
            --threads "$TH" --batches "$BATCHES" --seconds "$SECONDS_OTHER" --tag common --wait $w \
            >>"$R" 2>>"$LOG" || fail "ONNX Runtime bench failed ($w; see log)"
        if [ "$MIX_BATCH" -gt 0 ] && [ -f "$T/mix.onnx" ]; then
            step "ONNX Runtime ($w spinning): mix_channel, threads $TH, batch $MIX_BATCH"
            node "$HERE/ort_bench.js" --model "$T/mix.onnx" --context "$CONTEXT" --channels "$CHANNELS" \
                --threads "$TH" --batches "$MIX_BATCH" --seconds "$SECONDS_OTHER" --tag mix --wait $w \
                >>"$R" 2>>"$LOG" || fail "ONNX Runtime mix_channel bench failed ($w; see log)"
        fi
    done
fi

# ---- report -----------------------------------------------------------------------------
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    NOTES+=("This CPU has AVX-512 (avx512f): our kernels, ONNX Runtime's MLAS and OpenBLAS all use it. The FMA peak above is measured with 512-bit FMAs, twice the AVX2 rate on this core (full-width 512-bit FMA units), so % of peak is against the larger figure.")
fi
read -r L1 L5 L15 _ </proc/loadavg
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || true)
if [ -n "$COMMIT" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    COMMIT+=" with uncommitted changes"
fi
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
KERNELS=$("$BENCH" --model "$MODEL" --batches 1 --seconds 0.01 2>/dev/null | sed -n 's/^kernels: \([^;]*\);.*/\1/p' || true)
PEAK=$(sed -n 's/.*"peak_gflops": \([0-9.]*\).*/\1/p' "$R" | head -1)
NOTES_JSON=$("$PY" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${NOTES[@]+"${NOTES[@]}"}")
"$PY" "$RP" --meta "$R" "command=$CMDLINE" "cpu=${CPU:-unknown CPU}" "ncpu=$(nproc)" "kernels=$KERNELS" "niceness=$(nice)" \
    "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "commit=$COMMIT" "load_before=$LOAD_BEFORE" \
    "load_after=[$L1, $L5, $L15]" "model=$MODEL" "model_desc=$CFGDESC" "peak_gflops=${PEAK:-0}" \
    "opset=$OPSET" "ours_seconds=$SECONDS_OURS" "other_seconds=$SECONDS_OTHER" \
    "elapsed_s=$(($(date +%s) - T0))" "notes=$NOTES_JSON" \
    "mix_desc=A copy of $MODEL's config.json with mode \"mix_channel\" (same shapes), random weights (PyTorch default init, seed 0), written by dev/ptm_torch.py"
echo >&2
"$PY" "$HERE/report.py" "$R" ${OUT:+--out "$OUT"}
step "done${OUT:+; report written to $OUT}${KEEP:+; files kept in $KEEP}"
exit $FAILED
