#!/usr/bin/env python3
"""time_estimate.py - what regenerating the accuracy table costs on this machine, from measured
per-step costs (run.sh --measure) and the runs of a results CSV (run.sh's results.csv).

  /usr/bin/python3 bench/accuracy/time_estimate.py COSTS.csv RESULTS.csv [RUN.sh]

For every run of RESULTS.csv: CPU seconds = epochs x epoch cost x horizon factor + the run's
overhead (loading, test evaluation), twice: with the epochs the run actually trained (early
stopping) and with its epoch cap (the dataset's `epochs` field in run.sh's DATASETS, or the
candidate's own --epochs). The epoch cost of a run is that of the measured configuration of its
dataset and candidate family (TinyTimeMixer, patch 16, context 96, or the seed configuration),
times 1.3 for the candidates that also validate within epochs (--val-every); the horizon factor
is interpolated between the measured ETTh1 96 and 720 epochs (ILI: none). Prints CPU seconds per
dataset and in total, and hours with two runs at a time (--jobs 2 on two cores). Standard
library only.
"""
import csv
import os
import re
import sys


def caps_from_run_sh(path):
    text = open(path, encoding="utf-8").read()
    ds_caps = {}
    block = re.search(r"DATASETS='(.*?)'", text, re.S).group(1)
    for line in block.splitlines():
        f = line.split("|")
        ds_caps[f[0]] = int(f[7])
    ttm = re.search(r'TTM_FLAGS="([^"]*)"', text).group(1)
    cand = {}
    for name, flags in re.findall(r"^\s+(\w+)\) echo \"(.*?)\" ;;", text, re.M):
        flags = flags.replace("$TTM_FLAGS", ttm)
        eps = re.findall(r"--epochs (\d+)", flags)
        cand[name] = (int(eps[-1]) if eps else None, "--val-every" in flags)
    return ds_caps, cand


def family(ds, c):
    if c.startswith("ttm"):
        return "ttm"
    if c == "p16s16d32":
        return c
    if c.startswith("p16"):
        return "p16d7" if ds.startswith("ETTm") else "p16oc"
    if c == "ctx96":
        return "ctx96"
    return "const"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    run_sh = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "run.sh")
    ds_caps, cand = caps_from_run_sh(run_sh)
    costs = {}
    for r in csv.DictReader(open(sys.argv[1])):
        costs[(r["dataset"], r["candidate"], int(r["horizon"]))] = r
    base_of = {"ETTh2": "ETTh1", "ETTm2": "ETTm1"}
    e96 = float(costs[("ETTh1", "const", 96)]["epoch_s"])
    e720 = float(costs[("ETTh1", "const", 720)]["epoch_s"])
    ran, capped, unpriced = {}, {}, set()
    for r in csv.DictReader(open(sys.argv[2])):
        ds, c, h = r["dataset"], r["configuration"], int(r["horizon"])
        if ds not in ds_caps or not any(k[0] in (ds, base_of.get(ds, ds)) for k in costs):
            unpriced.add(ds)  # a run.sh --dataset: no measured cost, no cap in DATASETS
            continue
        fam = family(ds, c)
        key = None  # the family's measurement at the shortest horizon (the others: hf below)
        for d in (ds, base_of.get(ds, ds), "ETTm2" if ds.startswith("ETTm") else ds):
            found = sorted(k for k in costs if k[0] == d and k[1] == fam)
            if found:
                key = min(found, key=lambda k: k[2])
                break
        if key is None:  # a family not measured for this dataset: its seed configuration
            key = min((k for k in costs if k[0] in (ds, base_of.get(ds, ds)) and k[1] == "const"),
                      key=lambda k: k[2])
        m = costs[key]
        ep_cost = float(m["epoch_s"]) * (1.3 if cand.get(c, (None, False))[1] else 1.0)
        hf = 1.0 if ds == "ILI" else 1.0 + (e720 / e96 - 1.0) * max(0, h - 96) / 624.0
        over = float(m["run_overhead_s"])
        cap = cand.get(c, (None, False))[0] or ds_caps[ds]
        ran[ds] = ran.get(ds, 0.0) + int(r["epochs"]) * ep_cost * hf + over
        capped[ds] = capped.get(ds, 0.0) + cap * ep_cost * hf + over
    print("dataset    CPU s (epochs run)   CPU s (epoch caps)")
    for ds in ran:
        print(f"{ds:<10} {ran[ds]:>18.0f} {capped[ds]:>20.0f}")
    tr, tc = sum(ran.values()), sum(capped.values())
    print(f"{'total':<10} {tr:>18.0f} {tc:>20.0f}")
    print(f"with --jobs 2 on 2 cores: {tr / 7200:.2f} h as run, at most {tc / 7200:.2f} h at the caps")
    if unpriced:
        print("not priced (no measured cost; run.sh --dataset sets): " + ", ".join(sorted(unpriced)))


if __name__ == "__main__":
    main()
