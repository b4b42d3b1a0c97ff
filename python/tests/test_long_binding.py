"""test_long_binding.py - training on many series in statsforecast's long layout from Python
(train() on a long DataFrame and on a long CSV), run by test_binding.py's main: the skipped
series come back as warnings and in result.skipped, the model knows its long format, forecasts
a long frame as `patchtsmixer predict` does, and hostile frames raise the library's error."""
import io
import os
import subprocess
import warnings

import numpy as np

import patchtsmixer as ptm
from __main__ import BUILD, TMP, expect_error  # test_binding.py runs this file

LONG_CONFIG = {"context_length": 16, "prediction_length": 4, "patch_length": 4,
               "patch_stride": 4, "d_model": 8, "num_layers": 2, "scaling": "none"}


def long_frame(id_col="unique_id"):
    """A (80 rows, price covariate), B (70), short (12: too short), dup (a repeated time)"""
    import pandas as pd
    rs = np.random.RandomState(3)
    rows = []
    for uid, n in (("A", 80), ("B", 70), ("short", 12), ("dup", 60)):
        for i in range(n):
            t = pd.Timestamp("2023-03-01") + pd.Timedelta(hours=i if uid != "dup" or i < 30
                                                         else i - 1)
            rows.append((uid, t, round(10 + 3 * np.sin(i / 3.0) + rs.randn() * 0.1, 4),
                         round(1 + 0.1 * np.cos(i / 5.0), 4)))
    return pd.DataFrame(rows, columns=[id_col, "ds", "y", "price"])


def test_train_long_frame():
    """train(long DataFrame): every usable series trains, the others are skipped with a
    warning naming why; the checkpoint records the long format and forecasts like the CLI"""
    import pandas as pd
    frame = long_frame()
    run = os.path.join(TMP, "run_long")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = ptm.train(frame, run, config=LONG_CONFIG, epochs=2, batch_size=16, seed=3)
    assert r.series == 2 and r.series_skipped == 2, (r.series, r.series_skipped)
    assert set(r.skipped) == {"short", "dup"}, r.skipped
    assert r.skipped["short"].startswith("12 rows, at least 28 needed"), r.skipped["short"]
    assert "appears twice" in r.skipped["dup"], r.skipped["dup"]
    assert sum("skipped series" in str(w.message) for w in caught) == 2
    pp = r.model.preprocessor
    assert (pp.id_column, pp.timestamp_column, pp.target_column) == ("unique_id", "ds", "y")
    assert pp.columns == ["y", "price"] and pp.mean is not None
    # the scaler: fitted on the training parts (all but the last 2 H rows) of A and B
    H = LONG_CONFIG["prediction_length"]
    train_y = np.concatenate([frame[frame.unique_id == u]["y"].to_numpy()[:-2 * H]
                              for u in ("A", "B")])
    assert abs(pp.mean[0] - train_y.mean()) < 1e-4 and abs(pp.scale[0] - train_y.std()) < 1e-4
    got = r.model.forecast(frame)
    assert list(got.columns) == ["unique_id", "ds", "PatchTSMixer"], got.columns
    csv = os.path.join(TMP, "long_train.csv")
    frame.to_csv(csv, index=False, date_format="%Y-%m-%d %H:%M:%S")
    cli = subprocess.run([os.path.join(BUILD, "patchtsmixer"), "predict", run, "--input", csv],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    want = pd.read_csv(io.StringIO(cli.stdout), parse_dates=["ds"])
    want = want[want["unique_id"].isin(got["unique_id"].unique())]
    assert list(want["unique_id"]) == list(got["unique_id"])
    assert np.allclose(got["PatchTSMixer"], want["PatchTSMixer"], rtol=1e-5, atol=1e-5)


def test_fit_long_csv_other_names():
    """fit(a long CSV path) with its own id column name: read as long format by that name, and
    the model then forecasts frames with those names without being told"""
    frame = long_frame("item")
    csv = os.path.join(TMP, "long_item.csv")
    frame[frame["item"].isin(["A", "B"])].to_csv(csv, index=False,
                                                  date_format="%Y-%m-%d %H:%M:%S")
    r = ptm.fit(csv, os.path.join(TMP, "run_long_item"), config=LONG_CONFIG, epochs=1,
                batch_size=16, id_col="item", columns=["y"])
    assert r.series == 2 and r.skipped == {} and r.model.preprocessor.id_column == "item"
    got = r.model.forecast(frame[frame["item"] == "A"])
    assert list(got.columns) == ["item", "ds", "PatchTSMixer"] and len(got) == 4, got


def test_train_long_hostile():
    """no usable series, or a target outside the columns: the library's exact errors"""
    frame = long_frame()
    few = frame[frame["unique_id"].isin(["short", "dup"])]
    expect_error(lambda: ptm.train(few, os.path.join(TMP, "run_none"), config=LONG_CONFIG,
                                   epochs=1),
                 "input", "no series can be trained on: all 2 were skipped (the first, 'short': "
                 "12 rows, at least 28 needed")
    csv = os.path.join(TMP, "long_hostile.csv")
    frame.to_csv(csv, index=False, date_format="%Y-%m-%d %H:%M:%S")
    expect_error(lambda: ptm.train(csv, os.path.join(TMP, "run_wide"), config=LONG_CONFIG,
                                   epochs=1, long=False),
                 "input", "a long-format file (columns 'unique_id' and 'ds': many series, one row "
                 "per series and time step) where one wide series is read; set "
                 "ptm_train_params.long_format")
    expect_error(lambda: ptm.train(np.zeros((100, 2)), os.path.join(TMP, "run_arr"), long=True),
                 "arg", "long-format data is a DataFrame or a CSV path")
    expect_error(lambda: ptm.train(frame, os.path.join(TMP, "run_cols"), config=LONG_CONFIG,
                                   epochs=1, columns=["price"]),
                 "input", "the target column 'y' is not among the columns selected")
