"""Check dev/ptm_torch.py against the HF golden cases.

Usage: /usr/bin/python3 dev/check_ptm_torch.py [GOLDEN_DIR]

Required cases (the brief): fc_common_gated_ln_std and grad_fc_common_bn_gated_std, eval mode,
prediction_outputs within 1e-4 * (1 + max|expected|). In addition every tensor of
expected.safetensors is compared, every other golden Prediction case inside the supported subset
(loss mse, no self-attention, no positional encoding) is run, and for the grad_* case the
train-mode outputs, gradients and BatchNorm buffers of expected_grads.safetensors are compared.
Exit status 0 when everything passes.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptm_torch as ptm  # noqa: E402

torch.set_num_threads(2)
REQUIRED = ["fc_common_gated_ln_std", "grad_fc_common_bn_gated_std"]


def ndev(got, exp):
    got = np.asarray(got, dtype=np.float64)
    exp = np.asarray(exp, dtype=np.float64)
    if got.shape != exp.shape:
        return float("inf"), 0.0
    return float(np.max(np.abs(got - exp))) if got.size else 0.0, float(np.max(np.abs(exp))) if exp.size else 0.0


def compare(label, got, exp, rel_tol, failures):
    worst = (0.0, None)
    for name, e in exp.items():
        if name not in got:
            failures.append(f"{label}: missing {name}")
            continue
        g = got[name]
        if e.dtype == np.int64:
            if not np.array_equal(np.asarray(g), e):
                failures.append(f"{label}: {name} integer mismatch")
            continue
        d, m = ndev(g, e)
        allowed = rel_tol * (1 + m)
        if not d <= allowed:
            failures.append(f"{label}: {name} max diff {d:.3g} > allowed {allowed:.3g}")
        if d / (1 + m) >= worst[0]:
            worst = (d / (1 + m), name)
    return worst


def supported(cfg):
    return (cfg.get("architectures", [""])[0] == "PatchTSMixerForPrediction" and cfg.get("loss") == "mse"
            and not cfg.get("self_attn") and not cfg.get("use_positional_encoding"))


def run_case(cdir, failures):
    name = os.path.basename(cdir.rstrip("/"))
    cfg = json.load(open(os.path.join(cdir, "config.json")))
    case = json.load(open(os.path.join(cdir, "case.json")))
    tol = case.get("tolerance", {}).get("rel_tol", 1e-4)
    model = ptm.PatchTSMixerForPrediction(cfg)
    model.load_hf(os.path.join(cdir, "model.safetensors"))
    inp = {k: torch.from_numpy(v) for k, v in ptm.load_safetensors(os.path.join(cdir, "inputs.safetensors")).items()}
    exp = ptm.load_safetensors(os.path.join(cdir, "expected.safetensors"))
    model.eval()
    with torch.no_grad():
        out = model(inp["past_values"], inp.get("future_values"), inp.get("observed_mask"))
    got = {k: v.numpy() for k, v in out.items()}
    n0 = len(failures)
    d, m = ndev(got["prediction_outputs"], exp["prediction_outputs"])
    po = f"prediction_outputs max diff {d:.3g} (allowed {tol * (1 + m):.3g})"
    worst = compare(name + " [eval]", got, exp, tol, failures)
    line = f"{'PASS' if len(failures) == n0 else 'FAIL'} {name} [eval]: {po}; {len(exp)} tensors, worst {worst[1]} (normalised {worst[0]:.2g})"
    print(line)

    gpath = os.path.join(cdir, "expected_grads.safetensors")
    if os.path.exists(gpath):
        gexp = ptm.load_safetensors(gpath)
        gtol = case.get("gradients", {}).get("rel_tol", tol)
        model = ptm.PatchTSMixerForPrediction(cfg)
        model.load_hf(os.path.join(cdir, "model.safetensors"))
        model.train()
        out = model(inp["past_values"], inp.get("future_values"), inp.get("observed_mask"))
        out["loss"].backward()
        got = {k: v.detach().numpy() for k, v in out.items()}
        for pn, p in model.named_parameters():
            got["grad." + pn] = p.grad.numpy()
        for bn, b in model.named_buffers():
            got["buffer_after." + bn] = b.numpy()
        n1 = len(failures)
        fwd = {k: v for k, v in gexp.items() if not k.startswith(("grad.", "buffer_after."))}
        grads = {k: v for k, v in gexp.items() if k.startswith("grad.")}
        bufs = {k: v for k, v in gexp.items() if k.startswith("buffer_after.")}
        w1 = compare(name + " [train fwd]", got, fwd, tol, failures)
        w2 = compare(name + " [grads]", got, grads, gtol, failures)
        w3 = compare(name + " [buffers]", got, bufs, tol, failures)
        ng = sum(1 for p in model.parameters())
        if len(grads) != ng:
            failures.append(f"{name}: {len(grads)} expected grads vs {ng} parameters")
        print(f"{'PASS' if len(failures) == n1 else 'FAIL'} {name} [train]: {len(fwd)} outputs (worst {w1[1]} {w1[0]:.2g}), "
              f"{len(grads)} grads (worst {w2[1]} {w2[0]:.2g}), {len(bufs)} buffers (worst {w3[1]} {w3[0]:.2g})")
    return len(failures) == n0


def main():
    gdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden")
    gdir = os.path.normpath(gdir)
    failures = []
    extra = []
    for d in sorted(os.listdir(gdir)):
        p = os.path.join(gdir, d, "config.json")
        if d not in REQUIRED and os.path.exists(p) and supported(json.load(open(p))):
            extra.append(d)
    print("required cases:")
    for d in REQUIRED:
        run_case(os.path.join(gdir, d), failures)
    print("other golden Prediction cases in the supported subset:")
    for d in extra:
        run_case(os.path.join(gdir, d), failures)
    for f in failures:
        print("  " + f)
    print(f"check_ptm_torch: {len(REQUIRED) + len(extra)} cases, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
