"""Training from Python: train() (and its alias fit()) runs the C trainer, what `patchtsmixer
train` runs, on a CSV, a .ts file, a DataFrame or an array, and on many series in
statsforecast's long layout (unique_id, ds, y and covariate columns; a DataFrame or a CSV)."""
import ctypes
import json
import os
import tempfile
import warnings

import numpy as np

from . import _capi as C
from ._errors import _check, _usage
from ._frames import is_long


class TrainResult:
    """What train() returns: model (the best checkpoint, loaded), out_dir, history
    [(epoch, train_loss, val_loss), ...] of the epochs run by this call, and the summary:
    epochs_run, best_epoch, steps, best_val, test_mse, test_mae, test_accuracy, seconds,
    samples_per_sec, and the trivial baselines on the same test data: baseline_accuracy
    (classification: the majority class), baseline_mse, baseline_mae (regression: the training
    mean; forecasting: the last value repeated). Long-format data: series and series_skipped
    (counts), skipped {series id: why it was left out}. Forecasting: val_mse, val_mae (the best
    model on the validation windows, whatever loss chose it; NaN for the other tasks)."""

    def __init__(self, model, out_dir, history, summary, skipped):
        self.model = model
        self.out_dir = out_dir
        self.history = history
        for name, _ in C.PtmTrainSummary._fields_:
            setattr(self, name, getattr(summary, name))
        self.skipped = skipped

    def __repr__(self):
        return "<TrainResult %s: %d epochs, best %d (val %.6g), test MSE %.6g>" % (
            self.out_dir, self.epochs_run, self.best_epoch, self.best_val, self.test_mse)


_TASKS = {"forecast": 0, "classify": 1, "regress": 2, "pretrain": 3}
_SCHEDULES = {"constant": 0, "cosine": 1, "onecycle": 2}


def _write_data(data, data_path, long_frame):
    """data (a DataFrame or a 2-D array) as the CSV the C trainer reads"""
    if long_frame:  # one row per series and step: the columns as they are
        data.to_csv(data_path, index=False)
    elif hasattr(data, "to_csv"):
        # a DataFrame: its columns are the channels; a DatetimeIndex becomes the
        # timestamp column, any other index is left out (it is no channel)
        idx = getattr(data, "index", None)
        with_index = str(getattr(idx, "inferred_type", "")).startswith("date")
        data.to_csv(data_path, index=with_index,
                    index_label=(getattr(idx, "name", None) or "date") if with_index else None)
    else:
        a = np.asarray(data, dtype=np.float64)
        if a.ndim != 2:
            _usage("data must be a path, a DataFrame or a 2-D array", "data")
        hdr = ",".join("col%d" % j for j in range(a.shape[1]))
        np.savetxt(data_path, a, delimiter=",", header=hdr, comments="", fmt="%.9g")


def train(data, out_dir, config=None, task="forecast", columns=None, test_data=None,
          init_from=None, freeze_backbone=False, epochs=10, batch_size=64, lr=1e-3,
          weight_decay=0.0, clip_norm=1.0, schedule="onecycle", warmup_frac=0.1, patience=5,
          max_steps=0, seed=42, resume=False, verbose=False, log=None, num_threads=0,
          long=None, id_col="unique_id", time_col="ds", target_col="y",
          static_categorical_columns=None, val_every=0):
    """Train a model with the C trainer (what `patchtsmixer train` runs) and return a
    TrainResult whose .model is the best checkpoint, written to out_dir in Hugging Face format.

    data: a CSV path (forecast, pretrain), a .ts path (classify, regress), or a pandas
    DataFrame / 2-D numpy array (written to a temporary CSV; DataFrame columns are the
    channels, a DatetimeIndex becomes the timestamp column). config: the architecture as a dict
    of PatchTSMixerConfig fields, a transformers PatchTSMixerConfig, a path to a config.json,
    or None (PatchTSMixerConfig's defaults). The number of channels comes from the data.
    verbose prints the trainer's log lines; log(line) receives them instead.

    Many series (forecast, pretrain): a DataFrame or CSV in statsforecast's long layout, one
    row per series and step with the columns id_col, time_col, target_col and covariates
    (recognised by its id and time columns; long=True / False decides instead). Each series is
    split by itself (its last prediction_length rows test, the prediction_length before them
    validate, the rest trains); a series that cannot be used (too short, a repeated time,
    uneven steps) is skipped with a warning and listed in result.skipped; columns picks among
    the value columns. The saved model reads long frames by these names (forecast(frame)).

    static_categorical_columns: a TinyTimeMixer config with categorical_vocab_size_list reads
    the series' integer codes from these columns (a list or "a,b"; not channels; wide data).

    val_every: also validate every val_every optimiser steps within an epoch, saving a better
    model there too (`patchtsmixer train --val-every`); 0 = at epoch ends only.
    """
    from . import PatchTSMixer, _path_bytes  # the package's, once it is imported
    if task not in _TASKS:
        _usage("task '%s': expected one of %s" % (task, ", ".join(_TASKS)), "task")
    if schedule not in _SCHEDULES:
        _usage("schedule '%s': expected one of %s" % (schedule, ", ".join(_SCHEDULES)),
               "schedule")
    p = C.ptm_train_default_params()
    p.task = _TASKS[task]
    p.schedule = _SCHEDULES[schedule]
    keep = []  # bytes objects the struct points into

    def s(v):
        if v is None:
            return None
        b = _path_bytes(v) if not isinstance(v, (bytes, str)) else (
            v if isinstance(v, bytes) else v.encode())
        keep.append(b)
        return b

    if config is not None:
        if isinstance(config, (str, bytes, os.PathLike)):
            p.config_path = s(os.fspath(config))
        else:
            if hasattr(config, "to_json_string"):
                text = config.to_json_string()
            else:
                text = json.dumps(dict(config))
            p.config_json = s(text)
    lp = C.PtmLongParams(s(id_col), s(time_col), s(target_col), b"\0")
    is_path = isinstance(data, (str, bytes, os.PathLike))
    if long is None and task in ("forecast", "pretrain"):
        long = bool(C.ptm_long_sniff(_path_bytes(data), ctypes.byref(lp))) if is_path else \
            is_long(data, id_col, time_col)
    if long:
        if not is_path and not hasattr(data, "to_csv"):
            _usage("long-format data is a DataFrame or a CSV path (one row per series and step)",
                   "data")
        p.long_format = ctypes.pointer(lp)
    tmpdir = None
    try:
        if is_path:
            data_path = os.fspath(data)
        else:
            tmpdir = tempfile.mkdtemp(prefix="patchtsmixer_")
            data_path = os.path.join(tmpdir, "data.csv")
            _write_data(data, data_path, bool(long))
        p.columns = s(",".join(columns) if isinstance(columns, (list, tuple)) else columns)
        p.test_path = s(test_data)
        p.init_from = s(init_from)
        scc = static_categorical_columns
        p.static_categorical_columns = s(",".join(scc) if isinstance(scc, (list, tuple)) else scc)
        p.freeze_backbone = 1 if freeze_backbone else 0
        p.epochs = int(epochs)
        p.batch_size = int(batch_size)
        p.lr = float(lr)
        p.weight_decay = float(weight_decay)
        p.clip_norm = float(clip_norm)
        p.warmup_frac = float(warmup_frac)
        p.patience = int(patience)
        p.val_every = int(val_every)
        p.max_steps = int(max_steps)
        p.seed = int(seed)
        p.resume = 1 if resume else 0
        history, skipped = [], {}

        def on_epoch(user, epoch, train_loss, val_loss):
            history.append((int(epoch), float(train_loss), float(val_loss)))

        def on_log(user, progress, line):
            if progress:
                return
            text = line.decode("utf-8", "replace")
            if log is not None:
                log(text)
            elif verbose:
                print(text, flush=True)

        def on_skipped(user, series_id, reason):
            uid = series_id.decode("utf-8", "replace")
            skipped[uid] = reason.decode("utf-8", "replace")
            warnings.warn("skipped series %r: %s" % (uid, skipped[uid]))

        cb_epoch = C.EPOCH_FN(on_epoch)
        cb_log = C.LOG_FN(on_log)
        cb_skip = C.SKIP_FN(on_skipped)
        p.on_epoch = cb_epoch
        p.log = cb_log
        p.on_skipped = cb_skip
        summary = C.PtmTrainSummary()
        err = C.PtmError()
        code = C.ptm_train_csv(_path_bytes(data_path), _path_bytes(out_dir), ctypes.byref(p),
                               ctypes.byref(summary), ctypes.byref(err))
        _check(code, err)
    finally:
        if tmpdir:
            for f in os.listdir(tmpdir):
                os.unlink(os.path.join(tmpdir, f))
            os.rmdir(tmpdir)
    model = PatchTSMixer.from_pretrained(out_dir, num_threads=num_threads)
    return TrainResult(model, os.fspath(out_dir), history, summary, skipped)


def fit(data, out_dir, **options):
    """train() under the name statsforecast, Darts and sklearn users reach for."""
    return train(data, out_dir, **options)
