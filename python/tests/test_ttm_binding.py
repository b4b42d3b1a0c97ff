"""test_ttm_binding.py - the Python binding on TinyTimeMixer models (tests/golden/ttm), run by
test_binding.py: for every case, PatchTSMixer.from_pretrained on its folder and predict() with
its inputs (a longer past, observed mask, freq_token, future_values,
static_categorical_values) return bit for bit what the C API returns (python_ttm_reference,
built from ttm_reference.c) and agree with granite-tsfm's expected tensors within the case
tolerance; a channel-independent checkpoint forecasts any number of channels.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import patchtsmixer as ptm

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TTM = os.path.join(ROOT, "tests", "golden", "ttm")


def _build():
    return sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")


def _read(path):
    with open(path, "rb") as f:
        buf = f.read()
    n = int.from_bytes(buf[:8], "little")
    out = {}
    for name, t in json.loads(buf[8:8 + n]).items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "I64": np.int64}[t["dtype"]]
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(buf[8 + n + b:8 + n + e], dtype=dt).reshape(t["shape"])
    return out


def _same_bits(a, b):
    a = np.ascontiguousarray(a, np.float32)
    b = np.ascontiguousarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def _c_reference(case_dir, past, mask=None, tok=None, fut=None, cat=None):
    """python_ttm_reference's outputs {name: array} for these inputs"""
    out = tempfile.mkdtemp(prefix="ptm_ttm_")

    def put(name, a, dt):
        if a is None:
            return "-"
        p = os.path.join(out, name)
        np.ascontiguousarray(a, dt).tofile(p)
        return p
    B, Lp, C = past.shape
    cmd = [os.path.join(_build(), "python_ttm_reference"), case_dir, str(B), str(Lp), str(C),
           put("past.in", past, np.float32), put("mask.in", mask, np.float32),
           put("tok.in", tok, np.int64), put("fut.in", fut, np.float32),
           put("cat.in", cat, np.int64), out]
    subprocess.run(cmd, check=True)
    res = {}
    with open(os.path.join(out, "index.txt")) as f:
        for line in f:
            parts = line.split()
            res[parts[0]] = np.fromfile(os.path.join(out, parts[0] + ".f32"),
                                        dtype=np.float32).reshape([int(x) for x in parts[1:]])
    return res


def test_ttm_golden_bitwise_equal_to_c_api_and_close_to_granite_tsfm():
    checked = 0
    for name in sorted(os.listdir(TTM)):
        d = os.path.join(TTM, name)
        if not os.path.isfile(os.path.join(d, "config.json")):
            continue
        inp = _read(os.path.join(d, "inputs.safetensors"))
        exp = _read(os.path.join(d, "expected.safetensors"))
        tol = json.load(open(os.path.join(d, "case.json")))["tolerance"]["rel_tol"]
        past, mask = inp["past_values"], inp.get("past_observed_mask")
        tok, fut = inp.get("freq_token"), inp.get("future_values")
        cat = inp.get("static_categorical_values")
        model = ptm.PatchTSMixer.from_pretrained(d)
        assert model.model_type == "tinytimemixer" and \
            model.model_class.startswith("TinyTimeMixer"), (name, model.model_class)
        got = model.predict(past, mask, output_hidden_states=True, freq_token=tok,
                            future_values=fut, static_categorical_values=cat)
        ref = _c_reference(d, past, mask, tok, fut, cat)
        assert set(ref) <= set(got), "%s: binding lacks %s" % (name, set(ref) - set(got))
        for k, v in ref.items():
            assert _same_bits(got[k], v), "%s: %s differs from the C API" % (name, k)
            if k in exp and k != "loss":
                e = exp[k].astype(np.float64)
                lim = tol * (1 + np.max(np.abs(e)))
                assert np.max(np.abs(got[k] - e)) <= lim, "%s: %s differs from granite-tsfm" \
                    % (name, k)
            checked += 1
        if model.model_class == "TinyTimeMixerForPrediction":
            f = model.forecast(past, mask, freq_token=tok, future_values=fut,
                               static_categorical_values=cat)
            assert _same_bits(f, ref["prediction_outputs"]), name
        model.close()
    assert checked > 200, checked


def test_ttm_any_channel_count_and_its_errors():
    d = os.path.join(TTM, "r2_512_96_7ch")
    past = _read(os.path.join(d, "inputs.safetensors"))["past_values"]
    model = ptm.PatchTSMixer.from_pretrained(d)
    assert model.config["adaptive_patching_levels"] == 3 and \
        model.config["decoder_mode"] == "common_channel", model.config
    full = model.forecast(past)
    for cols in ([3], [6, 0, 2]):
        sub = np.ascontiguousarray(past[:, :, cols])
        f = model.forecast(sub)
        assert _same_bits(f, full[:, :, cols]), cols
        assert _same_bits(f, _c_reference(d, sub)["prediction_outputs"]), cols
    model.close()
    model = ptm.PatchTSMixer.from_pretrained(os.path.join(TTM, "grad_apl2_mixdec_bn"))
    try:
        model.forecast(np.zeros((1, 40, 2), np.float32))
        raise AssertionError("a channel-mixing decoder took 2 channels")
    except ptm.PatchTSMixerError as e:
        assert "this model takes exactly 3 channels, not 2: its decoder mixes channels" in str(e)
    model.close()
    model = ptm.PatchTSMixer.from_pretrained(os.path.join(TTM, "r21_52_16_ft_l1_prefix"))
    try:
        model.forecast(np.zeros((2, 52, 2), np.float32), freq_token=[1, 2, 3])
        raise AssertionError("three tokens for two samples")
    except ptm.PatchTSMixerError as e:
        assert "freq_token has shape [3], expected an int or [2]" in str(e), str(e)
    assert [ptm.frequency_token(x) for x in (60, 300, 3600, 86400, 604800, 7)] == [1, 3, 7, 8, 9, 0]
    f1 = model.forecast(np.ones((2, 52, 2), np.float32), freq_token=4)
    f2 = model.forecast(np.ones((2, 52, 2), np.float32), freq_token=[4, 4])
    assert _same_bits(f1, f2)
    model.close()


def test_ttm_streams_with_token_codes_and_channels():
    """model.stream(freq_token=, static_categorical_values=, channels=) forecasts bit for bit
    what forecast() gives for the same window; a missing token or codes is refused"""
    d = os.path.join(TTM, "r21_52_16_ft_l1_prefix")
    inp = _read(os.path.join(d, "inputs.safetensors"))
    past, tok = inp["past_values"], inp["freq_token"]
    model = ptm.PatchTSMixer.from_pretrained(d)
    for s in range(past.shape[0]):
        st = model.stream(freq_token=int(tok[s]))
        st.push(past[s])
        assert _same_bits(st.forecast(), model.forecast(past[s:s + 1], freq_token=tok[s])[0]), s
        st.close()
    st = model.stream(freq_token=7, channels=1)
    st.push(past[2][:, 1:])
    assert _same_bits(st.forecast(), model.forecast(past[2:3, :, 1:], freq_token=7)[0])
    st.close()
    try:
        model.stream()
        raise AssertionError("a prefix model streamed without a token")
    except ptm.PatchTSMixerError as e:
        assert "needs a frequency token: set ptm_stream_params.freq_token" in str(e), str(e)
    model.close()
    d = os.path.join(TTM, "categorical_static_mixdec")
    inp = _read(os.path.join(d, "inputs.safetensors"))
    past, cat = inp["past_values"], inp["static_categorical_values"]
    model = ptm.PatchTSMixer.from_pretrained(d)
    for s in range(past.shape[0]):
        st = model.stream(static_categorical_values=cat[s])
        st.push(past[s])
        want = model.forecast(past[s:s + 1], static_categorical_values=cat[s:s + 1])[0]
        assert _same_bits(st.forecast(), want), s
        st.close()
    try:
        model.stream(static_categorical_values=[1])
        raise AssertionError("one code for two variables")
    except ptm.PatchTSMixerError as e:
        assert "static_categorical_values has 1 codes, the model has 2" in str(e), str(e)
    model.close()
