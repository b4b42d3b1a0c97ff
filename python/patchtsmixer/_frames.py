"""pandas in and out: forecast(DataFrame) returns a DataFrame whose index continues the input's
time (a DatetimeIndex, or the timestamp column the model was trained with, or ds/date), one
column per forecast channel named as in the input, and NAME_qQ columns for the quantiles of a
distribution head when asked. pandas is imported only when a DataFrame is given."""
import numpy as np


def is_frame(x):
    return hasattr(x, "iloc") and hasattr(x, "columns")


def channel_names(model, frame):
    """the names of the model's input channels in this DataFrame"""
    pp = model.preprocessor
    if pp is not None:
        return list(pp.columns)
    return [str(c) for c in frame.select_dtypes("number").columns]


def future_index(frame, pp, horizon):
    """the next `horizon` time stamps after the frame's last row"""
    import pandas as pd
    idx = frame.index
    if isinstance(idx, pd.DatetimeIndex) and len(idx) >= 2:
        step = idx[-1] - idx[-2]
        return pd.DatetimeIndex([idx[-1] + step * (k + 1) for k in range(horizon)], name=idx.name)
    for col in (pp.timestamp_column if pp else None, "ds", "date", "timestamp"):
        if col and col in frame.columns and len(frame) >= 2:
            t = pd.to_datetime(frame[col])
            step = t.iloc[-1] - t.iloc[-2]
            return pd.DatetimeIndex([t.iloc[-1] + step * (k + 1) for k in range(horizon)],
                                    name=col)
    return pd.RangeIndex(len(frame), len(frame) + horizon)


def forecast_frame(model, frame, y, q=None, qvals=None):
    """y [1, H, C'] (and qvals [1, len(q), H, C']) as a DataFrame"""
    import pandas as pd
    names = channel_names(model, frame)
    chans = model._forecast_channels()
    cols = {}
    for j, c in enumerate(chans):
        cols[names[c] if c < len(names) else "channel%d" % c] = y[0, :, j]
    if qvals is not None:
        for k, qq in enumerate(q):
            for j, c in enumerate(chans):
                name = names[c] if c < len(names) else "channel%d" % c
                cols["%s_q%g" % (name, float(qq))] = qvals[0, k, :, j]
    return pd.DataFrame(cols, index=future_index(frame, model.preprocessor, y.shape[1]))
