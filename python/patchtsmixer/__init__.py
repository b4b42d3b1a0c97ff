"""patchtsmixer - Python binding of the PatchTSMixer C library (ctypes; numpy in and out).

Mirrors the Hugging Face usage people know from `transformers`::

    import numpy as np
    from patchtsmixer import PatchTSMixer

    model = PatchTSMixer.from_pretrained("models/etth1")     # a save_pretrained folder
    past = np.random.randn(4, model.config["context_length"], model.config["num_input_channels"])
    out = model.predict(past)                # [batch, context, channels] -> outputs by HF name
    out.prediction_outputs                   # forecasters: [batch, prediction_length, channels]
    model.quantiles(past, [0.1, 0.5, 0.9], num_samples=200, seed=1)   # distribution heads
    s = model.stream(); s.push(rows); s.forecast()   # online: rows [n, channels] as they come
    model.sample(past, num_samples=100, seed=1)                       # [batch, samples, H, C]
    out.probabilities                        # classifiers: softmax of the logits
    out.regression_outputs                   # regressors

    from patchtsmixer import train
    result = train("data/ETTh1.csv", "runs/x", config={"context_length": 512, ...}, epochs=10)
    result.model.predict(...), result.history   # [(epoch, train_loss, val_loss), ...]
    train(long_frame, "runs/y", config=...)      # many series: unique_id, ds, y (+ covariates)

Every computation runs in the C library (build/libpatchtsmixer.so of this source tree, or an
installed libpatchtsmixer.so.0; $PATCHTSMIXER_LIB overrides); results are exactly the C API's.
Errors raise PatchTSMixerError carrying the library's message (file, field, what was found).
A model object holds one inference context: use one object per thread.
"""
import ctypes
import json
import os
import tempfile
import weakref

import numpy as np

from . import _capi as C
from ._errors import PatchTSMixerError, _check, _usage
from ._backtest import BacktestResult
from ._backtest import backtest as _backtest
from ._frames import forecast_frame, forecast_long, is_frame, is_long, long_names
from ._preprocess import Preprocessor, frame_window
from ._stream import Stream
from ._train import TrainResult, fit, train

__all__ = ["BacktestResult", "PatchTSMixer", "PatchTSMixerError", "PatchTSMixerOutput",
           "Preprocessor", "Stream",
           "TrainResult", "train", "fit", "read_csv", "version", "library_path",
           "frequency_token"]


def version():
    """The version of the loaded C library (ptm_version())."""
    return C.ptm_version().decode()


def frequency_token(step_seconds):
    """TinyTimeMixer's frequency token (predict's freq_token) of a time step in seconds, by
    granite-tsfm's DEFAULT_FREQUENCY_MAPPING (3600 -> 7, 86400 -> 8, ...; others 0, "oov")."""
    return int(C.ptm_frequency_token(int(step_seconds)))


def library_path():
    """The shared library this package loaded."""
    return C.lib_path


def _path_bytes(p):
    return os.fsencode(os.fspath(p))


class PatchTSMixerOutput(dict):
    """The outputs of one forward pass by their Hugging Face names, as numpy arrays; also
    readable as attributes (out.prediction_outputs). Distribution heads: prediction_outputs
    (regression_outputs) is the tuple of distribution parameters, as in Hugging Face, and
    distribution_mean the point forecast. Classifiers also get probabilities (softmax of the
    logits) and predicted_class."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _view_to_array(v):
    shape = tuple(int(v.shape[i]) for i in range(v.ndim))
    n = int(np.prod(shape)) if shape else 1
    if n == 0 or not v.data:
        return np.zeros(shape, dtype=np.float32)
    flat = np.ctypeslib.as_array(v.data, shape=(n,)).copy()
    return flat.reshape(shape)


_ENUMS = {
    "mode": ["common_channel", "mix_channel"],
    "norm_mlp": ["LayerNorm", "BatchNorm"],
    "scaling": [None, "std", "mean"],
    "loss": ["mse", "nll", "mae", "pinball", "huber"],
    "distribution_output": ["student_t", "normal", "negative_binomial"],
    "head_aggregation": [None, "max_pool", "avg_pool", "use_last"],
    "positional_encoding_type": ["sincos", "random"],
    "mask_type": ["random", "forecast"],
}


_FORECASTERS = ("PatchTSMixerForPrediction", "TinyTimeMixerForPrediction")


def _ttm_fields(t):
    """TinyTimeMixerConfig's own fields (ptm_config.ttm) as config.json names them"""
    out = {}
    for name, _ in C.PtmTtmConfig._fields_:
        val = getattr(t, name)
        if name == "decoder_mode":
            val = _ENUMS["mode"][val]
        elif name in ("exogenous_channel_indices", "categorical_vocab_size_list"):
            n = t.num_exogenous_channels if name[0] == "e" else t.num_categorical
            val = [val[i] for i in range(n)] if val else None
        elif name in ("num_exogenous_channels", "num_categorical"):
            continue
        elif isinstance(val, float):
            val = float(str(np.float32(val)))
        out[name] = val
    for k in ("prediction_filter_length", "fcm_prepend_past_offset"):
        out[k] = out[k] or None
    return out


class PatchTSMixer:
    """A loaded checkpoint (any PatchTSMixer or TinyTimeMixer class) with one inference
    context."""

    def __init__(self, handle, path, num_threads=0):
        self._m = handle
        self._ctx = None
        self._ctx_batch = 0
        self._ctx_hidden = False
        self._ctx_channels = 0
        self._streams = weakref.WeakSet()
        self.num_threads = num_threads
        self.path = os.fspath(path)
        c = C.ptm_model_config(handle).contents
        cfg = {}
        for name, _ in C.PtmConfig._fields_:
            val = getattr(c, name)
            if name in _ENUMS:
                val = _ENUMS[name][val]
            elif name in ("gated_attn", "self_attn", "use_positional_encoding", "has_output_range",
                          "masked_loss", "channel_consistent_masking", "post_init",
                          "forecast_mask_patches_is_list"):
                val = bool(val)
            elif isinstance(val, float):
                val = float(str(np.float32(val)))  # 0.2, not 0.20000000298
            elif name in ("model_class", "family", "ttm"):
                continue
            cfg[name] = val
        #: "patchtsmixer" or "tinytimemixer" (config.json's model_type)
        self.model_type = "tinytimemixer" if c.family == 1 else "patchtsmixer"
        if c.family == 1:
            cfg.update(_ttm_fields(c.ttm))
        n = c.num_prediction_channels
        cfg["prediction_channel_indices"] = (
            [c.prediction_channel_indices[i] for i in range(n)]
            if c.prediction_channel_indices else None)
        cfg["output_range"] = list(c.output_range) if c.has_output_range else None
        cfg["num_forecast_mask_patches"] = [
            c.num_forecast_mask_patches[i] for i in range(c.num_forecast_mask_patches_count)
        ] if c.num_forecast_mask_patches else None
        cfg["unmasked_channel_indices"] = [
            c.unmasked_channel_indices[i] for i in range(c.num_unmasked_channels)
        ] if c.unmasked_channel_indices else None
        # class names as Hugging Face's config.id2label: {0: "walking", ...}
        cfg.pop("num_labels", None)
        cfg["id2label"] = {i: c.id2label[i].decode() for i in range(c.num_labels)} \
            if c.id2label else None
        #: the model's configuration (PatchTSMixerConfig's field names and values)
        self.config = cfg
        #: "PatchTSMixerForPrediction", "PatchTSMixerForTimeSeriesClassification", ...
        self.model_class = C.ptm_config_class_name(ctypes.byref(c)).decode()
        #: path/preprocessor_config.json (columns, scaler; see Preprocessor), or None
        self.preprocessor = Preprocessor.load(_path_bytes(path))
        if self.preprocessor and len(self.preprocessor.columns) != cfg["num_input_channels"]:
            _usage("preprocessor_config.json lists %d columns, config.json has %d channels"
                   % (len(self.preprocessor.columns), cfg["num_input_channels"]),
                   "preprocessor_config.json")

    # ------------------------------------------------------------------ life cycle

    @classmethod
    def from_pretrained(cls, path, num_threads=0, max_bytes=0):
        """Load path/config.json + path/model.safetensors (as save_pretrained writes them).
        num_threads: threads of the inference context (0 = the calling thread only).
        max_bytes: refuse (a "limit" error, before allocating) a model that would take more
        memory than this (0 = no limit; ptm_model_load_ex)."""
        err = C.PtmError()
        h = ctypes.c_void_p()
        lp = C.ptm_load_default_params()
        lp.max_bytes = int(max_bytes)
        _check(C.ptm_model_load_ex(_path_bytes(path), ctypes.byref(lp), ctypes.byref(h),
                                   ctypes.byref(err)), err)
        return cls(h, path, num_threads)

    def save_pretrained(self, path):
        """Write path/config.json + path/model.safetensors in Hugging Face's format."""
        err = C.PtmError()
        _check(C.ptm_model_save(self._m, _path_bytes(path), ctypes.byref(err)), err)

    def close(self):
        """Free the C model, its context and its streams now (also done when the object is
        collected)."""
        for s in list(getattr(self, "_streams", ())):
            s.close()
        if getattr(self, "_ctx", None):
            C.ptm_ctx_free(self._ctx)
            self._ctx = None
        if getattr(self, "_m", None):
            C.ptm_model_free(self._m)
            self._m = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown may have torn down ctypes
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        c = self.config
        return "<%s %s: context %d x %d channels, %d parameters>" % (
            self.model_class, self.path, c["context_length"], c["num_input_channels"],
            self.num_parameters())

    def stream(self, num_threads=None, freq_token=None, static_categorical_values=None,
               channels=None):
        """A Stream for online forecasting (forecasters only): push rows as they arrive, call
        forecast() once context_length rows were pushed (ptm_stream_*). num_threads defaults
        to the model's. TinyTimeMixer models: freq_token (an int, the prefix's token: see
        frequency_token()), static_categorical_values (the series' [n_cat] codes) and
        channels (values per row, where the model takes any count), given once here."""
        return Stream(self, num_threads, freq_token, static_categorical_values, channels)

    def num_parameters(self, only_trainable=False):
        """Parameters as Hugging Face's num_parameters() counts them: the trainable ones plus,
        with sincos positional encoding, the frozen positional table (num_patches x d_model,
        an nn.Parameter that is not trained); only_trainable=True leaves that table out."""
        n = int(C.ptm_model_num_params(self._m))
        c = self.config
        if not only_trainable and c["use_positional_encoding"] and \
                c["positional_encoding_type"] == "sincos":
            n += c["num_patches"] * c["d_model"]
        return n

    def macs_per_sample(self):
        """Multiply-adds of one forward pass for one window."""
        return int(C.ptm_model_macs_per_sample(self._m))

    # ------------------------------------------------------------------ inference

    def _context(self, batch, hidden, channels=0):
        if self._m is None:
            _usage("the model was closed")
        if self._ctx and self._ctx_batch >= batch and self._ctx_hidden == hidden and \
                self._ctx_channels == channels:
            return self._ctx
        if self._ctx:
            C.ptm_ctx_free(self._ctx)
            self._ctx = None
        p = C.ptm_ctx_default_params()
        p.max_batch = batch
        p.keep_hidden_states = 1 if hidden else 0
        p.num_threads = self.num_threads
        p.num_input_channels = channels
        err = C.PtmError()
        h = ctypes.c_void_p()
        _check(C.ptm_ctx_create(self._m, ctypes.byref(p), ctypes.byref(h), ctypes.byref(err)),
               err)
        self._ctx, self._ctx_batch, self._ctx_hidden = h, batch, hidden
        self._ctx_channels = channels
        return h

    def _inputs(self, past_values, observed_mask, preprocess=True):
        L = self.config["context_length"]
        Cn = self.config["num_input_channels"]
        pp = self.preprocessor if preprocess else None
        if hasattr(past_values, "iloc") and hasattr(past_values, "columns"):  # a DataFrame
            if observed_mask is not None:
                _usage("a DataFrame marks missing values with NaN: give no observed_mask",
                       "observed_mask")
            if pp:
                past_values, observed_mask = pp.select(past_values, L)
            else:
                past_values, observed_mask = frame_window(
                    past_values.select_dtypes("number"), L)
        x, m = self._arrays(past_values, observed_mask, L, Cn)
        return (pp.transform(x, m) if pp else x), m

    def _outputs(self, out, preprocess):
        """forecasts back to the data's units when the model has a scaler"""
        pp = self.preprocessor if preprocess else None
        if pp is None or self.model_class not in _FORECASTERS:
            return out
        for k in ("prediction_outputs", "distribution_mean"):
            if isinstance(out.get(k), np.ndarray):
                out[k] = pp.inverse(out[k], self._forecast_channels())
        return out

    def _forecast_channels(self):
        idx = self.config["prediction_channel_indices"]
        return idx if idx is not None else list(range(self.config["num_input_channels"]))

    def _arrays(self, past_values, observed_mask, L, Cn):
        x = np.asarray(past_values)
        if x.ndim == 2:
            x = x[None]
        ttm = self.model_type == "tinytimemixer"
        if ttm and x.ndim == 3 and x.shape[1] >= L and x.shape[2] >= 1:
            pass  # any longer past (its last L steps) and, when the model allows, any channels
        elif x.ndim != 3 or x.shape[1] != L or x.shape[2] != Cn:
            _usage("past_values has shape %s, the model expects [batch, %d, %d] "
                   "(context_length, num_input_channels)" % (list(np.shape(past_values)), L, Cn),
                   "past_values")
        if x.shape[0] < 1:
            _usage("past_values has an empty batch", "past_values")
        x = np.ascontiguousarray(x, dtype=np.float32)
        m = None
        if observed_mask is not None:
            m = np.asarray(observed_mask)
            if m.ndim == 2:
                m = m[None]
            if m.shape != x.shape:
                _usage("observed_mask has shape %s, past_values %s" % (list(m.shape),
                                                                       list(x.shape)),
                       "observed_mask")
            m = np.ascontiguousarray(m, dtype=np.float32)
        elif not np.all(np.isfinite(x)):
            # NaN / inf mark missing values, as pandas does: observed 0, value 0
            m = np.isfinite(x).astype(np.float32)
            x = np.where(m > 0, x, np.float32(0)).astype(np.float32)
        return x, m

    def _extras(self, B, Cn, freq_token, future_values, static_categorical_values):
        """TinyTimeMixer's inputs as contiguous arrays of the batch (None where not given)"""
        ex = {}
        if self.model_type != "tinytimemixer":
            if freq_token is not None or future_values is not None or \
                    static_categorical_values is not None:
                _usage("freq_token, future_values and static_categorical_values are for "
                       "TinyTimeMixer models")
            return ex
        if freq_token is not None:
            t = np.asarray(freq_token, dtype=np.int64)
            ex["freq_token"] = np.ascontiguousarray(np.broadcast_to(t, (B,)) if t.ndim == 0
                                                    else t)
            if ex["freq_token"].shape != (B,):
                _usage("freq_token has shape %s, expected an int or [%d]" % (list(t.shape), B),
                       "freq_token")
        if future_values is not None:
            f = np.asarray(future_values, dtype=np.float32)
            f = f[None] if f.ndim == 2 else f
            H = self.config["prediction_length"]
            if f.shape != (B, H, Cn):
                _usage("future_values has shape %s, expected [%d, %d, %d] (batch, "
                       "prediction_length, channels)" % (list(f.shape), B, H, Cn),
                       "future_values")
            ex["future_values"] = np.ascontiguousarray(f)
        if static_categorical_values is not None:
            k = np.asarray(static_categorical_values, dtype=np.int64)
            k = k[None] if k.ndim == 1 else k
            n = len(self.config["categorical_vocab_size_list"] or [])
            if k.shape != (B, n):
                _usage("static_categorical_values has shape %s, expected [%d, %d]"
                       % (list(k.shape), B, n), "static_categorical_values")
            ex["static_categorical_values"] = np.ascontiguousarray(k)
        return ex

    def _forward(self, x, m, hidden=False, ex=None):
        ttm = self.model_type == "tinytimemixer"
        ctx = self._context(x.shape[0], hidden, x.shape[2] if ttm else 0)
        inp = C.PtmInputs()
        inp.batch = x.shape[0]
        inp.past_values = x.ctypes.data_as(C.c_float_p)
        inp.past_length = x.shape[1]
        if m is not None:
            inp.observed_mask = m.ctypes.data_as(C.c_float_p)
        ex = ex or {}
        if "freq_token" in ex:
            inp.freq_token = ex["freq_token"].ctypes.data_as(C.c_int64_p)
        if "future_values" in ex:
            inp.future_values = ex["future_values"].ctypes.data_as(C.c_float_p)
        if "static_categorical_values" in ex:
            inp.static_categorical_values = \
                ex["static_categorical_values"].ctypes.data_as(C.c_int64_p)
        err = C.PtmError()
        _check(C.ptm_forward(ctx, ctypes.byref(inp), ctypes.byref(err)), err)
        return ctx

    def _collect(self, ctx):
        out = PatchTSMixerOutput()
        v = C.PtmTensorView()
        for i in range(C.ptm_ctx_num_outputs(ctx)):
            if C.ptm_ctx_output_at(ctx, i, ctypes.byref(v), None) == 0:
                out[v.name.decode()] = _view_to_array(v)
        for base in ("prediction_outputs", "regression_outputs"):
            parts = sorted((k for k in out if k.startswith(base + ".")),
                           key=lambda k: int(k.rsplit(".", 1)[1]))
            if parts and base not in out:
                out[base] = tuple(out[k] for k in parts)
        hs = sorted((k for k in out if k.startswith("hidden_states.")),
                    key=lambda k: int(k.rsplit(".", 1)[1]))
        if hs:
            out["hidden_states"] = tuple(out[k] for k in hs)
        if self.model_class == "PatchTSMixerForTimeSeriesClassification":
            logits = out["prediction_outputs"].astype(np.float64)
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            out["probabilities"] = e / e.sum(axis=-1, keepdims=True)
            out["predicted_class"] = np.argmax(logits, axis=-1)
            names = self.config.get("id2label")
            if names and len(names) == logits.shape[-1]:
                out["predicted_label"] = [names[int(k)] for k in out["predicted_class"]]
        return out

    def predict(self, past_values, observed_mask=None, output_hidden_states=False,
                batch_size=None, preprocess=True, freq_token=None, future_values=None,
                static_categorical_values=None):
        """One forward pass (eval mode) over past_values [batch, context_length, channels]
        (a 2-D array is one window, batch 1; a pandas DataFrame: its last context_length rows,
        the columns picked by name when the model has a preprocessor, else every numeric
        column). observed_mask: 1 observed / 0 missing, same shape; without it NaN / inf
        values are taken as missing. Returns a PatchTSMixerOutput with every output by its
        Hugging Face name. batch_size splits a large batch into calls of at most that many
        windows (default: one call). A model trained on scaled data (self.preprocessor with a
        scaler) reads past_values in the data's units and returns prediction_outputs /
        distribution_mean in them; preprocess=False feeds and returns the model's own space.
        TinyTimeMixer models (docs/ttm.md) also take a past longer than context_length (its
        last context_length steps are used), any number of channels when no layer mixes them,
        freq_token (an int or [batch] ints: the frequency token of the prefix patch),
        future_values [batch, prediction_length, channels] (the known future of the exogenous
        channels a forecast channel mixer reads; with the other channels a loss is computed)
        and static_categorical_values [batch, n_cat] ints."""
        out = self._predict(past_values, observed_mask, output_hidden_states, batch_size,
                            preprocess, freq_token, future_values, static_categorical_values)
        return self._outputs(out, preprocess)

    def _predict(self, past_values, observed_mask, output_hidden_states, batch_size,
                 preprocess, freq_token=None, future_values=None,
                 static_categorical_values=None):
        x, m = self._inputs(past_values, observed_mask, preprocess)
        B = x.shape[0]
        ex = self._extras(B, x.shape[2], freq_token, future_values, static_categorical_values)
        step = B if not batch_size else int(batch_size)
        parts = []
        for s in range(0, B, step):
            xs = np.ascontiguousarray(x[s:s + step])
            ms = None if m is None else np.ascontiguousarray(m[s:s + step])
            es = {k: np.ascontiguousarray(v[s:s + step]) for k, v in ex.items()}
            parts.append(self._collect(self._forward(xs, ms, output_hidden_states, es)))
        if len(parts) == 1:
            return parts[0]
        out = PatchTSMixerOutput()
        for k, v in parts[0].items():
            if isinstance(v, tuple):
                out[k] = tuple(np.concatenate([p[k][j] for p in parts]) for j in range(len(v)))
            else:
                out[k] = np.concatenate([p[k] for p in parts])
        return out

    __call__ = predict

    def forecast(self, past_values, observed_mask=None, preprocess=True, freq_token=None,
                 future_values=None, static_categorical_values=None, quantiles=None,
                 num_samples=100, seed=0):
        """The point forecast [batch, prediction_length (a TinyTimeMixer model's
        prediction_filter_length when set), forecast channels]: prediction_outputs, or
        distribution_mean for distribution heads (what `patchtsmixer predict` writes).
        TinyTimeMixer's inputs as for predict(). Given a pandas DataFrame (its last
        context_length rows), returns a DataFrame: the next time stamps as index (continuing a
        DatetimeIndex or the timestamp column), one column per forecast channel named as in the
        input and, with quantiles=[0.1, 0.9] (distribution heads), NAME_qQ columns from
        num_samples seeded paths."""
        if self.model_class not in _FORECASTERS:
            _usage("forecast() needs a PatchTSMixerForPrediction or TinyTimeMixerForPrediction, "
                   "this is a " + self.model_class)
        if is_long(past_values, *long_names(self)[:2]):  # many series: statsforecast's layout
            return forecast_long(self, past_values, num_samples=num_samples, seed=seed,
                                 levels=quantiles)
        out = self.predict(past_values, observed_mask, preprocess=preprocess,
                           freq_token=freq_token, future_values=future_values,
                           static_categorical_values=static_categorical_values)
        y = out["distribution_mean"] if self.config["loss"] == "nll" else \
            out["prediction_outputs"]
        if not is_frame(past_values):
            if quantiles is not None:
                _usage("quantiles= is for DataFrames; use quantiles() with arrays", "quantiles")
            return y
        qvals = None
        if quantiles is not None:
            qvals = self.quantiles(past_values, quantiles, num_samples=num_samples, seed=seed,
                                   preprocess=preprocess)
        return forecast_frame(self, past_values, y, quantiles, qvals)

    def forecast_long(self, frame, id_col=None, time_col=None, target_col=None,
                      levels=None, num_samples=200, seed=0, alias="PatchTSMixer"):
        """Many series in a long DataFrame (statsforecast's unique_id / ds / y layout; other
        names by argument, and a model trained on long data knows its own from its
        preprocessor): a DataFrame of unique_id, ds and the forecast (alias), with
        alias-lo-L / alias-hi-L interval columns for levels=[80, ...] (distribution heads),
        as `patchtsmixer predict` writes for a long file. forecast(frame) does the same for a
        frame with unique_id and ds columns (quantiles= then means levels)."""
        return forecast_long(self, frame, id_col, time_col, target_col, levels, num_samples,
                             seed, alias)

    def backtest(self, data, **options):
        """Rolling-origin evaluation (`patchtsmixer backtest`, ptm_backtest_file) of this
        forecaster on a CSV path or a DataFrame: options split ("test"), start / end (rows),
        stride (default prediction_length), season (MASE), num_samples, seed and quantiles
        (distribution heads: CRPS, interval coverage), columns. Long-format data (many series:
        unique_id, ds, y, covariates; other names by id_col / time_col / target_col): the
        last `windows` origins of each series (statsforecast's cross_validation). Returns a
        BacktestResult (.series, .all, .origins, .frame(), .skipped for long data). Reads the
        model from its folder (self.path)."""
        return _backtest(self.path, data, **options)

    def sample(self, past_values, num_samples=None, seed=0, observed_mask=None,
               preprocess=True):
        """Distribution heads (loss "nll"): num_samples seeded paths per window from the
        forecast distribution: [batch, num_samples, prediction_length, forecast channels]
        (regression: [batch, num_samples, num_targets]). num_samples defaults to the config's
        num_parallel_samples. The same seed gives the same paths."""
        if self.config["loss"] != "nll":
            _usage("sample() needs a distribution head (loss \"nll\"); this model's loss is " +
                   self.config["loss"], "loss")
        S = int(num_samples or self.config["num_parallel_samples"])
        if S < 1:
            _usage("num_samples must be >= 1", "num_samples")
        x, m = self._inputs(past_values, observed_mask, preprocess)
        ctx = self._forward(x, m)
        B = x.shape[0]
        if self.model_class == "PatchTSMixerForPrediction":
            per = (self.config["prediction_length"], self.config["num_prediction_channels"])
        else:
            per = (self.config["num_targets"],)
        out = np.empty((B, S) + per, dtype=np.float32)
        err = C.PtmError()
        _check(C.ptm_ctx_sample(ctx, S, ctypes.c_uint64(seed), out.ctypes.data_as(C.c_float_p),
                                out.size, ctypes.byref(err)), err)
        if preprocess and self.preprocessor and self.model_class == "PatchTSMixerForPrediction":
            out = self.preprocessor.inverse(out, self._forecast_channels())
        return out

    def generate(self, past_values, observed_mask=None, num_samples=None, seed=0):
        """Hugging Face's generate(): PatchTSMixerOutput with sequences = sample(...)."""
        return PatchTSMixerOutput(sequences=self.sample(past_values, num_samples, seed,
                                                        observed_mask))

    def quantiles(self, past_values, q=(0.1, 0.5, 0.9), num_samples=100, seed=0,
                  observed_mask=None, preprocess=True):
        """Quantiles of num_samples seeded paths (prediction intervals), computed by the C
        library's ptm_quantiles: [batch, len(q), prediction_length, channels] (regression:
        [batch, len(q), num_targets])."""
        qs = np.ascontiguousarray(np.atleast_1d(np.asarray(q, dtype=np.float32)))
        if qs.ndim != 1 or qs.size < 1 or np.any(qs < 0) or np.any(qs > 1):
            _usage("quantiles must be numbers in [0, 1]", "q")
        s = np.ascontiguousarray(self.sample(past_values, num_samples, seed, observed_mask,
                                             preprocess))
        B, S = s.shape[:2]
        per = s.shape[2:]
        M = int(np.prod(per))
        out = np.empty((B, qs.size) + per, dtype=np.float32)
        err = C.PtmError()
        _check(C.ptm_quantiles(s.ctypes.data_as(C.c_float_p), B, S, M,
                               qs.ctypes.data_as(C.c_float_p), qs.size,
                               out.ctypes.data_as(C.c_float_p), ctypes.byref(err)), err)
        return out


# ---------------------------------------------------------------------- CSV


class CsvTable:
    """A CSV read by the C library's reader (ptm_csv_load, as the CLI reads files):
    values [rows, columns] float32 (missing cells 0), observed [rows, columns] (1 / 0),
    columns (names), timestamps (strings of the leading time column, or None)."""

    def __init__(self, values, observed, columns, timestamps):
        self.values = values
        self.observed = observed
        self.columns = columns
        self.timestamps = timestamps

    def window(self, length, columns=None):
        """The last `length` rows of the chosen columns as ([1, length, C] values, mask)."""
        idx = list(range(len(self.columns))) if columns is None else \
            [self.columns.index(c) for c in columns]
        if length > self.values.shape[0]:
            _usage("%d rows, %d needed" % (self.values.shape[0], length))
        v = self.values[-length:, idx][None]
        m = self.observed[-length:, idx][None]
        return np.ascontiguousarray(v), np.ascontiguousarray(m)


def read_csv(path, delimiter=None):
    """Read a time-series CSV (header, optional timestamp column, delimiter detection, quoted
    fields, CRLF, NA cells) with the library's reader. Returns a CsvTable."""
    t = C.PtmCsv()
    err = C.PtmError()
    d = b"\0" if delimiter is None else (b"\t" if delimiter in ("tab", "\t") else
                                          delimiter.encode())
    _check(C.ptm_csv_load(_path_bytes(path), d, ctypes.byref(t), ctypes.byref(err)), err)
    try:
        n, k = int(t.nrows), int(t.ncols)
        if n * k:
            vals = np.ctypeslib.as_array(t.values, shape=(n * k,)).reshape(n, k).copy()
            obs = np.ctypeslib.as_array(t.observed, shape=(n * k,)).reshape(n, k).copy()
        else:
            vals = np.zeros((n, k), np.float32)
            obs = np.zeros((n, k), np.float32)
        cols = [t.colnames[j].decode() for j in range(k)]
        ts = [t.time_text[i].decode() for i in range(n)] if t.has_time and t.time_text else None
    finally:
        C.ptm_csv_free(ctypes.byref(t))
    return CsvTable(vals, obs, cols, ts)
