"""Markdown report of bench/compare/run.sh: reads the JSON lines the run collected and prints
(and with --out, writes) the tables. Standard library only. Helpers for run.sh:

  report.py RESULTS.jsonl [--out results.md]   the report
  report.py --desc CONFIG.json                 one line describing a model config
  report.py --checks CHECKS.jsonl              the correctness lines, for the terminal
  report.py --meta RESULTS.jsonl KEY=VALUE ... append a "meta" record (strings; JSON for the
                                               numeric and list keys in JSON_KEYS)
  report.py --preset RESULTS.jsonl KEY=VALUE ... append a "preset" record (name, desc, src)

Record kinds: "meta" (machine, date, command, ...), "preset" (a shape preset: name,
description, checkpoint), "check" (correctness; with threads and batch for the timed inputs),
"info" (engine versions), "infer" / "train" (timings: engine, model = the preset's name,
threads, batch, median_ms, p90_ms, samples_per_s, calls; ours also gflops and peak_gflops).
build/bench's own lines carry "mode" instead of "kind".
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
    if c.get("model_type") == "tinytimemixer":
        dec = (f"decoder {c.get('decoder_d_model', 8)} x {c.get('decoder_num_layers', 8)} layers "
               f"({c.get('decoder_mode', 'common_channel')})" if c.get("use_decoder", True) else "no decoder")
        return (f"TinyTimeMixer, context {L}, patch {P}/{S} ({n} patches), {c['num_input_channels']} channels, "
                f"d_model {c['d_model']}, {c.get('num_layers', 3)} layers x "
                f"{max(1, c.get('adaptive_patching_levels', 0))} adaptive levels, {dec}, "
                f"{c.get('mode', 'common_channel')}, scaling {c.get('scaling', 'std')}, "
                f"horizon {c.get('prediction_filter_length') or c['prediction_length']}")
    return (f"context {L}, patch {P}/{S} ({n} patches), {c['num_input_channels']} channels, "
            f"d_model {c['d_model']}, expansion {c.get('expansion_factor', 2)}, {c['num_layers']} layers, "
            f"{c.get('mode', 'common_channel')}, gated_attn {str(c.get('gated_attn', True)).lower()}, "
            f"{c.get('norm_mlp', 'LayerNorm')}, scaling {c.get('scaling', 'std')}, "
            f"horizon {c['prediction_length']}")


def print_checks(path):
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            where = f" ({r['threads']} thread(s), batch {r['batch']})" if r.get("threads") else ""
            if r["status"] == "SKIP":
                s = r.get("why", "")
            else:
                op = "<=" if r["status"] == "PASS" else ">"
                s = f"max|diff| {r['max_abs_diff']:.3g} {op} {r['allowed']:.3g}" + (
                    f" ({r['why']})" if r.get("why") else "")
            print(f"  {r['status']} {r['check']}{where}: {r['engine']} vs ours: {s}")


JSON_KEYS = {"niceness", "ncpu", "load_before", "load_after", "peak_gflops", "opset", "elapsed_s", "notes",
             "min_calls"}


def add_meta(path, pairs, kind="meta"):
    meta = {"kind": kind}
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


def read_records(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                r.setdefault("kind", r.get("mode"))
                recs.append(r)
    # PyTorch and ORT rows measured with both wait policies: keep the faster of each pair
    best = {}
    for r in recs:
        if r["kind"] in ("infer", "train"):
            k = (r["kind"], r.get("engine"), r.get("model"), r.get("threads"), r.get("batch"), r.get("variant"))
            if k not in best or r["median_ms"] < best[k]["median_ms"]:
                best[k] = r
    return [r for r in recs if r["kind"] not in ("infer", "train")] + list(best.values())


class Rows:
    """The timing rows, looked up by engine, preset, threads, batch (and training step)."""

    def __init__(self, recs, kind):
        self.rows = [r for r in recs if r["kind"] == kind]

    def get(self, engine, model, threads, batch, variant=None):
        for r in self.rows:
            if (r.get("engine") == engine and r.get("model") == model and r.get("threads") == threads
                    and r.get("batch") == batch and (variant is None or r.get("variant") == variant)):
                return r
        return None

    def keys(self, model):
        return sorted({(r["threads"], r["batch"]) for r in self.rows if r.get("model") == model})


def header(w, meta, infos):
    w("# PatchTSMixer and TinyTimeMixer on the CPU: ours vs PyTorch vs ONNX Runtime")
    w("")
    w("Generated by `bench/compare/run.sh` (do not edit by hand; rerun it).")
    w("")
    w(f"- Machine: {meta.get('cpu', '?')}, {meta.get('ncpu', '?')} CPUs; our kernels: "
      f"{meta.get('kernels') or '?'}"
      + (f"; measured FMA peak {meta['peak_gflops']:.1f} GFLOP/s on one core (build/bench, with the "
         "widest vectors those kernels use)" if meta.get("peak_gflops") else ""))
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
    w("- float32 everywhere. Batch = samples (windows) per call; one call = one forward pass over the "
      "whole batch.")
    tinfo = next((r for r in infos if "torch" in r), None)
    oinfo = next((r for r in infos if "ort" in r), None)
    if tinfo:
        w(f"- PyTorch {tinfo['torch']} (Debian python3-torch): `dev/ptm_torch.py` (PatchTSMixer) and "
          "`dev/ttm_torch.py` (TinyTimeMixer), loaded with the same safetensors; eager and "
          "`torch.jit.trace` + `torch.jit.freeze`, under `torch.inference_mode()`; "
          f"`torch.set_num_threads(N)`, OMP/OPENBLAS_NUM_THREADS=N. BLAS: {blas_note(tinfo.get('blas'))}.")
    if oinfo:
        w(f"- ONNX Runtime {oinfo['ort']} (npm onnxruntime-node, CPU execution provider, node "
          f"{oinfo.get('node')}): `torch.onnx.export` of the same module, opset {meta.get('opset', '?')}, "
          "dynamic batch axis; intraOpNumThreads N, interOpNumThreads 1, all graph optimisations; "
          "each call is an awaited `session.run` (includes node's binding overhead).")
    w(f"- Ours: `build/bench --threads N`. Every engine: a warm-up, then at least "
      f"{meta.get('min_calls', '?')} calls and {meta.get('ours_seconds', '?')} s (ours) / "
      f"{meta.get('other_seconds', '?')} s (PyTorch, ONNX Runtime) per configuration.")
    w("- With more than one thread PyTorch and ONNX Runtime ran twice, idle pool threads spinning "
      "(their default) and sleeping (OMP_WAIT_POLICY=PASSIVE; ORT allow_spinning=0); each row "
      "shows the faster, marked \"(passive)\" when that was the sleeping one. Ours always uses its "
      "own pool (spins briefly, then sleeps).")
    w("- Median and p90 of the wall time per call; samples/s = batch / median. "
      "**ours/other = our samples/s ÷ the other engine's samples/s** (= its median ÷ ours): "
      "above 1 means ours is faster. Our % of peak = our GFLOP/s (2 × multiply-adds per sample × "
      "samples/s) ÷ the measured FMA peak of the cores the threads use.")
    w("")


def presets_section(w, presets):
    w("## Presets")
    w("")
    w("| preset | model | checkpoint |")
    w("|---|---|---|")
    for p in presets:
        w(f"| {p['name']} | {p.get('desc', '')} | {p.get('src', '')} |")
    w("")


def summary_section(w, presets, inf):
    w("## Summary")
    w("")
    w("| preset | threads | batch | ours ms | ours % of peak | PyTorch ms (best of eager, TorchScript) | "
      "ONNX Runtime ms | ours/PyTorch | ours/ORT |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in presets:
        for t, b in inf.keys(p["name"]):
            o = inf.get("ours", p["name"], t, b)
            if not o:
                continue
            tr = [r for r in (inf.get("torch-eager", p["name"], t, b), inf.get("torch-script", p["name"], t, b)) if r]
            bt = min(tr, key=lambda r: r["median_ms"]) if tr else None
            ort = inf.get("ort", p["name"], t, b)
            pk = f"{100 * o['gflops'] / o['peak_gflops']:.0f} %" if o.get("peak_gflops") else "—"
            tms = (f"{fmt_ms(bt['median_ms'])} ({'TorchScript' if bt['engine'] == 'torch-script' else 'eager'}"
                   f"{', passive' if bt.get('wait') == 'passive' else ''})") if bt else "—"
            oms = (fmt_ms(ort["median_ms"]) + (" (passive)" if ort.get("wait") == "passive" else "")) if ort else "—"
            w(f"| {p['name']} | {t} | {b} | {fmt_ms(o['median_ms'])} | {pk} | {tms} | {oms} | "
              f"{fmt_ratio(bt['median_ms'] / o['median_ms'] if bt else None)} | "
              f"{fmt_ratio(ort['median_ms'] / o['median_ms'] if ort else None)} |")
    w("")


def checks_section(w, checks):
    w("## Correctness")
    w("")
    if not checks:
        w("Not run.")
        w("")
        return
    w("PASS when max|other − ours| ≤ 1e-4 · (1 + max|ours|). *Real window*: the last context_length "
      "rows of the CSV, read by `build/patchtsmixer predict` and by numpy. *Timed inputs*: the "
      "forecast of every input that was timed (each thread count and batch size; ours from "
      "`build/bench --dump`), one row per preset and engine with the worst configuration.")
    w("")
    w("| check | engine | configurations | worst max abs diff | allowed there | result |")
    w("|---|---|---:|---:|---:|---|")
    groups = {}
    for c in checks:
        label = c["check"] if not c.get("threads") else f"{c['check']}: timed inputs"
        groups.setdefault((label, c["engine"]), []).append(c)
    for (label, engine), cs in groups.items():
        worst = max(cs, key=lambda c: c.get("max_abs_diff", 0) / c["allowed"] if c.get("allowed") else 0)
        failed = [c for c in cs if c["status"] != "PASS"]
        where = ", ".join(f"{c['threads']}t b{c['batch']}" for c in failed if c.get("threads"))
        res = "PASS" if not failed else f"FAIL ({len(failed)} of {len(cs)}{': ' + where if where else ''})"
        w(f"| {label} | {engine} | {len(cs)} | {worst['max_abs_diff']:.3g} | {worst['allowed']:.3g} | {res} |")
    w("")


def detail_section(w, presets, inf):
    w("## Inference, every engine")
    w("")
    w("| preset | engine | threads | batch | median ms | p90 ms | samples/s | calls | ours/other |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for p in presets:
        for t, b in inf.keys(p["name"]):
            ours = inf.get("ours", p["name"], t, b)
            for e in ENGINES:
                r = inf.get(e, p["name"], t, b)
                if not r:
                    continue
                ratio = ours["samples_per_s"] / r["samples_per_s"] if ours and e != "ours" else None
                w(f"| {p['name']} | {name(r)} | {t} | {b} | {fmt_ms(r['median_ms'])} | {fmt_ms(r['p90_ms'])} | "
                  f"{r['samples_per_s']:.0f} | {r.get('calls', '—')} | {fmt_ratio(ratio)} |")
    w("")


def training_section(w, trn):
    w("## Training (seed)")
    w("")
    if not trn.rows:
        w("Not run (the seed preset with --train-batch > 0 times training).")
        w("")
        return
    w("Ours: `build/bench --train-only` (train-mode forward with dropout + MSE loss + backward; "
      "then the same followed by an AdamW step and the refresh of the transposed weights, as "
      "one step of our trainer). PyTorch: `model.train()`, the same loss and `backward()`, "
      "without and with `torch.optim.AdamW.step()`. ours/other compares each PyTorch row "
      "with our row of the same step.")
    w("")
    w("| engine | step | threads | batch | median ms | p90 ms | samples/s | ours % of peak | ours/other |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for t, b in trn.keys("seed"):
        for v in ("fwd+bwd", "fwd+bwd+adamw"):
            ours = trn.get("ours", "seed", t, b, v)
            for r in (ours, trn.get("torch-eager", "seed", t, b, v)):
                if not r:
                    continue
                mine = r is ours
                pk = f"{100 * r['gflops'] / r['peak_gflops']:.0f} %" if mine and r.get("peak_gflops") else ""
                ratio = ours["samples_per_s"] / r["samples_per_s"] if ours and not mine else None
                w(f"| {name(r)} | {v} | {t} | {b} | {fmt_ms(r['median_ms'])} | {fmt_ms(r['p90_ms'])} | "
                  f"{r['samples_per_s']:.0f} | {pk} | {fmt_ratio(ratio)} |")
    w("")


def mix_section(w, inf):
    w("## mix_channel vs common_channel")
    w("")
    keys = inf.keys("mix")
    if not keys:
        w("Not run (the mix preset).")
        w("")
        return
    w("Time per call of the mix preset (seed's config with mode mix_channel, random weights) ÷ that of "
      "seed (common_channel) at the same batch and thread count, per engine (— where seed did not run "
      "that batch).")
    w("")
    w("| engine | threads | batch | common ms | mix ms | mix/common | ours/other (mix) |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for t, b in keys:
        om = inf.get("ours", "mix", t, b)
        for e in ENGINES:
            m = inf.get(e, "mix", t, b)
            if not m:
                continue
            c = inf.get(e, "seed", t, b)
            ratio = om["samples_per_s"] / m["samples_per_s"] if om and e != "ours" else None
            cms = fmt_ms(c["median_ms"]) if c else "—"
            mc = f"{m['median_ms'] / c['median_ms']:.2f}" if c else "—"
            w(f"| {name(m)} | {t} | {b} | {cms} | {fmt_ms(m['median_ms'])} | {mc} | {fmt_ratio(ratio)} |")
    w("")


def report(path, out):
    recs = read_records(path)
    meta = {}
    for r in recs:
        if r["kind"] == "meta":
            meta.update(r)
    presets = [r for r in recs if r["kind"] == "preset"]
    infos = [r for r in recs if r["kind"] == "info"]
    checks = [r for r in recs if r["kind"] == "check"]
    inf, trn = Rows(recs, "infer"), Rows(recs, "train")
    L = []
    w = L.append
    header(w, meta, infos)
    summary_section(w, presets, inf)
    presets_section(w, presets)
    checks_section(w, checks)
    detail_section(w, presets, inf)
    training_section(w, trn)
    mix_section(w, inf)
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


def main():
    args = sys.argv[1:]
    if args and args[0] == "--desc":
        print(desc(args[1]))
        return
    if args and args[0] == "--checks":
        print_checks(args[1])
        return
    if args and args[0] in ("--meta", "--preset"):
        add_meta(args[1], args[2:], args[0][2:])
        return
    out = None
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    report(args[0], out)


if __name__ == "__main__":
    main()
