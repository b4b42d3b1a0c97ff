"""Build dev/etth1_case/: a golden-format test case of the trained models/etth1_seed checkpoint.

Usage: /usr/bin/python3 dev/make_etth1_case.py [--model models/etth1_seed] [--out dev/etth1_case]
Then:  build/test_golden dev/etth1_case

Inputs are 4 RAW (unscaled) ETTh1 test windows (past_values [4, 512, 7], future_values [4, 96, 7]),
as the C engine sees the CSV. The expected tensors come from dev/ptm_torch.py in eval mode, float32
(the module reproduces HF's golden cases, see dev/check_ptm_torch.py), with HF's output names.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptm_torch as ptm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_START, TEST_END = 11520, 14400


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/ETTh1.csv")
    ap.add_argument("--model", default=os.path.join(HERE, "..", "models", "etth1"))
    ap.add_argument("--out", default=os.path.join(HERE, "etth1_case"))
    args = ap.parse_args()
    torch.set_num_threads(2)

    cfgd = json.load(open(os.path.join(args.model, "config.json")))
    L, H = cfgd["context_length"], cfgd["prediction_length"]
    raw = np.loadtxt(args.data, delimiter=",", skiprows=1, usecols=range(1, 8), dtype=np.float64)
    # forecast origins (first predicted row) spread over the test split
    origins = [TEST_START, TEST_START + 937, TEST_START + 1874, TEST_END - H]
    past = np.stack([raw[o - L:o] for o in origins]).astype(np.float32)
    fut = np.stack([raw[o:o + H] for o in origins]).astype(np.float32)

    model = ptm.PatchTSMixerForPrediction(cfgd)
    model.load_hf(os.path.join(args.model, "model.safetensors"))
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(past), torch.from_numpy(fut))
        m64 = ptm.PatchTSMixerForPrediction(cfgd).double()
        m64.load_hf(os.path.join(args.model, "model.safetensors"))
        m64.eval()
        out64 = m64(torch.from_numpy(past).double(), torch.from_numpy(fut).double())
    names = ["prediction_outputs", "loc", "scale", "loss", "patch_input", "last_hidden_state"] + \
        [f"hidden_states.{k}" for k in range(cfgd["num_layers"])]
    exp = {n: out[n].numpy().astype(np.float32) for n in names}
    dev = {n: float((out[n].double() - out64[n]).abs().max() / (1 + out64[n].abs().max())) for n in names}

    os.makedirs(args.out, exist_ok=True)
    shutil.copyfile(os.path.join(args.model, "config.json"), os.path.join(args.out, "config.json"))
    shutil.copyfile(os.path.join(args.model, "model.safetensors"), os.path.join(args.out, "model.safetensors"))
    ptm.save_safetensors(os.path.join(args.out, "inputs.safetensors"), {"past_values": past, "future_values": fut})
    ptm.save_safetensors(os.path.join(args.out, "expected.safetensors"), exp)
    case = {
        "name": "etth1_case",
        "class": "PatchTSMixerForPrediction",
        "description": "The bundled models/etth1_seed checkpoint on 4 raw ETTh1 test windows (forecast origins at rows "
                       + ", ".join(str(o) for o in origins) + "); expected tensors from dev/ptm_torch.py, float32, eval.",
        "forward_call": "model(past_values, future_values, output_hidden_states=True, return_dict=True, return_loss=True)",
        "float64_vs_float32_per_tensor_normalized": {n: float(f"{v:.3g}") for n, v in dev.items()},
        "tolerance": {"rel_tol": 0.0001},
    }
    with open(os.path.join(args.out, "case.json"), "w") as f:
        f.write(json.dumps(case, indent=2) + "\n")
    print(f"wrote {os.path.normpath(args.out)}; loss (raw units) {float(out['loss']):.4f}; "
          f"worst float64-vs-float32 deviation {max(dev.values()):.2g} ({max(dev, key=dev.get)})")


if __name__ == "__main__":
    main()
