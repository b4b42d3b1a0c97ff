"""Check dev/ttm_torch.py against the TinyTimeMixer golden cases.

Usage: /usr/bin/python3 dev/check_ttm_torch.py [GOLDEN_TTM_DIR]      [tests/golden/ttm]

Every case whose options ttm_torch supports is run in eval mode on its inputs.safetensors and
every tensor of expected.safetensors (outputs, hidden states, loc / scale, loss) is compared with
the golden README's rule max|got - expected| <= rel_tol (1 + max|expected|), rel_tol from the
case's case.json. The grad_* cases are checked on their eval outputs (expected.safetensors);
their gradients are not (ttm_torch is for inference). Cases with options ttm_torch rejects
(self-attention, the forecast channel mixer) are listed as not supported. Exit status 0 when
every supported case passes.
"""

import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import ptm_torch as ptm  # noqa: E402
import ttm_torch as ttm  # noqa: E402

torch.set_num_threads(2)


def run_case(cdir):
    """(status, line): status PASS, FAIL or UNSUPPORTED."""
    name = os.path.basename(cdir.rstrip("/"))
    with open(os.path.join(cdir, "case.json")) as f:
        case = json.load(f)
    tol = case.get("tolerance", {}).get("rel_tol", 1e-4)
    try:
        model = ttm.load(cdir)
    except NotImplementedError as e:
        return "UNSUPPORTED", f"{name}: {e}"
    inp = {k: torch.from_numpy(v) for k, v in ptm.load_safetensors(os.path.join(cdir, "inputs.safetensors")).items()}
    exp = ptm.load_safetensors(os.path.join(cdir, "expected.safetensors"))
    with torch.no_grad():
        out = model(**inp)
    failures, worst = [], (0.0, None)
    for k, e in exp.items():
        if k not in out:
            failures.append(f"missing {k}")
            continue
        g = out[k].numpy().astype(np.float64)
        e = e.astype(np.float64)
        if g.shape != e.shape:
            failures.append(f"{k}: shape {list(g.shape)} != {list(e.shape)}")
            continue
        d = float(np.max(np.abs(g - e))) if e.size else 0.0
        m = float(np.max(np.abs(e))) if e.size else 0.0
        if not d <= tol * (1 + m):
            failures.append(f"{k}: max diff {d:.3g} > allowed {tol * (1 + m):.3g}")
        if d / (1 + m) >= worst[0]:
            worst = (d / (1 + m), k)
    extra = sorted(set(out) - set(exp))
    if extra:
        failures.append(f"outputs the case does not have: {', '.join(extra)}")
    status = "FAIL" if failures else "PASS"
    line = (f"{name}: {len(exp)} tensors, rel_tol {tol:g}, worst {worst[1]} (normalised {worst[0]:.2g})"
            + "".join(f"\n    {f}" for f in failures))
    return status, line


def main():
    gdir = os.path.normpath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "golden", "ttm"))
    counts = {"PASS": 0, "FAIL": 0, "UNSUPPORTED": 0}
    for d in sorted(os.listdir(gdir)):
        cdir = os.path.join(gdir, d)
        if not os.path.exists(os.path.join(cdir, "case.json")):
            continue
        status, line = run_case(cdir)
        counts[status] += 1
        print(f"{status} {line}", flush=True)
    print(f"check_ttm_torch: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['UNSUPPORTED']} not supported")
    sys.exit(1 if counts["FAIL"] else 0)


if __name__ == "__main__":
    main()
