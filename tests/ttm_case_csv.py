"""ttm_case_csv.py - one sample of a TinyTimeMixer golden case as the CSV files `patchtsmixer
predict` reads (standard library only; used by tests/test_ttm_cli.sh).

usage: python3 tests/ttm_case_csv.py CASE_DIR SAMPLE OUT_DIR [STEP_SECONDS]

Writes OUT_DIR/past.csv (past_values of the sample, columns c0..c{C-1}; with STEP_SECONDS a
leading 'date' column of timestamps that far apart; a case with static_categorical_values adds
columns cat0..cat{K-1} holding the sample's codes in every row), OUT_DIR/future.csv (future_values, every
channel, timestamps continuing), OUT_DIR/expected.csv (prediction_outputs of the sample) and
OUT_DIR/tol (the golden tolerance: rel_tol * (1 + max |prediction_outputs|)).
"""
import datetime
import json
import os
import struct
import sys


def tensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8 : 8 + n])
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        fmt = {"F32": "f", "I64": "q"}[t["dtype"]]
        out[name] = (t["shape"], struct.unpack("<%d%s" % ((b - a) // struct.calcsize(fmt), fmt), raw[8 + n + a : 8 + n + b]))
    return out


def rows(t, b):
    shape, v = t
    per = shape[1] * shape[2]
    flat = v[b * per : (b + 1) * per]
    return [flat[i * shape[2] : (i + 1) * shape[2]] for i in range(shape[1])]


def write(path, rs, names, t0, step):
    with open(path, "w") as f:
        f.write(",".join((["date"] if step else []) + names) + "\n")
        for i, r in enumerate(rs):
            cells = ["%.9g" % x for x in r]
            if step:
                ts = t0 + datetime.timedelta(seconds=step * i)
                cells.insert(0, ts.strftime("%Y-%m-%d %H:%M:%S"))
            f.write(",".join(cells) + "\n")


def main():
    case, b, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    step = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    os.makedirs(out, exist_ok=True)
    inp = tensors(os.path.join(case, "inputs.safetensors"))
    exp = tensors(os.path.join(case, "expected.safetensors"))
    rel = json.load(open(os.path.join(case, "case.json")))["tolerance"]["rel_tol"]
    past = rows(inp["past_values"], b)
    C = inp["past_values"][0][2]
    names = ["c%d" % j for j in range(C)]
    if "static_categorical_values" in inp:
        shape, v = inp["static_categorical_values"]
        codes = v[b * shape[1] : (b + 1) * shape[1]]
        names += ["cat%d" % k for k in range(shape[1])]
        past = [tuple(r) + tuple(codes) for r in past]
    t0 = datetime.datetime(2024, 1, 1)
    write(os.path.join(out, "past.csv"), past, names, t0, step)
    if "future_values" in inp:
        t1 = t0 + datetime.timedelta(seconds=step * len(past))
        write(os.path.join(out, "future.csv"), rows(inp["future_values"], b), names, t1, step)
    y = exp["prediction_outputs"]
    write(os.path.join(out, "expected.csv"), rows(y, b), ["y%d" % j for j in range(y[0][2])], t0, 0)
    with open(os.path.join(out, "tol"), "w") as f:
        f.write("%.9g\n" % (rel * (1 + max(abs(x) for x in y[1]))))


main()
