"""The preprocessing saved with a model (MODEL_DIR/preprocessor_config.json, written by
`patchtsmixer train` / `train()`; docs/preprocessor.md): read and checked by the C library
(ptm_preprocessor_load), applied here to numpy arrays and pandas DataFrames."""
import ctypes

import numpy as np

from . import _capi as C
from ._errors import _check, _usage


def _text(b):
    return None if b is None else b.decode()


class Preprocessor:
    """columns: the model's input columns in channel order; targets: which are forecast
    channels; mean / scale: the training split's standard scaler (None when the data were not
    scaled); timestamp_column, timestamp_format, time_step (seconds or None), training_data,
    training_command; id_column and target_column (with timestamp_column) when the model was
    trained on long-format data (else None)."""

    def __init__(self, pp):
        n = pp.ncols
        self.columns = [pp.columns[i].decode() for i in range(n)]
        self.targets = [bool(pp.is_target[i]) for i in range(n)]
        if pp.scaler.ncols:
            self.mean = np.array([pp.scaler.mean[i] for i in range(n)], dtype=np.float32)
            self.scale = np.array([pp.scaler.std[i] for i in range(n)], dtype=np.float32)
        else:
            self.mean = self.scale = None
        self.timestamp_column = _text(pp.timestamp_column)
        self.timestamp_format = _text(pp.timestamp_format)
        self.time_step = int(pp.time_step) or None
        self.training_data = _text(pp.training_data)
        self.training_command = _text(pp.training_command)
        # trained on long-format data: its id and target columns (time: timestamp_column)
        self.id_column = _text(pp.id_column)
        self.target_column = _text(pp.target_column)

    @classmethod
    def load(cls, path):
        """The preprocessor of the model folder path, or None when it has none."""
        pp = C.PtmPreprocessor()
        err = C.PtmError()
        _check(C.ptm_preprocessor_load(path, ctypes.byref(pp), ctypes.byref(err)), err)
        try:
            return cls(pp) if pp.present else None
        finally:
            C.ptm_preprocessor_free(ctypes.byref(pp))

    def __repr__(self):
        return "Preprocessor(columns=%r, scaled=%s)" % (self.columns, self.mean is not None)

    def transform(self, x, m):
        """x [B, L, C] in the data's units -> what the model reads: (x - mean) / scale where
        observed, 0 where missing (as the C library's ptm_scaler_transform)."""
        if self.mean is None:
            return x
        y = (x.astype(np.float64) - self.mean) / self.scale
        if m is not None:
            y = np.where(m > 0, y, 0.0)
        return np.ascontiguousarray(y, dtype=np.float32)

    def inverse(self, y, channels):
        """forecasts [..., len(channels)] back to the data's units: y * scale + mean of each
        forecast channel (channels: indices into columns)."""
        if self.mean is None:
            return y
        idx = np.asarray(channels)
        return (y.astype(np.float64) * self.scale[idx] + self.mean[idx]).astype(np.float32)

    def select(self, frame, length):
        """The last `length` rows of a DataFrame's columns, by name, in channel order:
        ([L, C] values, [L, C] observed mask) with NaN as missing."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            _usage("the DataFrame has no column %r: the model was trained on the columns %s"
                   % (missing[0], ",".join(self.columns)), missing[0])
        return frame_window(frame[self.columns], length)


def frame_window(frame, length):
    """The last `length` rows of a DataFrame of numeric columns as float32 values and a mask."""
    if len(frame) < length:
        _usage("%d rows, the model needs at least context_length = %d" % (len(frame), length))
    v = np.asarray(frame.iloc[-length:], dtype=np.float64)
    m = np.isfinite(v).astype(np.float32)
    return np.where(m > 0, v, 0.0).astype(np.float32), m
