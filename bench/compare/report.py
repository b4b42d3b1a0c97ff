"""Markdown report of bench/compare/run.sh: reads the JSON lines the run collected and prints
(and with --out, writes) the tables. Standard library only. Helpers for run.sh:

  report.py RESULTS.jsonl [--out results.md]   the report
  report.py --desc CONFIG.json                 one line describing a model config
  report.py --checks CHECKS.jsonl              the correctness lines, for the terminal
  report.py --meta RESULTS.jsonl KEY=VALUE ... append a "meta" record (strings; JSON for the
                                               numeric and list keys in JSON_KEYS)

Record kinds: "meta" (machine, date, command, ...), "check" (correctness), "info" (engine
versions), "infer" / "train" (timings: engine, model tag, threads, batch, median_ms, p90_ms,
samples_per_s). build/bench's own lines carry "mode" instead of "kind".
"""

import json
import sys

ENGINES = ["ours", "torch-eager", "torch-script", "ort"]
NAMES = {"ours": "ours (C)", "torch-eager": "PyTorch eager", "torch-script": "PyTorch TorchScript",
         "ort": "ONNX Runtime"}


def fmt_ms(v):
    return f"{v:.3f}" if v < 10 else f"{v:.2f}" if v < 100 else f"{v:.1f}"


def name(r):
    n = NAMES[r["engine"]]
    return n + " (passive)" if r.get("wait") == "passive" else n


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def desc(path):
    with open(path) as f:
        c = json.load(f)
    L, P, S = c["context_length"], c["patch_length"], c["patch_stride"]
    n = (max(L, P) - P) // S + 1
    return (f"context {L}, patch {P}/{S} ({n} patches), {c['num_input_channels']} channels, "
            f"d_model {c['d_model']}, expansion {c.get('expansion_factor', 2)}, {c['num_layers']} layers, "
            f"{c.get('mode', 'common_channel')}, gated_attn {str(c.get('gated_attn', True)).lower()}, "
            f"{c.get('norm_mlp', 'LayerNorm')}, scaling {c.get('scaling', 'std')}, "
            f"horizon {c['prediction_length']}")


def print_checks(path):
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["status"] == "SKIP":
                s = r.get("why", "")
            else:
                op = "<=" if r["status"] == "PASS" else ">"
                s = f"max|diff| {r['max_abs_diff']:.3g} {op} {r['allowed']:.3g}"
            print(f"  {r['status']} {r['check']}: {r['engine']} vs ours: {s}")


JSON_KEYS = {"niceness", "ncpu", "load_before", "load_after", "peak_gflops", "opset", "elapsed_s", "notes"}


def add_meta(path, pairs):
    meta = {"kind": "meta"}
    for p in pairs:
        k, v = p.split("=", 1)
        meta[k] = json.loads(v) if k in JSON_KEYS else v
    with open(path, "a") as f:
        f.write(json.dumps(meta) + "\n")


def blas_note(blas):
    if not blas:
        return "unknown"
    if "openblas" in blas.lower():
        return f"OpenBLAS ({blas.split(',')[0]})"
    if "/blas/libblas.so" in blas:
        return (f"**the reference (netlib) BLAS** ({blas.split(',')[0]}): PyTorch's linear layers run "
                "several times slower than with OpenBLAS, so its figures here understate it; see "
                "run.sh --help (--torch-blas)")
    return blas


def main():
    args = sys.argv[1:]
    if args and args[0] == "--desc":
        print(desc(args[1]))
        return
    if args and args[0] == "--checks":
        print_checks(args[1])
        return
    if args and args[0] == "--meta":
        add_meta(args[1], args[2:])
        return
    out = None
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    recs = []
    with open(args[0]) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                r.setdefault("kind", r.get("mode"))
                recs.append(r)
    meta = {}
    for r in recs:
        if r["kind"] == "meta":
            meta.update(r)
    # PyTorch and ORT rows measured with both wait policies: keep the faster of each pair
    best = {}
    for r in recs:
        if r["kind"] in ("infer", "train"):
            k = (r["kind"], r.get("engine"), r.get("model"), r.get("threads"), r.get("batch"), r.get("variant"))
            if k not in best or r["median_ms"] < best[k]["median_ms"]:
                best[k] = r
    recs = [r for r in recs if r["kind"] not in ("infer", "train")] + list(best.values())
    infos = [r for r in recs if r["kind"] == "info"]
    checks = [r for r in recs if r["kind"] == "check"]
    inf = [r for r in recs if r["kind"] == "infer"]
    trn = [r for r in recs if r["kind"] == "train"]

    def get(rs, engine, model, threads, batch, variant=None):
        for r in rs:
            if (r.get("engine") == engine and r.get("model") == model and r.get("threads") == threads
                    and r.get("batch") == batch and (variant is None or r.get("variant") == variant)):
                return r
        return None

    L = []
    w = L.append
    w("# PatchTSMixer on the CPU: ours vs PyTorch vs ONNX Runtime")
    w("")
    w("Generated by `bench/compare/run.sh` (do not edit by hand; rerun it).")
    w("")
    w(f"- Machine: {meta.get('cpu', '?')}, {meta.get('ncpu', '?')} CPUs"
      + (f"; measured FMA peak {meta['peak_gflops']:.1f} GFLOP/s on one core (build/bench)"
         if meta.get("peak_gflops") else ""))
    w(f"- Date: {meta.get('date', '?')}")
    w(f"- Command: `{meta.get('command', '?')}`")
    if meta.get("commit"):
        w(f"- Source: commit {meta['commit']}")
    lb, la = meta.get("load_before"), meta.get("load_after")
    if lb is not None:
        ncpu = meta.get("ncpu") or 1
        own = min(2, ncpu)
        loaded = lb[0] > 0.5 or la[0] > own + 0.5
        w(f"- Load average (1, 5, 15 min) before the run: {lb[0]:.2f}, {lb[1]:.2f}, {lb[2]:.2f}; "
          f"after: {la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f} (the run itself adds up to about {own})."
          + ((" **The machine was shared with other work**; every engine ran at a higher "
              "priority than that work (below), which keeps it mostly off the cores, but expect "
              "some noise, p90 especially." if (meta.get("niceness") or 0) < 0 else
              " **The machine was loaded by other work: absolute figures are pessimistic and noisy "
              "(p90 especially), and as the engines ran one after another, a change in that load "
              "also moves the ratios.**") if loaded else " The machine was quiet."))
    if meta.get("niceness"):
        w(f"- Every engine ran at niceness {meta['niceness']} (`nice -n {meta['niceness']}`), "
          "ahead of the other work on the machine.")
    w(f"- Model: `{meta.get('model', '?')}` ({meta.get('model_desc', '')}), float32. Batch = "
      "samples (windows) per call; one call = one forward pass over the whole batch.")
    tinfo = next((r for r in infos if "torch" in r), None)
    oinfo = next((r for r in infos if "ort" in r), None)
    if tinfo:
        w(f"- PyTorch {tinfo['torch']} (Debian python3-torch), `dev/ptm_torch.py` loaded with the "
          f"same safetensors; eager and `torch.jit.trace` + `torch.jit.freeze`, under "
          f"`torch.inference_mode()`; `torch.set_num_threads(N)`, OMP/OPENBLAS_NUM_THREADS=N. "
          f"BLAS: {blas_note(tinfo.get('blas'))}.")
    if oinfo:
        w(f"- ONNX Runtime {oinfo['ort']} (npm onnxruntime-node, CPU execution provider, node "
          f"{oinfo.get('node')}): `torch.onnx.export`, opset {meta.get('opset', '?')}, dynamic "
          "batch axis; intraOpNumThreads N, interOpNumThreads 1, all graph optimisations; "
          "each call is an awaited `session.run` (includes node's binding overhead).")
    w(f"- Ours: `build/bench` (kernels: {meta.get('kernels') or '?'}), `--threads N`, "
      f"{meta.get('ours_seconds', '?')} s per configuration; PyTorch and ONNX Runtime "
      f"{meta.get('other_seconds', '?')} s per configuration, after a warm-up.")
    w("- With more than one thread PyTorch and ONNX Runtime ran twice, idle pool threads spinning "
      "(their default) and sleeping (OMP_WAIT_POLICY=PASSIVE; ORT allow_spinning=0); each row "
      "shows the faster, marked \"(passive)\" when that was the sleeping one. Ours always uses its "
      "own pool (spins briefly, then sleeps).")
    w("- Median and p90 of the wall time per call; samples/s = batch / median. "
      "**ours/other = our samples/s ÷ the other engine's samples/s** (= its median ÷ ours): "
      "above 1 means ours is faster.")
    w("")

    w("## Correctness (before timing)")
    w("")
    if checks:
        w("One window (the last context_length rows of the CSV, read by `build/patchtsmixer "
          "predict` and by numpy); PASS when max|other − ours| ≤ 1e-4 · (1 + max|ours|).")
        w("")
        w("| check | engine | max abs diff | allowed | result |")
        w("|---|---|---:|---:|---|")
        for c in checks:
            if c.get("status") == "SKIP":
                w(f"| {c['check']} | {c['engine']} | — | — | SKIP ({c.get('why', '')}) |")
            else:
                w(f"| {c['check']} | {c['engine']} | {c['max_abs_diff']:.3g} | {c['allowed']:.3g} | "
                  f"{c['status']} |")
    else:
        w("Not run.")
    w("")

    w("## Inference")
    w("")
    w("| engine | threads | batch | median ms | p90 ms | samples/s | ours/other |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    threads = sorted({r["threads"] for r in inf if r.get("model") == "common"})
    batches = sorted({r["batch"] for r in inf if r.get("model") == "common"})
    for t in threads:
        for b in batches:
            ours = get(inf, "ours", "common", t, b)
            for e in ENGINES:
                r = get(inf, e, "common", t, b)
                if not r:
                    continue
                ratio = ours["samples_per_s"] / r["samples_per_s"] if ours and e != "ours" else None
                w(f"| {name(r)} | {t} | {b} | {fmt_ms(r['median_ms'])} | {fmt_ms(r['p90_ms'])} | "
                  f"{r['samples_per_s']:.0f} | {fmt_ratio(ratio)} |")
    w("")

    # headline
    def best(engine, t):
        rs = [r for r in inf if r.get("engine") == engine and r.get("model") == "common" and r["threads"] == t]
        return max(rs, key=lambda r: r["samples_per_s"]) if rs else None

    lines = []
    if 1 in threads and 1 in batches:
        o = get(inf, "ours", "common", 1, 1)
        if o:
            parts = [f"ours {o['median_ms']:.3f} ms"]
            for e in ENGINES[1:]:
                r = get(inf, e, "common", 1, 1)
                if r:
                    parts.append(f"{NAMES[e]} {r['median_ms']:.3f} ms ({r['median_ms'] / o['median_ms']:.2f}×)")
            lines.append("- Batch-1 latency, one thread (median): " + "; ".join(parts) + ".")
    for t in threads:
        o = best("ours", t)
        if not o:
            continue
        parts = [f"ours {o['samples_per_s']:.0f} (batch {o['batch']})"]
        for e in ENGINES[1:]:
            r = best(e, t)
            if r:
                parts.append(f"{NAMES[e]} {r['samples_per_s']:.0f} (batch {r['batch']}; ours/other "
                             f"{o['samples_per_s'] / r['samples_per_s']:.2f}×)")
        lines.append(f"- Best throughput, {t} thread{'s' if t > 1 else ''}, samples/s: " + "; ".join(parts) + ".")
    if lines:
        w("Summary:")
        w("")
        L.extend(lines)
        w("")

    w("## Training")
    w("")
    if trn:
        w("Ours: `build/bench --train` (train-mode forward with dropout + MSE loss + backward; "
          "then the same followed by an AdamW step and the refresh of the transposed weights, as "
          "one step of our trainer). PyTorch: `model.train()`, the same loss and `backward()`, "
          "without and with `torch.optim.AdamW.step()`. ours/other compares each PyTorch row "
          "with our row of the same step.")
        w("")
        w("| engine | step | threads | batch | median ms | p90 ms | samples/s | ours/other |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        for t in sorted({r["threads"] for r in trn}):
            for b in sorted({r["batch"] for r in trn if r["threads"] == t}):
                rows = []
                for v in ("fwd+bwd", "fwd+bwd+adamw"):
                    # older runs of build/bench wrote no variant for fwd+bwd
                    ours = get(trn, "ours", "common", t, b, v) or (
                        get(trn, "ours", "common", t, b) if v == "fwd+bwd" else None)
                    if ours:
                        rows.append((ours, v, None))
                    r = get(trn, "torch-eager", "common", t, b, v)
                    if r:
                        rows.append((r, v, ours))
                for r, v, ours in rows:
                    ratio = ours["samples_per_s"] / r["samples_per_s"] if ours else None
                    w(f"| {name(r)} | {v} | {t} | {b} | {fmt_ms(r['median_ms'])} | "
                      f"{fmt_ms(r['p90_ms'])} | {r['samples_per_s']:.0f} | {fmt_ratio(ratio)} |")
    else:
        w("Not run.")
    w("")

    w("## mix_channel vs common_channel")
    w("")
    mix = [r for r in inf if r.get("model") == "mix"]
    if mix:
        w(f"{meta.get('mix_desc', 'A mix_channel variant of the model')}. Time per call of the "
          "mix_channel model ÷ that of the common_channel model at the same batch and thread "
          "count, per engine (the issue's target for ours: ≤ 1.5).")
        w("")
        w("| engine | threads | batch | common ms | mix ms | mix/common | mix samples/s | ours/other (mix) |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for t in sorted({r["threads"] for r in mix}):
            for b in sorted({r["batch"] for r in mix if r["threads"] == t}):
                om = get(mix, "ours", "mix", t, b)
                for e in ENGINES:
                    m = get(mix, e, "mix", t, b)
                    c = get(inf, e, "common", t, b)
                    if not m:
                        continue
                    ratio = om["samples_per_s"] / m["samples_per_s"] if om and e != "ours" else None
                    cms = fmt_ms(c["median_ms"]) if c else "—"
                    mc = f"{m['median_ms'] / c['median_ms']:.2f}" if c else "—"
                    w(f"| {name(m)} | {t} | {b} | {cms} | {fmt_ms(m['median_ms'])} | {mc} | "
                      f"{m['samples_per_s']:.0f} | {fmt_ratio(ratio)} |")
    else:
        w("Not run.")
    w("")
    if meta.get("notes"):
        w("## Notes")
        w("")
        for n in meta["notes"]:
            w(f"- {n}")
        w("")
    text = "\n".join(L)
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
