"""model.backtest(...): rolling-origin evaluation by the C library (ptm_backtest_file, what
`patchtsmixer backtest` runs), its results as Python dicts (and a pandas DataFrame of the
per-origin rows when pandas is there)."""
import ctypes
import math
import os
import tempfile

import numpy as np

from . import _capi as C
from ._errors import _check, _usage

_NAMES = ("mse", "mae", "rmse", "mase", "smape", "mse_scaled", "mae_scaled")


def _metrics(m, r):
    d = {k: getattr(m, k) for k in _NAMES}
    if r.distribution:
        d["crps"] = m.crps
        for k in range(r.nintervals):
            d["coverage_%g" % round((r.hi_q[k] - r.lo_q[k]) * 100, 4)] = m.coverage[k]
    d["points"] = int(m.points)
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


class BacktestResult:
    """series: {name: metrics}; all: the mean over series (utilsforecast's evaluate().mean());
    origins: one dict per origin and series (unique_id, cutoff, cutoff_row and the metrics;
    long-format data: window instead of cutoff_row), the rows of `patchtsmixer backtest
    --output`; frame(): those rows as a DataFrame; skipped: {unique_id: reason} of the series
    a long-format backtest left out."""

    def __init__(self, r):
        ns = r.nseries
        names = [r.series[j].decode() for j in range(ns)]
        self.series = {n: _metrics(r.per_series[j], r) for j, n in enumerate(names)}
        for j, n in enumerate(names):
            s = r.mase_scale[j]
            self.series[n]["mase_scale"] = None if math.isnan(s) else s
        self.all = _metrics(r.all, r)
        self.origins = []
        for k in range(r.norigins):
            for j, n in enumerate(names):
                if r.long_format:  # each series' own cutoffs, origins are its windows
                    row = {"unique_id": n, "cutoff": r.cutoff_at[k * ns + j].decode(),
                           "window": k + 1}
                else:
                    cut = r.cutoff_time[k].decode() if r.cutoff_time else int(r.cutoff_row[k])
                    row = {"unique_id": n, "cutoff": cut, "cutoff_row": int(r.cutoff_row[k])}
                row.update(_metrics(r.per_origin[k * ns + j], r))
                self.origins.append(row)
        self.prediction_length, self.stride, self.season = \
            r.prediction_length, r.stride, r.season
        if r.long_format:
            self.skipped = {r.skipped[k].decode(): r.skip_reason[k].decode()
                            for k in range(r.nskipped)}
            self.windows = int(r.norigins)
        else:
            self.first_row, self.end_row = int(r.first_row), int(r.end_row)  # rows forecast

    def frame(self):
        import pandas as pd
        return pd.DataFrame(self.origins)

    def __repr__(self):
        return "BacktestResult(%d series, %d origins, all=%r)" % (
            len(self.series), len(self.origins) // max(len(self.series), 1), self.all)


def backtest(model_dir, data, columns=None, split=None, start=None, end=None, stride=None,
             season=1, num_samples=100, seed=0, quantiles=None, batch=64, windows=None,
             id_col="unique_id", time_col="ds", target_col="y"):
    """ptm_backtest_file on a CSV path or a DataFrame (written to a temporary CSV; a
    DatetimeIndex becomes its timestamp column). The standard split follows the file's name
    as in the CLI (ETTh*/ETTm*: 12/4/4 months; anything else, a DataFrame too: 70/10/20 %;
    default "test"); start / end choose the rows to forecast instead. Long-format data (a
    frame or file with id_col and time_col: many series) are backtested as statsforecast's
    cross_validation: the last `windows` (default 1) origins of each series, `stride` rows
    apart."""
    p = C.ptm_backtest_default_params()
    keep = []

    def s(v):
        if v is None:
            return None
        b = os.fsencode(v) if isinstance(v, (str, os.PathLike)) else v
        keep.append(b)
        return b

    p.columns = s(",".join(columns) if isinstance(columns, (list, tuple)) else columns)
    p.split = s(split)
    p.start = -1 if start is None else int(start)
    p.end = -1 if end is None else int(end)
    p.stride = int(stride or 0)
    p.season = int(season)
    p.num_samples = int(num_samples)
    p.seed = int(seed)
    p.batch = int(batch)
    p.windows = int(windows or 0)
    # long format: a frame with the id and time columns, or a file named with other columns
    # (a file with unique_id and ds in its header is found long by the library itself)
    is_long = hasattr(data, "columns") and id_col in data.columns and time_col in data.columns
    if is_long or (id_col, time_col, target_col) != ("unique_id", "ds", "y"):
        lp = C.PtmLongParams(s(id_col), s(time_col), s(target_col), b"\0")
        keep.append(lp)
        p.long_format = ctypes.pointer(lp)
    if quantiles is not None:
        q = np.ascontiguousarray(np.asarray(quantiles, dtype=np.float32))
        keep.append(q)
        p.quantiles = q.ctypes.data_as(C.c_float_p)
        p.num_quantiles = q.size
    tmpdir = None
    try:
        if isinstance(data, (str, bytes, os.PathLike)):
            path = os.fspath(data)
        elif hasattr(data, "to_csv"):
            tmpdir = tempfile.mkdtemp(prefix="patchtsmixer_")
            path = os.path.join(tmpdir, "data.csv")
            idx = getattr(data, "index", None)
            dated = not is_long and str(getattr(idx, "inferred_type", "")).startswith("date")
            data.to_csv(path, index=dated,
                        index_label=(getattr(idx, "name", None) or "date") if dated else None)
        else:
            _usage("data must be a CSV path or a DataFrame", "data")
        r = C.PtmBacktestResult()
        err = C.PtmError()
        _check(C.ptm_backtest_file(os.fsencode(model_dir), os.fsencode(path), ctypes.byref(p),
                                   ctypes.byref(r), ctypes.byref(err)), err)
        try:
            return BacktestResult(r)
        finally:
            C.ptm_backtest_free(ctypes.byref(r))
    finally:
        if tmpdir:
            for f in os.listdir(tmpdir):
                os.unlink(os.path.join(tmpdir, f))
            os.rmdir(tmpdir)
