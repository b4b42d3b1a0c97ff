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


# ---------------------------------------------------------------------- long format


def is_long(frame, id_col="unique_id", time_col="ds"):
    return is_frame(frame) and id_col in frame.columns and time_col in frame.columns


def long_names(model, id_col=None, time_col=None, target_col=None):
    """(id, time, target) column names: those given, else those of the long-format data the
    model was trained on (its preprocessor), else statsforecast's unique_id, ds, y"""
    pp = model.preprocessor
    trained = pp is not None and pp.id_column is not None
    return (id_col or (pp.id_column if trained else "unique_id"),
            time_col or (pp.timestamp_column if trained else "ds"),
            target_col or (pp.target_column if trained else "y"))


def forecast_long(model, frame, id_col=None, time_col=None, target_col=None,
                  levels=None, num_samples=200, seed=0, alias="PatchTSMixer"):
    """Many series in statsforecast's long layout (id, time, target and covariate columns):
    every series with context_length rows forecast in one batch; returns the same layout
    (id, time, alias and, with levels=[80, 95] for distribution heads, alias-lo-95, ...,
    alias-hi-95 as statsforecast names them). Series too short, or with a missing value in
    their window, are left out, each named in the result's attrs["skipped"] with why (and a
    warning)."""
    import warnings

    import pandas as pd
    id_col, time_col, target_col = long_names(model, id_col, time_col, target_col)
    L = model.config["context_length"]
    pp = model.preprocessor
    C = model.config["num_input_channels"]
    values = [c for c in frame.columns if c not in (id_col, time_col)]
    if pp is not None:
        chans = list(pp.columns)
    elif C == 1:
        chans = [target_col]
    else:
        chans = values
    missing = [c for c in chans if c not in frame.columns]
    if missing or len(chans) != C:
        from ._errors import _usage
        _usage("the long-format frame's value columns %s do not give the model's %d channels%s"
               % (values, C, " (missing %s)" % missing if missing else ""), target_col)
    if target_col not in chans:
        from ._errors import _usage
        _usage("the target column %r is not one of the model's channels %s"
               % (target_col, chans), target_col)
    tch = chans.index(target_col)
    fidx = model._forecast_channels()
    if tch not in fidx:
        from ._errors import _usage
        _usage("the target column %r is not a forecast channel of this model" % target_col,
               target_col)
    j_out = fidx.index(tch)
    ids, windows, lasts, steps, skipped = [], [], [], [], {}
    for uid, g in frame.groupby(id_col, sort=False):
        g = g.sort_values(time_col, kind="stable")
        if len(g) < L:
            skipped[uid] = "%d rows, the model needs context_length = %d" % (len(g), L)
            continue
        w = g[chans].iloc[-L:].to_numpy(dtype=np.float64)
        t = g[time_col].iloc[-2:]
        ids.append(uid)
        windows.append(w)
        lasts.append(t.iloc[-1])
        steps.append(t.iloc[-1] - t.iloc[-2] if len(t) == 2 else 1)
    for uid, why in skipped.items():
        warnings.warn("skipped series %r: %s" % (uid, why))
    cols = {id_col: [], time_col: [], alias: []}
    if not ids:
        out = pd.DataFrame(cols)
        out.attrs["skipped"] = skipped
        return out
    x = np.stack(windows)
    mask = np.isfinite(x).astype(np.float32)
    x = np.where(mask > 0, x, 0.0).astype(np.float32)
    y = model.forecast(x, mask)  # [S, H, C'] in the data's units
    H = y.shape[1]
    bands = []
    if levels:
        lv = sorted(set(float(v) for v in levels))
        qs = [0.5 - v / 200.0 for v in reversed(lv)] + [0.5 + v / 200.0 for v in lv]
        qv = model.quantiles(x, qs, num_samples=num_samples, seed=seed, observed_mask=mask)
        n = len(lv)
        for k, v in enumerate(reversed(lv)):
            bands.append(("%s-lo-%g" % (alias, v), qv[:, k, :, j_out]))
        for k, v in enumerate(lv):
            bands.append(("%s-hi-%g" % (alias, v), qv[:, n + k, :, j_out]))
        for name, _ in bands:
            cols[name] = []
    for s, uid in enumerate(ids):
        for h in range(H):
            cols[id_col].append(uid)
            cols[time_col].append(lasts[s] + steps[s] * (h + 1))
            cols[alias].append(float(y[s, h, j_out]))
            for name, arr in bands:
                cols[name].append(float(arr[s, h]))
    out = pd.DataFrame(cols)
    out.attrs["skipped"] = skipped
    return out
