"""PyTorch side of bench/compare/run.sh (run it through run.sh; see run.sh --help).

Uses dev/ptm_torch.py (our PyTorch re-implementation of HF PatchTSMixerForPrediction, checked
against the golden cases by dev/check_ptm_torch.py) and, for a config.json with model_type
"tinytimemixer", dev/ttm_torch.py (IBM's TinyTimeMixerForPrediction, checked by
dev/check_ttm_torch.py), imported by path. Subcommands:

  predict   --model DIR --csv FILE --window-out W.f32 --out Y.f32
            the model on the last context_length rows of FILE (read with numpy); writes the
            window and the forecast as raw little-endian float32
  export    --model DIR --onnx FILE [--opset 17]
            torch.onnx.export of the forecaster (input past_values [batch, L, C], dynamic batch
            axis; output prediction_outputs [batch, H, C])
  compare   --ours OURS.csv|OURS.f32 --ref NAME=Y.f32 ... [--label TEXT] [--threads N --batch B]
            PASS/FAIL: max|ref - ours| <= 1e-4 * (1 + max|ours|), one JSON line per reference
            (a reference file that is missing is a FAIL)
  bench     --model DIR --threads N --batches 1,8,64,256 --seconds S [--min-calls K]
            [--modes eager,script] [--train-batch 64] [--tag common] [--dump-dir DIR]
            median / p90 ms per call and samples/s, one JSON line per (engine, batch);
            --dump-dir: the forecast of each timed input as DIR/torch-<mode>-b<B>.f32
  write-variant --model DIR --out DIR2 [--set KEY=JSON ...] [--seed 0]
            DIR's config.json with the keys of --set replaced (num_patches recomputed) and
            random weights (PyTorch's default initialisation, seeded), written as
            config.json + model.safetensors (PatchTSMixer or TinyTimeMixer)

Timing follows build/bench: warm-up, then one call after another for S seconds and at least K
calls (default 20); median and p90 (sorted[int(0.9 (k-1))]) of the per-call wall times;
samples/s = batch / median. Inputs are build/bench's: x[i] = sin(0.01 i) over the flat
[B, L, C] array, future values cos(0.01 i).
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "dev"))
sys.dont_write_bytecode = True  # no dev/__pycache__ left behind
import ptm_torch as ptm  # noqa: E402
import ttm_torch as ttm  # noqa: E402


def read_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


def load_model(model_dir):
    if ttm.is_ttm_config(read_config(model_dir)):
        return ttm.load(model_dir)
    cfg = ptm.Cfg.from_json(os.path.join(model_dir, "config.json"))
    m = ptm.PatchTSMixerForPrediction(cfg)
    m.load_hf(os.path.join(model_dir, "model.safetensors"))
    m.eval()
    return m


class Forecast(torch.nn.Module):
    """past_values -> prediction_outputs only (what ours and the ONNX graph return)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, past_values):
        return self.m(past_values)["prediction_outputs"]


def bench_inputs(cfg, batch):
    n = batch * cfg.context_length * cfg.num_input_channels
    nf = batch * cfg.prediction_length * cfg.num_input_channels
    x = np.sin(0.01 * np.arange(n, dtype=np.float64)).astype(np.float32)
    f = np.cos(0.01 * np.arange(nf, dtype=np.float64)).astype(np.float32)
    return (torch.from_numpy(x.reshape(batch, cfg.context_length, cfg.num_input_channels)),
            torch.from_numpy(f.reshape(batch, cfg.prediction_length, cfg.num_input_channels)))


def timeit(fn, seconds, min_calls, warm_s=0.3, min_warm=3):
    t_warm = time.perf_counter() + warm_s
    k = 0
    while time.perf_counter() < t_warm or k < min_warm:
        fn()
        k += 1
    times = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(times) < min_calls:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    n = len(times)
    return times[n // 2], times[int(0.9 * (n - 1))], n


def blas_in_use():
    """The BLAS library this process mapped (torch's matmuls go through it)."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
        return ", ".join(libs) if libs else "none mapped"
    except OSError:
        return "unknown"


def read_csv_window(path, context, channels):
    # header row, then a timestamp column and the channel columns (ETT format)
    with open(path) as f:
        header = f.readline().strip().split(",")
    first_numeric = 1 if header[0].lower() in ("date", "time", "timestamp", "datetime") else 0
    cols = list(range(first_numeric, len(header)))
    a = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=cols, dtype=np.float64)
    if a.shape[1] != channels:
        raise SystemExit(f"{path}: {a.shape[1]} numeric columns, the model has {channels} channels")
    if a.shape[0] < context:
        raise SystemExit(f"{path}: {a.shape[0]} rows < context_length {context}")
    return a[-context:].astype(np.float32)


def cmd_predict(a):
    torch.set_num_threads(1)
    m = load_model(a.model)
    cfg = m.cfg
    w = read_csv_window(a.csv, cfg.context_length, cfg.num_input_channels)
    with torch.no_grad():
        y = m(torch.from_numpy(w[None]))["prediction_outputs"][0].numpy()
    w.astype("<f4").tofile(a.window_out)
    y.astype("<f4").tofile(a.out)


def export_patchify(cfg):
    """Backbone.patchify without Tensor.unfold, which torch 1.13 cannot export with a dynamic
    batch axis ("input size not accessible"): the same [B, C, N, P] tensor by a reshape
    (stride == patch length) or an index gather (overlapping patches)."""
    P, S, N, L = cfg.patch_length, cfg.patch_stride, cfg.num_patches, cfg.context_length
    new_len = P + S * (N - 1)
    idx = (torch.arange(N)[:, None] * S + torch.arange(P)[None, :]).reshape(-1)

    def patchify(x):  # [B, L, C]
        x = x[:, L - new_len:, :]
        if S == P:
            x = x.reshape(-1, N, P, cfg.num_input_channels)
        else:
            x = x[:, idx, :].reshape(-1, N, P, cfg.num_input_channels)
        return x.permute(0, 3, 1, 2).contiguous()
    return patchify


def cmd_export(a):
    m = load_model(a.model)
    cfg = m.cfg
    if isinstance(m, ttm.TinyTimeMixerForPrediction):
        if cfg.resolution_prefix_tuning:  # (ort_bench.js feeds past_values only)
            raise SystemExit("export: a model with a frequency-token prefix is not exported")
    else:  # ttm_torch's patchify exports as it is; ptm_torch's uses unfold
        m.model.patchify = export_patchify(cfg)
        x0, _ = bench_inputs(cfg, 3)
        with torch.no_grad():  # the replacement computes exactly what unfold computes
            ref = load_model(a.model)(x0)["prediction_outputs"]
            if not torch.equal(m(x0)["prediction_outputs"], ref):
                raise SystemExit("export: patchify replacement differs from Tensor.unfold")
    x, _ = bench_inputs(cfg, 2)
    f = Forecast(m).eval()
    with torch.no_grad():
        torch.onnx.export(f, (x,), a.onnx, input_names=["past_values"],
                          output_names=["prediction_outputs"],
                          dynamic_axes={"past_values": {0: "batch"}, "prediction_outputs": {0: "batch"}},
                          opset_version=a.opset, do_constant_folding=True)
    print(json.dumps({"onnx": a.onnx, "opset": a.opset, "torch": torch.__version__}))


def read_ours(path):
    """Our forecast: predict's CSV, or build/bench --dump's raw float32 (flat)."""
    if path.endswith(".f32"):
        return np.fromfile(path, dtype="<f4").astype(np.float64)
    with open(path) as f:
        header = f.readline().strip().split(",")
    first = 1 if header[0].lower() in ("date", "step") else 0
    return np.genfromtxt(path, delimiter=",", skip_header=1,
                         usecols=range(first, len(header)), dtype=np.float64, ndmin=2)


def cmd_compare(a):
    ours = read_ours(a.ours)
    amax = float(np.max(np.abs(ours)))
    allowed = 1e-4 * (1.0 + amax)
    ok_all = True
    for spec in a.ref:
        name, path = spec.split("=", 1)
        ref = np.fromfile(path, dtype="<f4").astype(np.float64) if os.path.exists(path) else None
        if ref is None or ref.size != ours.size:
            d, ok = float("inf"), False
        else:
            d = float(np.max(np.abs(ref.reshape(ours.shape) - ours)))
            ok = d <= allowed
        ok_all &= ok
        rec = {"kind": "check", "check": a.label, "engine": name, "status": "PASS" if ok else "FAIL",
               "max_abs_diff": d, "allowed": allowed, "max_abs_ours": amax, "shape": list(ours.shape)}
        if ref is None:
            rec["why"] = f"{path} missing"
        if a.threads:
            rec.update(threads=a.threads, batch=a.batch)
        print(json.dumps(rec))
    sys.exit(0 if ok_all else 1)


# OpenMP's wait policy of this process (run.sh runs each thread count >1 with the default and
# with OMP_WAIT_POLICY=PASSIVE and reports the faster)
WAIT = os.environ.get("OMP_WAIT_POLICY", "default").lower()


def emit(**kw):
    print(json.dumps(kw), flush=True)


def cmd_bench(a):
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    m = load_model(a.model)
    cfg = m.cfg
    info = dict(kind="info", torch=torch.__version__, threads=torch.get_num_threads(),
                blas=blas_in_use(), model=a.tag)
    emit(**info)
    batches = [int(b) for b in a.batches.split(",") if b]
    modes = [s for s in a.modes.split(",") if s]
    fwd = Forecast(m).eval()
    if a.dump_dir:
        os.makedirs(a.dump_dir, exist_ok=True)
    for mode in modes:
        for B in batches:
            x, _ = bench_inputs(cfg, B)
            if mode == "eager":
                run = fwd
            elif mode == "script":
                with torch.no_grad():
                    run = torch.jit.freeze(torch.jit.trace(fwd, (x,), check_trace=False))
            else:
                raise SystemExit(f"unknown mode {mode}")

            def call():
                with torch.inference_mode():
                    return run(x)

            if a.dump_dir:
                call().numpy().astype("<f4").tofile(os.path.join(a.dump_dir, f"torch-{mode}-b{B}.f32"))
            med, p90, n = timeit(call, a.seconds, a.min_calls)
            emit(kind="infer", engine=f"torch-{mode}", model=a.tag, threads=a.threads, wait=WAIT, batch=B,
                 median_ms=med * 1e3, p90_ms=p90 * 1e3, samples_per_s=B / med, calls=n)
    if a.train_batch > 0 and isinstance(m, ptm.PatchTSMixerForPrediction):
        B = a.train_batch
        x, fut = bench_inputs(cfg, B)
        tm = ptm.PatchTSMixerForPrediction(cfg)
        tm.load_state_dict(m.state_dict())
        tm.train()  # dropout on, as in our training context
        opt = torch.optim.AdamW(tm.parameters(), lr=1e-3)
        for variant in ("fwd+bwd", "fwd+bwd+adamw"):
            def step():
                opt.zero_grad(set_to_none=True)
                tm(x, future_values=fut)["loss"].backward()
                if variant == "fwd+bwd+adamw":
                    opt.step()

            med, p90, n = timeit(step, a.seconds, a.min_calls)
            emit(kind="train", engine="torch-eager", variant=variant, model=a.tag, threads=a.threads, wait=WAIT,
                 batch=B, median_ms=med * 1e3, p90_ms=p90 * 1e3, samples_per_s=B / med, calls=n)


def cmd_write_variant(a):
    d = read_config(a.model)
    for kv in a.set:
        k, v = kv.split("=", 1)
        d[k] = json.loads(v)
    if ttm.is_ttm_config(d):
        ttm.write_random(d, a.out, a.seed)
        return
    d = ptm.hf_config_dict(d)
    torch.manual_seed(a.seed)
    m = ptm.PatchTSMixerForPrediction(ptm.Cfg(d))
    os.makedirs(a.out, exist_ok=True)
    ptm.write_hf_config(os.path.join(a.out, "config.json"), d)
    m.save_hf(os.path.join(a.out, "model.safetensors"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = p.add_subparsers(dest="cmd", required=True)
    q = sp.add_parser("predict")
    q.add_argument("--model", required=True)
    q.add_argument("--csv", required=True)
    q.add_argument("--window-out", required=True)
    q.add_argument("--out", required=True)
    q = sp.add_parser("export")
    q.add_argument("--model", required=True)
    q.add_argument("--onnx", required=True)
    q.add_argument("--opset", type=int, default=17)
    q = sp.add_parser("compare")
    q.add_argument("--ours", required=True)
    q.add_argument("--ref", action="append", default=[])
    q.add_argument("--label", default="forecast")
    q.add_argument("--threads", type=int, default=0)
    q.add_argument("--batch", type=int, default=0)
    q = sp.add_parser("bench")
    q.add_argument("--model", required=True)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--batches", default="1,8,64,256")
    q.add_argument("--seconds", type=float, default=2.0)
    q.add_argument("--min-calls", type=int, default=20)
    q.add_argument("--dump-dir", default="")
    q.add_argument("--modes", default="eager,script")
    q.add_argument("--train-batch", type=int, default=0)
    q.add_argument("--tag", default="common")
    q = sp.add_parser("write-variant")
    q.add_argument("--model", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--set", action="append", default=[])
    q.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    {"predict": cmd_predict, "export": cmd_export, "compare": cmd_compare, "bench": cmd_bench,
     "write-variant": cmd_write_variant}[a.cmd](a)


if __name__ == "__main__":
    main()
