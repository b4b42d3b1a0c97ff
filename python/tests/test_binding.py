"""test_binding.py - tests of the Python binding (python/patchtsmixer) against the C API.

    /usr/bin/python3 python/tests/test_binding.py BUILD_DIR

BUILD_DIR holds python_layout and python_capi_reference, built from layout.c and
capi_reference.c by tests/test_python.sh, which runs this file. Checks: the ctypes struct
mirrors have the C layout; for every golden case the binding returns bit for bit what the C
API returns (every output, seeded samples and quantiles of distribution heads) and agrees with
Hugging Face's expected tensors within the case tolerance; errors raise PatchTSMixerError with
the library's message; CSV reading, save_pretrained round trip, chunked batches, NaN as
missing, the streaming API, training from a CSV and from an array; long-format training
(test_long_binding.py); TinyTimeMixer models (test_ttm_binding.py). Prints "N passed, M failed".
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import patchtsmixer as ptm  # noqa: E402
from patchtsmixer import _capi  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
GOLDEN = os.path.join(ROOT, "tests", "golden")
TMP = tempfile.mkdtemp(prefix="ptm_pytest_")


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "I64": np.int64}[t["dtype"]]
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(buf[8 + n + b:8 + n + e], dtype=dt).reshape(t["shape"])
    return out


def cases():
    return sorted(d for d in os.listdir(GOLDEN)
                  if os.path.isfile(os.path.join(GOLDEN, d, "config.json")))


def c_reference(case_dir, past, mask, samples=0, seed=0):
    """Run capi_reference; returns ({name: array}, samples, quantiles)."""
    out = tempfile.mkdtemp(dir=TMP)
    past_path = os.path.join(out, "past.in")
    np.ascontiguousarray(past, np.float32).tofile(past_path)
    mask_path = "-"
    if mask is not None:
        mask_path = os.path.join(out, "mask.in")
        np.ascontiguousarray(mask, np.float32).tofile(mask_path)
    cmd = [os.path.join(BUILD, "python_capi_reference"), case_dir, str(past.shape[0]), past_path,
           mask_path, out]
    if samples:
        cmd += [str(samples), str(seed)]
    subprocess.run(cmd, check=True)
    res = {}
    with open(os.path.join(out, "index.txt")) as f:
        for line in f:
            parts = line.split()
            shape = [int(x) for x in parts[1:]]
            res[parts[0]] = np.fromfile(os.path.join(out, parts[0] + ".f32"),
                                        dtype=np.float32).reshape(shape)
    smp = q = None
    if samples:
        smp = np.fromfile(os.path.join(out, "samples.f32"), dtype=np.float32)
        q = np.fromfile(os.path.join(out, "quantiles.f32"), dtype=np.float32)
    return res, smp, q


def bitwise_equal(a, b):
    a = np.ascontiguousarray(a, np.float32)
    b = np.ascontiguousarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def expect_error(fn, status, *fragments):
    try:
        fn()
    except ptm.PatchTSMixerError as e:
        assert e.status == status, "status %s, expected %s (%s)" % (e.status, status, e)
        for frag in fragments:
            assert frag in str(e), "message %r lacks %r" % (str(e), frag)
        return e
    raise AssertionError("no PatchTSMixerError raised")


# ---------------------------------------------------------------------------- tests


def test_struct_layout_matches_c():
    out = subprocess.run([os.path.join(BUILD, "python_layout")], check=True,
                         capture_output=True, text=True).stdout
    want = dict(line.split() for line in out.splitlines())
    bad = []
    for cname, cls in _capi.STRUCTS.items():
        if int(want[cname]) != ctypes_sizeof(cls):
            bad.append("sizeof(%s) C %s, ctypes %d" % (cname, want[cname], ctypes_sizeof(cls)))
        for f, _ in cls._fields_:
            off = getattr(cls, f).offset
            if int(want["%s.%s" % (cname, f)]) != off:
                bad.append("%s.%s at C %s, ctypes %d" % (cname, f, want[cname + "." + f], off))
    assert not bad, "; ".join(bad)


def ctypes_sizeof(cls):
    import ctypes
    return ctypes.sizeof(cls)


def test_version():
    assert ptm.version() == open(os.path.join(ROOT, "include", "patchtsmixer.h")).read().split(
        'PTM_VERSION_STRING "')[1].split('"')[0]


def test_golden_bitwise_equal_to_c_api_and_close_to_hf():
    checked = 0
    for name in cases():
        d = os.path.join(GOLDEN, name)
        inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
        exp = read_safetensors(os.path.join(d, "expected.safetensors"))
        tol = json.load(open(os.path.join(d, "case.json")))["tolerance"]["rel_tol"]
        past = inp["past_values"]
        mask = inp.get("observed_mask")
        model = ptm.PatchTSMixer.from_pretrained(d)
        got = model.predict(past, mask, output_hidden_states=True)
        ref, _, _ = c_reference(d, past, mask)
        assert set(ref) <= set(got), "%s: binding lacks %s" % (name, set(ref) - set(got))
        for k, v in ref.items():
            assert bitwise_equal(got[k], v), "%s: %s differs from the C API" % (name, k)
            # pretraining draws its own random mask, HF's differs: compare with the C API only
            if k in exp and k != "loss" and model.model_class != "PatchTSMixerForPretraining":
                e = exp[k].astype(np.float64)
                diff = np.max(np.abs(got[k] - e)) if e.size else 0.0
                lim = tol * (1 + (np.max(np.abs(e)) if e.size else 0.0))
                assert diff <= lim, "%s: %s differs from HF by %g > %g" % (name, k, diff, lim)
            checked += 1
        model.close()
    assert checked > 100, checked


def test_distribution_samples_and_quantiles_bitwise():
    n = 0
    for name in cases():
        d = os.path.join(GOLDEN, name)
        model = ptm.PatchTSMixer.from_pretrained(d)
        if model.config["loss"] != "nll" or model.model_class not in (
                "PatchTSMixerForPrediction", "PatchTSMixerForRegression"):
            continue
        inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
        past, mask = inp["past_values"], inp.get("observed_mask")
        _, smp, q = c_reference(d, past, mask, samples=40, seed=7)
        s = model.sample(past, num_samples=40, seed=7, observed_mask=mask)
        qq = model.quantiles(past, [0.1, 0.5, 0.9], num_samples=40, seed=7, observed_mask=mask)
        assert bitwise_equal(s.ravel(), smp), name + ": samples differ from the C API"
        assert bitwise_equal(qq.ravel(), q), name + ": quantiles differ from the C API"
        assert np.all(qq[:, 0] <= qq[:, 1]) and np.all(qq[:, 1] <= qq[:, 2]), name
        again = model.sample(past, num_samples=40, seed=7, observed_mask=mask)
        assert bitwise_equal(s, again), name + ": same seed, different samples"
        other = model.sample(past, num_samples=40, seed=8, observed_mask=mask)
        assert not bitwise_equal(s, other), name + ": seed ignored"
        gen = model.generate(past, observed_mask=mask, num_samples=40, seed=7)
        assert bitwise_equal(gen.sequences, s)
        # the HF-style output: prediction_outputs is the tuple of distribution parameters
        out = model.predict(past, mask)
        key = "prediction_outputs" if model.model_class.endswith("Prediction") else \
            "regression_outputs"
        assert isinstance(out[key], tuple) and len(out[key]) >= 2, name
        n += 1
    assert n >= 4, n


def test_classifier_probabilities():
    d = os.path.join(GOLDEN, "cls_maxpool_std")
    model = ptm.PatchTSMixer.from_pretrained(d)
    exp = read_safetensors(os.path.join(d, "expected.safetensors"))
    inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
    out = model.predict(inp["past_values"])
    p = out.probabilities
    assert p.shape == exp["prediction_outputs"].shape
    assert np.allclose(p.sum(axis=-1), 1.0)
    assert np.array_equal(out.predicted_class, np.argmax(exp["prediction_outputs"], axis=-1))


def test_regression_outputs():
    d = os.path.join(GOLDEN, "reg_maxpool_range_std")
    model = ptm.PatchTSMixer.from_pretrained(d)
    inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
    out = model.predict(inp["past_values"])
    assert out.regression_outputs.shape == (inp["past_values"].shape[0],
                                            model.config["num_targets"])


def test_errors_carry_the_library_message():
    d = os.path.join(GOLDEN, "fc_common_gated_ln_std")
    e = expect_error(lambda: ptm.PatchTSMixer.from_pretrained(os.path.join(TMP, "nothing")),
                     "io", "config.json", "cannot open")
    assert e.file.endswith("config.json") and e.code == 1
    bad = os.path.join(TMP, "bad_model")
    os.makedirs(bad)
    shutil.copy(os.path.join(d, "config.json"), bad)
    with open(os.path.join(bad, "model.safetensors"), "wb") as f:
        f.write(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    expect_error(lambda: ptm.PatchTSMixer.from_pretrained(bad), "tensor", "model.safetensors")
    # the memory cap: refused before allocating, accepted at the model's own size
    need = os.path.getsize(os.path.join(d, "model.safetensors"))
    expect_error(lambda: ptm.PatchTSMixer.from_pretrained(d, max_bytes=1), "limit", "max_bytes")
    ptm.PatchTSMixer.from_pretrained(d, max_bytes=64 * need).close()
    model = ptm.PatchTSMixer.from_pretrained(d)
    L, Cn = model.config["context_length"], model.config["num_input_channels"]
    expect_error(lambda: model.predict(np.zeros((2, L - 1, Cn))), "arg", "past_values",
                 "[batch, %d, %d]" % (L, Cn))
    expect_error(lambda: model.sample(np.zeros((1, L, Cn)), 10), "arg", "distribution head")
    expect_error(lambda: model.predict(np.zeros((1, L, Cn)), np.ones((1, L, Cn + 1))), "arg",
                 "observed_mask")
    expect_error(lambda: ptm.read_csv(os.path.join(TMP, "none.csv")), "io", "none.csv")
    assert isinstance(e, RuntimeError)


def test_nan_is_missing_and_batch_chunks():
    d = os.path.join(GOLDEN, "fc_predidx_observed_mask_std")
    model = ptm.PatchTSMixer.from_pretrained(d)
    inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
    past, mask = inp["past_values"], inp["observed_mask"]
    with_nan = np.where(mask > 0, past, np.nan)
    a = model.predict(past, mask).prediction_outputs
    b = model.predict(with_nan).prediction_outputs
    assert bitwise_equal(a, b)
    c = model.predict(past, mask, batch_size=1).prediction_outputs
    assert np.allclose(a, c, rtol=1e-6, atol=1e-6)
    one = model.predict(past[0], mask[0]).prediction_outputs  # a 2-D window is batch 1
    assert one.shape[0] == 1 and np.allclose(one[0], a[0], rtol=1e-6, atol=1e-6)
    out = model.predict(past, mask, output_hidden_states=True)
    assert len(out.hidden_states) == model.config["num_layers"]


def test_stream_forecasts_bitwise_equal_to_forecast():
    """Stream (ptm_stream_*): rows pushed one at a time or in blocks, across the ring's wrap,
    with NaN and an explicit mask, forecast bit for bit what forecast() gives for the window."""
    for name in ("fc_common_gated_ln_std", "fc_nll_normal_std", "fc_predidx_observed_mask_std"):
        d = os.path.join(GOLDEN, name)
        model = ptm.PatchTSMixer.from_pretrained(d)
        L = model.config["context_length"]
        inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
        past = inp["past_values"]
        mask = inp.get("observed_mask")
        series = np.concatenate([past[0], past[1]])  # 2L rows
        obs = np.ones_like(series) if mask is None else np.concatenate([mask[0], mask[1]])
        s = model.stream()
        s.push(series[:3], obs[:3])
        expect_error(s.forecast, "input", "3 rows pushed", str(L))
        for i in range(3, L):
            s.push(series[i], obs[i])
        assert s.rows == L
        want = model.forecast(series[None, :L], obs[None, :L])[0]
        got = s.forecast()
        assert got.shape == want.shape == (model.config["prediction_length"],
                                           model.config["num_prediction_channels"]), name
        assert bitwise_equal(got, want), name + ": stream differs from forecast()"
        k = L // 2 + 1  # the window now wraps around the ring
        s.push(series[L:L + k], obs[L:L + k])
        want = model.forecast(series[None, k:L + k], obs[None, k:L + k])[0]
        assert s.rows == L + k and bitwise_equal(s.forecast(), want), name + ": after wrap"
        # NaN is missing, as in predict()
        row = series[L + k].copy()
        row[0] = np.nan
        s.push(row)
        win = series[k + 1:L + k + 1].copy()
        win[-1, 0] = np.nan
        wm = np.concatenate([obs[k + 1:L + k], np.ones((1, series.shape[1]), np.float32)])
        wm[-1, 0] = 0
        want = model.forecast(np.where(np.isfinite(win), win, 0)[None], wm[None])[0]
        assert bitwise_equal(s.forecast(), want), name + ": NaN row"
        expect_error(lambda: s.push(np.zeros((2, series.shape[1] + 1))), "arg", "rows",
                     "num_input_channels")
        model.close()  # closes the stream with it
        expect_error(s.forecast, "arg", "stream was closed")
    cls = ptm.PatchTSMixer.from_pretrained(os.path.join(GOLDEN, "cls_maxpool_std"))
    expect_error(cls.stream, "arg", "PatchTSMixerForPrediction")


def test_num_parameters_counts_as_hugging_face():
    """num_parameters() is HF's count (every tensor of model.safetensors but the BatchNorm
    buffers, the frozen sincos position_enc included); only_trainable=True leaves it out."""
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    for name in cases():
        d = os.path.join(GOLDEN, name)
        t = read_safetensors(os.path.join(d, "model.safetensors"))
        hf = sum(v.size for k, v in t.items() if not k.endswith(buffers))
        model = ptm.PatchTSMixer.from_pretrained(d)
        frozen = sum(v.size for k, v in t.items() if k.endswith("position_enc")) \
            if model.config["positional_encoding_type"] == "sincos" else 0
        assert model.num_parameters() == hf, (name, model.num_parameters(), hf)
        assert model.num_parameters(only_trainable=True) == hf - frozen, name
        model.close()
    sincos = ptm.PatchTSMixer.from_pretrained(os.path.join(GOLDEN, "fc_common_selfattn4_pe_sincos"))
    assert (sincos.num_parameters(), sincos.num_parameters(only_trainable=True)) == (9192, 9064)


def test_read_csv_and_forecast_like_the_cli():
    d = os.path.join(GOLDEN, "fc_common_gated_ln_std")
    model = ptm.PatchTSMixer.from_pretrained(d)
    t = ptm.read_csv(os.path.join(ROOT, "tests", "data", "fc_past.csv"))
    assert t.columns == ["a", "b", "c"] and t.timestamps is not None
    v, m = t.window(model.config["context_length"])
    fc = model.forecast(v, m)[0]
    want = np.loadtxt(os.path.join(ROOT, "tests", "data", "fc_expected.csv"), delimiter=",",
                      skiprows=1, usecols=(1, 2, 3))
    assert np.max(np.abs(fc - want)) <= 1e-4 * 101


def test_save_pretrained_round_trip():
    d = os.path.join(GOLDEN, "fc_mix_bn_selfattn1_std")
    model = ptm.PatchTSMixer.from_pretrained(d)
    out_dir = os.path.join(TMP, "saved")
    model.save_pretrained(out_dir)
    with open(os.path.join(d, "config.json"), "rb") as a, \
            open(os.path.join(out_dir, "config.json"), "rb") as b:
        assert a.read() == b.read(), "config.json differs from the golden one"
    again = ptm.PatchTSMixer.from_pretrained(out_dir)
    inp = read_safetensors(os.path.join(d, "inputs.safetensors"))
    x = inp["past_values"]
    assert bitwise_equal(model.predict(x).prediction_outputs,
                         again.predict(x).prediction_outputs)


def synthetic_series(rows=400, channels=2):
    t = np.arange(rows, dtype=np.float64)
    cols = [np.sin(2 * np.pi * t / 24 + k) * (k + 1) + 0.01 * t for k in range(channels)]
    return np.stack(cols, axis=1)


CONFIG = {"context_length": 32, "prediction_length": 8, "patch_length": 8, "patch_stride": 8,
          "d_model": 8, "num_layers": 2, "expansion_factor": 2, "dropout": 0.1,
          "head_dropout": 0.1, "scaling": "std"}


def test_train_from_csv_path_and_array():
    data = synthetic_series()
    csv = os.path.join(TMP, "series.csv")
    with open(csv, "w") as f:
        f.write("date,x,y\n")
        for i, row in enumerate(data):
            f.write("2020-01-%02d %02d:00:00,%.6f,%.6f\n" % (1 + i // 24, i % 24, row[0], row[1]))
    lines = []
    r = ptm.train(csv, os.path.join(TMP, "run_csv"), config=CONFIG, epochs=3, batch_size=16,
                  seed=3, log=lines.append)
    assert [h[0] for h in r.history] == [1, 2, 3], r.history
    assert all(np.isfinite(h[1]) and np.isfinite(h[2]) for h in r.history)
    assert r.epochs_run == 3 and 1 <= r.best_epoch <= 3 and r.steps > 0
    # an MSE forecaster: the saved model's validation MSE is its best validation loss
    assert abs(r.val_mse - r.best_val) <= 1e-5 * r.best_val and r.val_mae > 0, (r.val_mse, r.best_val)
    assert any("epoch 1/3" in line for line in lines), lines
    assert r.model.model_class == "PatchTSMixerForPrediction"
    assert r.model.config["num_input_channels"] == 2
    v, m = ptm.read_csv(csv).window(32)
    assert r.model.forecast(v, m).shape == (1, 8, 2)
    # the same run from a numpy array and a config.json path gives the same losses
    cfg_path = os.path.join(TMP, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(CONFIG, f)
    r2 = ptm.train(data.astype(np.float32), os.path.join(TMP, "run_arr"), config=cfg_path,
                   epochs=3, batch_size=16, seed=3)
    assert len(r2.history) == 3
    assert np.allclose([h[1] for h in r.history], [h[1] for h in r2.history], rtol=1e-4)
    # a pandas-like DataFrame (pandas itself is not needed): written with to_csv, index left out
    class FakeIndex:
        inferred_type = "integer"
        name = None

    class FakeFrame:
        index = FakeIndex()

        def to_csv(self, path, index=True, index_label=None):
            assert index is False, "a non-datetime index must not become a channel"
            np.savetxt(path, data, delimiter=",", header="x,y", comments="", fmt="%.9g")

    r3 = ptm.train(FakeFrame(), os.path.join(TMP, "run_df"), config=CONFIG, epochs=3,
                   batch_size=16, seed=3)
    assert r3.model.config["num_input_channels"] == 2
    assert np.allclose([h[1] for h in r3.history], [h[1] for h in r2.history], rtol=1e-6)
    # columns= picks channels of a DataFrame too (the DataFrame branch once rebound the list
    # that keeps the struct's strings alive to a bool: AttributeError on 'append')
    r4 = ptm.train(FakeFrame(), os.path.join(TMP, "run_df_cols"), config=CONFIG, columns=["y"],
                   epochs=1, batch_size=16, seed=3)
    assert r4.model.config["num_input_channels"] == 1
    expect_error(lambda: ptm.train(csv, os.path.join(TMP, "run_bad"), config={"d_model": "x"},
                                   epochs=1), "config", "d_model")
    expect_error(lambda: ptm.train(csv, os.path.join(TMP, "run_bad"), task="dance"), "arg",
                 "task")


def test_forecast_dataframe():
    """forecast(DataFrame) gives a DataFrame: timestamps continuing the input's, columns named
    by channel (in the order the model was trained on, whatever the frame's), quantile columns
    for distribution heads; the numbers are forecast()'s on the arrays. Real pandas (CI
    installs python3-pandas)."""
    import pandas as pd
    data = synthetic_series(rows=300) * np.array([3.0, 0.2]) + np.array([100.0, -40.0])
    times = pd.date_range("2020-01-01", periods=300, freq="h")
    csv = os.path.join(TMP, "frame.csv")
    with open(csv, "w") as f:
        f.write("date,x,y\n")
        for t, row in zip(times, data):
            f.write("%s,%.6f,%.6f\n" % (t.strftime("%Y-%m-%d %H:%M:%S"), row[0], row[1]))
    run = os.path.join(TMP, "run_frame")
    ptm.train(csv, run, config=dict(CONFIG, loss="nll", distribution_output="normal"),
              columns=["y", "x"], epochs=1, batch_size=32, seed=5)
    m = ptm.PatchTSMixer.from_pretrained(run)
    frame = pd.DataFrame({"x": data[:, 0], "y": data[:, 1]}, index=times)
    got = m.forecast(frame)
    assert isinstance(got, pd.DataFrame) and list(got.columns) == ["y", "x"], got.columns
    assert got.index[0] == times[-1] + pd.Timedelta(hours=1) and len(got) == 8, got.index
    v, mk = ptm.read_csv(csv).window(32, columns=["y", "x"])
    assert np.allclose(got.to_numpy(dtype=np.float32), m.forecast(v, mk)[0], rtol=1e-4,
                       atol=1e-3)
    # a timestamp column instead of an index; quantile columns
    frame2 = pd.DataFrame({"date": times.strftime("%Y-%m-%d %H:%M:%S"), "y": data[:, 1],
                           "x": data[:, 0]})
    q = m.forecast(frame2, quantiles=[0.1, 0.9], num_samples=64, seed=3)
    assert list(q.columns) == ["y", "x", "y_q0.1", "x_q0.1", "y_q0.9", "x_q0.9"], q.columns
    assert q.index.name == "date" and q.index[0] == times[-1] + pd.Timedelta(hours=1)
    assert np.all(q["y_q0.1"].to_numpy() <= q["y_q0.9"].to_numpy())
    assert np.array_equal(q[["y", "x"]].to_numpy(dtype=np.float32), got.to_numpy(np.float32))
    expect_error(lambda: m.forecast(v, mk, quantiles=[0.5]), "arg", "quantiles")


def test_backtest_matches_the_cli():
    """model.backtest() is `patchtsmixer backtest`: the same per-series and overall metrics
    (the CLI's --json prints 9 digits), and a DataFrame with a DatetimeIndex gives the same as
    the CSV it came from."""
    model_dir = os.path.join(ROOT, "models", "etth1")
    data = os.path.join(ROOT, "data", "ETTh1.csv")
    cli = subprocess.run([os.path.join(BUILD, "patchtsmixer"), "backtest", model_dir, "--data",
                          data, "--season", "24", "--json"], check=True, capture_output=True,
                         text=True).stdout
    want = json.loads(cli)
    m = ptm.PatchTSMixer.from_pretrained(model_dir)
    r = m.backtest(data, season=24)
    assert isinstance(r, ptm.BacktestResult)
    for k in ("mse", "mae", "rmse", "mase", "smape", "mse_scaled", "mae_scaled"):
        assert abs(r.all[k] - want["all"][k]) <= 1e-7 * (1 + abs(want["all"][k])), k
    for srow in want["series"]:
        got = r.series[srow["unique_id"]]
        assert abs(got["mase"] - srow["mase"]) <= 1e-7 * (1 + abs(srow["mase"]))
        assert got["points"] == srow["points"]
    assert len(r.origins) == want["origins"] * len(want["series"])
    expect_error(lambda: m.backtest(data, stride=-3), "arg", "stride")
    if _have_pandas():
        import pandas as pd
        frame = pd.read_csv(data, parse_dates=["date"], index_col="date")
        # a DataFrame has no file name: the 70/10/20 split unless the rows are given
        r2 = m.backtest(frame, season=24, start=r.first_row, end=r.end_row)
        assert (r2.first_row, r2.end_row) == (r.first_row, r.end_row)
        assert abs(r2.all["mae"] - r.all["mae"]) <= 1e-6 * r.all["mae"]
        assert len(r.frame()) == len(r.origins)


def test_backtest_long_matches_the_cli():
    """model.backtest() on a long DataFrame (many series) is `patchtsmixer backtest` on the
    same long CSV: the same per-series metrics and windows, the short series skipped and
    named; other column names by argument."""
    import pandas as pd
    rs = np.random.RandomState(4)
    model_dir = os.path.join(ROOT, "tests", "golden", "fc_nll_normal_std")  # 3 ch, 48 -> 12
    rows = []
    for sid, n in (("a", 80), ("b", 75), ("short", 30)):
        t = pd.date_range("2024-01-01", periods=n, freq="h")
        x = rs.randn(n, 3).cumsum(axis=0)
        rows.append(pd.DataFrame({"unique_id": sid, "ds": t, "y": x[:, 0], "p": x[:, 1],
                                  "q": x[:, 2]}))
    frame = pd.concat(rows, ignore_index=True)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "long.csv")
        frame.to_csv(path, index=False)
        cli = subprocess.run([os.path.join(BUILD, "patchtsmixer"), "backtest", model_dir,
                              "--data", path, "--windows", "3", "--stride", "5", "--json"],
                             check=True, capture_output=True, text=True).stdout
    want = json.loads(cli)
    m = ptm.PatchTSMixer.from_pretrained(model_dir)
    r = m.backtest(frame, windows=3, stride=5)
    assert sorted(r.series) == ["a", "b"] and list(r.skipped) == ["short"], r.skipped
    for srow in want["series"]:
        got = r.series[srow["unique_id"]]
        for k in ("mse", "mae", "mase", "crps", "coverage_80"):
            assert abs(got[k] - srow[k]) <= 1e-6 * (1 + abs(srow[k])), (k, got[k], srow[k])
    assert len(r.origins) == 6 and r.origins[0]["window"] == 1
    assert r.origins[0]["cutoff"] == str(frame["ds"][79 - 12 - 10])
    renamed = frame.rename(columns={"unique_id": "sid", "ds": "when", "y": "target"})
    r2 = m.backtest(renamed, windows=3, stride=5, id_col="sid", time_col="when",
                    target_col="target")
    assert r2.series["a"]["mse"] == r.series["a"]["mse"]
    expect_error(lambda: m.backtest(frame, split="val"), "arg", "split")


def test_forecast_long_matches_the_cli():
    """A long DataFrame (unique_id, ds, y) forecast from Python is what `patchtsmixer predict`
    writes for the same long CSV: the same series, time stamps and values; a series too short
    is skipped and named."""
    import pandas as pd
    rs = np.random.RandomState(1)
    one = os.path.join(TMP, "one.csv")
    t = np.arange(300)
    with open(one, "w") as f:
        f.write("date,y\n")
        for i in t:
            f.write("2021-01-%02d %02d:00:00,%.5f\n" % (1 + i // 24, i % 24,
                                                      np.sin(i / 4.0) + 0.01 * i))
    run = os.path.join(TMP, "run_one")
    ptm.train(one, run, config=CONFIG, epochs=1, batch_size=32, seed=2)
    m = ptm.PatchTSMixer.from_pretrained(run)
    rows = []
    for uid, n in (("A", 60), ("B", 45), ("C", 10)):
        for i in range(n):
            rows.append((uid, pd.Timestamp("2021-02-01") + pd.Timedelta(hours=i),
                         round(float(np.sin(i / 3.0) + rs.randn() * 0.1), 5)))
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    long_csv = os.path.join(TMP, "long.csv")
    frame.to_csv(long_csv, index=False, date_format="%Y-%m-%d %H:%M:%S")
    got = m.forecast(frame)
    assert list(got.columns) == ["unique_id", "ds", "PatchTSMixer"], got.columns
    assert list(got["unique_id"].unique()) == ["A", "B"] and "C" in got.attrs["skipped"]
    cli = subprocess.run([os.path.join(BUILD, "patchtsmixer"), "predict", run, "--input",
                          long_csv], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    want = pd.read_csv(io.StringIO(cli.stdout), parse_dates=["ds"])
    assert len(want) == len(got) and list(want["unique_id"]) == list(got["unique_id"])
    assert (pd.to_datetime(got["ds"]).to_numpy() == want["ds"].to_numpy()).all()
    assert np.allclose(got["PatchTSMixer"], want["PatchTSMixer"], rtol=1e-5, atol=1e-5)


def test_class_names():
    """A classifier whose config.json has Hugging Face's id2label names its predictions."""
    src = os.path.join(GOLDEN, "cls_maxpool_std")
    out = os.path.join(TMP, "cls_named")
    shutil.copytree(src, out)
    cfg = json.load(open(os.path.join(out, "config.json")))
    n = cfg["num_targets"]
    cfg["id2label"] = {str(i): "class_%c" % (97 + i) for i in range(n)}
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"))
    m = ptm.PatchTSMixer.from_pretrained(out)
    assert m.config["id2label"] == {i: "class_%c" % (97 + i) for i in range(n)}
    x = np.random.RandomState(0).randn(3, m.config["context_length"],
                                       m.config["num_input_channels"])
    o = m.predict(x)
    assert o.predicted_label == [m.config["id2label"][int(k)] for k in o.predicted_class]
    assert ptm.PatchTSMixer.from_pretrained(src).config["id2label"] is None


def test_preprocessor_applied():
    """A model trained on scaled data (`train` saves preprocessor_config.json) reads values in
    the data's units and returns forecasts in them: forecast(), sample(), quantiles(), streams
    and DataFrames (columns by name) all give what scaling by hand gives."""
    data = synthetic_series(rows=300) * np.array([3.0, 0.2]) + np.array([100.0, -40.0])
    csv = os.path.join(TMP, "levels.csv")
    with open(csv, "w") as f:
        f.write("date,x,y\n")
        for i, row in enumerate(data):
            f.write("2020-01-%02d %02d:00:00,%.6f,%.6f\n" % (1 + i // 24, i % 24, row[0], row[1]))
    out = os.path.join(TMP, "run_pp")
    ptm.train(csv, out, config=dict(CONFIG, scaling="none", loss="nll",
                                    distribution_output="normal"),
              columns=["y", "x"], epochs=1, batch_size=32, seed=5)
    m = ptm.PatchTSMixer.from_pretrained(out)
    pp = m.preprocessor
    assert pp is not None and pp.columns == ["y", "x"] and pp.targets == [True, True]
    assert pp.timestamp_column == "date" and pp.time_step == 3600, pp
    table = ptm.read_csv(csv)
    raw, mask = table.window(32, columns=["y", "x"])
    assert pp.mean.shape == (2,) and pp.scale.shape == (2,)
    by_hand = ((raw.astype(np.float64) - pp.mean) / pp.scale).astype(np.float32)
    want = m.forecast(by_hand, mask, preprocess=False).astype(np.float64) * pp.scale + pp.mean
    got = m.forecast(raw, mask)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-4), (got, want)
    assert not np.allclose(got, m.forecast(raw, mask, preprocess=False), rtol=1e-2)
    # samples and quantiles come back in the data's units as well
    s = m.sample(raw, num_samples=50, seed=2)
    s_hand = m.sample(by_hand, num_samples=50, seed=2, preprocess=False) * pp.scale + pp.mean
    assert np.allclose(s, s_hand, rtol=1e-5, atol=1e-4)
    q = m.quantiles(raw, [0.5], num_samples=50, seed=2)
    assert q.shape == (1, 1, 8, 2) and np.all(np.abs(q[0, 0] - got[0]) < 5 * pp.scale)
    # a DataFrame: columns picked by name, whatever their order; a missing one is named
    import pandas as pd
    frame = pd.DataFrame(data[-40:], columns=["x", "y"])
    table = ptm.read_csv(csv)
    frame32 = pd.DataFrame(table.values[-40:], columns=table.columns)  # the CSV's own values
    assert np.array_equal(m.forecast(frame32)[["y", "x"]].to_numpy(dtype=np.float32), got[0])
    assert np.allclose(m.forecast(frame).to_numpy(dtype=np.float32), got[0], rtol=1e-4,
                       atol=1e-3)
    expect_error(lambda: m.forecast(pd.DataFrame(data[-40:, :1], columns=["x"])), "arg",
                 "no column 'y'", "trained on the columns y,x")
    # a stream reads rows in the data's units too: the same forecast as forecast()
    st = m.stream()
    st.push(raw[0])
    assert np.array_equal(st.forecast(), got[0])
    st.close()
    # a hostile preprocessor file is refused when the model is loaded
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        f.write('{"preprocessor_type": "PatchTSMixerPreprocessor", "format_version": 1, '
                '"columns": ["y"], "target_columns": ["y"], "covariate_columns": [], "typo": 1}')
    expect_error(lambda: ptm.PatchTSMixer.from_pretrained(out), "config", "typo", "unknown key")


def test_trained_checkpoint_has_the_hf_format():
    """A checkpoint trained here has what save_pretrained writes: the golden config.json key
    set with the same JSON types, architectures, and F32 tensors (I64 num_batches_tracked)
    under Hugging Face's names with the shapes the config implies (docs/interop.md)."""
    data = synthetic_series(rows=300, channels=3)
    out = os.path.join(TMP, "run_hf")
    for norm in ("LayerNorm", "BatchNorm"):
        cfg = dict(CONFIG, norm_mlp=norm, mode="mix_channel", gated_attn=True)
        ptm.train(data, out, config=cfg, epochs=1, batch_size=32, seed=1)
        got = json.load(open(os.path.join(out, "config.json")))
        ref = json.load(open(os.path.join(GOLDEN, "fc_common_gated_ln_std", "config.json")))
        assert set(got) == set(ref), "config.json keys differ: %s" % (set(got) ^ set(ref))

        def jtype(v):
            return "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else \
                type(v).__name__

        for k in ref:
            if ref[k] is not None and got[k] is not None:
                assert jtype(got[k]) == jtype(ref[k]), "%s: %r vs golden %r" % (k, got[k], ref[k])
        assert got["architectures"] == ["PatchTSMixerForPrediction"]
        assert got["num_input_channels"] == 3 and got["norm_mlp"] == norm
        with open(os.path.join(out, "model.safetensors"), "rb") as f:
            buf = f.read()
        (n,) = struct.unpack("<Q", buf[:8])
        assert (8 + n) % 8 == 0
        header = json.loads(buf[8:8 + n])
        assert header.pop("__metadata__") == {"format": "pt"}
        for name, t in header.items():
            want = "I64" if name.endswith("num_batches_tracked") else "F32"
            assert t["dtype"] == want, (name, t["dtype"])
        assert "head.base_forecast_block.weight" in header
        assert header["model.encoder.patcher.weight"]["shape"] == [CONFIG["d_model"],
                                                            CONFIG["patch_length"]]
        has_bn = any(k.endswith("running_mean") for k in header)
        assert has_bn == (norm == "BatchNorm"), norm
        # every parameter is there once: the strict loader accepts it and the counts agree
        m = ptm.PatchTSMixer.from_pretrained(out)
        assert m.num_parameters() == sum(
            int(np.prod(t["shape"])) for k, t in header.items()
            if not (k.endswith("running_mean") or k.endswith("running_var")
                    or k.endswith("num_batches_tracked")))


def _have_pandas():
    try:
        import pandas  # noqa: F401
        return True
    except ImportError:
        return False


NEEDS_PANDAS = {"test_forecast_dataframe", "test_forecast_long_matches_the_cli",
                "test_preprocessor_applied", "test_train_long_frame",
                "test_fit_long_csv_other_names", "test_train_long_hostile"}


def main():
    import test_long_binding  # training on long-format data: its own file, run here
    import test_ttm_binding  # TinyTimeMixer models: their own file, run here
    found = dict(globals())
    found.update(vars(test_ttm_binding))
    found.update(vars(test_long_binding))
    tests = [(k, v) for k, v in sorted(found.items()) if k.startswith("test_") and callable(v)]
    passed = failed = 0
    if not _have_pandas():  # CI installs it (python3-pandas); not counted as passed
        print("SKIP %s: pandas not installed (apt-get install python3-pandas)"
              % ", ".join(sorted(NEEDS_PANDAS)))
        tests = [(k, v) for k, v in tests if k not in NEEDS_PANDAS]
    for name, fn in tests:
        try:
            fn()
            passed += 1
            print("ok   " + name)
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL " + name)
            traceback.print_exc(file=sys.stdout)
    shutil.rmtree(TMP, ignore_errors=True)
    print("python binding (%s): %d passed, %d failed" % (ptm.library_path(), passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
