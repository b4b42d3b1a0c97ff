"""_stream.py - online forecasting from Python: the C library's streaming API (ptm_stream_*).

    s = model.stream()                       # a PatchTSMixerForPrediction
    s.push(row)                              # one observation [channels] or rows [n, channels]
    if s.rows >= model.config["context_length"]:
        s.forecast()                         # [prediction_length, forecast channels]

The stream keeps the last context_length rows in the C library and one batch-1 context; each
forecast is one forward over them, bit for bit what predict() / forecast() return for the same
window (the mean for distribution heads). A TinyTimeMixer stream takes the series' frequency
token and static categorical codes once, at creation, and any channel count the model allows:

    s = model.stream(freq_token=7, channels=1)           # an r2.1 prefix model, one series
"""
import ctypes

import numpy as np

from . import _capi as C
from ._errors import _check, _usage


class Stream:
    """A forecasting stream over one model (created by PatchTSMixer.stream()). Closing the
    model closes its streams; use one stream per thread."""

    def __init__(self, model, num_threads=None, freq_token=None, static_categorical_values=None,
                 channels=None):
        if model._m is None:
            _usage("the model was closed")
        p = C.ptm_stream_default_params()
        p.num_threads = model.num_threads if num_threads is None else int(num_threads)
        if freq_token is not None:
            p.freq_token = int(freq_token)
        codes = None
        if static_categorical_values is not None:
            codes = np.ascontiguousarray(np.asarray(static_categorical_values, dtype=np.int64)
                                         .reshape(-1))
            n = len(model.config.get("categorical_vocab_size_list") or [])
            if codes.shape != (n,):
                _usage("static_categorical_values has %d codes, the model has %d static "
                       "categorical variables" % (codes.size, n), "static_categorical_values")
            p.static_categorical_values = codes.ctypes.data_as(C.c_int64_p)  # copied by C
        if channels is not None:
            p.num_input_channels = int(channels)
        err = C.PtmError()
        h = ctypes.c_void_p()
        _check(C.ptm_stream_create(model._m, ctypes.byref(p), ctypes.byref(h), ctypes.byref(err)),
               err)
        self._s = h
        self._model = model  # the C stream reads the model: keep it alive as long as this
        cfg = model.config
        self.channels = int(channels) if channels else cfg["num_input_channels"]
        fixed = cfg.get("prediction_channel_indices")
        hf = cfg.get("prediction_filter_length") or cfg["prediction_length"]
        self._out_shape = (hf if model.model_type == "tinytimemixer" else cfg["prediction_length"],
                           cfg["num_prediction_channels"] if fixed or not channels
                           else self.channels)
        model._streams.add(self)

    def _handle(self):
        if self._s is None:
            _usage("the stream was closed")
        return self._s

    def push(self, rows, observed_mask=None):
        """Append observations: one row [channels] or rows [n, channels], oldest first.
        observed_mask: 1 observed / 0 missing, same shape; without it NaN / inf values are
        taken as missing (value 0, observed 0), as in predict(). Returns the stream."""
        s = self._handle()
        x = np.asarray(rows, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.channels:
            _usage("rows have shape %s, the stream expects [n, %d] (num_input_channels)" %
                   (list(np.shape(rows)), self.channels), "rows")
        m = None
        if observed_mask is not None:
            m = np.asarray(observed_mask, dtype=np.float32)
            if m.ndim == 1:
                m = m[None]
            if m.shape != x.shape:
                _usage("observed_mask has shape %s, rows %s" % (list(m.shape), list(x.shape)),
                       "observed_mask")
        elif not np.all(np.isfinite(x)):
            m = np.isfinite(x).astype(np.float32)
            x = np.where(m > 0, x, np.float32(0))
        pp = self._model.preprocessor
        if pp is not None:  # rows in the data's units -> the scaled values the model reads
            x = pp.transform(x, m)
        x = np.ascontiguousarray(x, dtype=np.float32)
        mp = None
        if m is not None:
            m = np.ascontiguousarray(m, dtype=np.float32)
            mp = m.ctypes.data_as(C.c_float_p)
        err = C.PtmError()
        _check(C.ptm_stream_push(s, x.ctypes.data_as(C.c_float_p), mp, x.shape[0],
                                 ctypes.byref(err)), err)
        return self

    @property
    def rows(self):
        """Rows pushed so far (ptm_stream_rows)."""
        return int(C.ptm_stream_rows(self._handle()))

    def forecast(self):
        """The next prediction_length steps after the last row pushed: a new array
        [prediction_length, forecast channels] (distribution heads: the mean), in the data's
        units when the model has a preprocessor (rows are scaled as they are pushed). Raises a
        PatchTSMixerError ("input") before context_length rows were pushed."""
        out = C.c_float_p()
        err = C.PtmError()
        _check(C.ptm_stream_forecast(self._handle(), ctypes.byref(out), ctypes.byref(err)), err)
        n = self._out_shape[0] * self._out_shape[1]
        y = np.ctypeslib.as_array(out, shape=(n,)).copy().reshape(self._out_shape)
        pp = self._model.preprocessor
        return y if pp is None else pp.inverse(y, self._model._forecast_channels())

    def close(self):
        """Free the C stream now (also done when the object is collected or the model closed)."""
        if getattr(self, "_s", None):
            C.ptm_stream_free(self._s)
            self._s = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown may have torn down ctypes
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
