"""_capi.py - ctypes declarations of the PatchTSMixer C library (include/patchtsmixer.h).

Finds the shared library, mirrors the public structs and declares every function the binding
calls. The struct mirrors must match the header field for field; python/tests/test_binding.py
checks their sizes and offsets against the C compiler's (python/tests/layout.c).

Library search order: $PATCHTSMIXER_LIB (a path to the .so); the build folder of the source
tree this package sits in (../../build/libpatchtsmixer.so); the system loader's search path
(an installed libpatchtsmixer.so.0, e.g. after `make install PREFIX=/usr/local`).
"""
import ctypes
import ctypes.util
import os

c_float_p = ctypes.POINTER(ctypes.c_float)
c_int_p = ctypes.POINTER(ctypes.c_int)
c_int64_p = ctypes.POINTER(ctypes.c_int64)


class PtmError(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_int),
        ("file", ctypes.c_char * 512),
        ("field", ctypes.c_char * 256),
        ("text", ctypes.c_char * 768),
    ]


class PtmTtmConfig(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_int)
        for name in (
            "adaptive_patching_levels", "resolution_prefix_tuning",
            "frequency_token_vocab_size", "use_decoder", "decoder_num_layers",
            "decoder_d_model", "decoder_adaptive_patching_levels", "decoder_raw_residual",
            "decoder_mode", "prediction_filter_length", "num_exogenous_channels",
        )
    ] + [("exogenous_channel_indices", c_int_p)] + [
        (name, ctypes.c_int)
        for name in (
            "enable_forecast_channel_mixing", "fcm_gated_attn", "fcm_context_length",
            "fcm_use_mixer", "fcm_mix_layers", "fcm_prepend_past", "fcm_prepend_past_offset",
            "num_categorical",
        )
    ] + [
        ("categorical_vocab_size_list", c_int_p),
        ("huber_delta", ctypes.c_float),
        ("quantile", ctypes.c_float),
    ]


class PtmConfig(ctypes.Structure):
    _fields_ = [
        ("model_class", ctypes.c_int),
        ("context_length", ctypes.c_int),
        ("patch_length", ctypes.c_int),
        ("patch_stride", ctypes.c_int),
        ("num_patches", ctypes.c_int),
        ("num_input_channels", ctypes.c_int),
        ("d_model", ctypes.c_int),
        ("expansion_factor", ctypes.c_int),
        ("num_layers", ctypes.c_int),
        ("dropout", ctypes.c_float),
        ("head_dropout", ctypes.c_float),
        ("mode", ctypes.c_int),
        ("gated_attn", ctypes.c_int),
        ("norm_mlp", ctypes.c_int),
        ("self_attn", ctypes.c_int),
        ("self_attn_heads", ctypes.c_int),
        ("use_positional_encoding", ctypes.c_int),
        ("positional_encoding_type", ctypes.c_int),
        ("scaling", ctypes.c_int),
        ("loss", ctypes.c_int),
        ("distribution_output", ctypes.c_int),
        ("prediction_length", ctypes.c_int),
        ("num_prediction_channels", ctypes.c_int),
        ("prediction_channel_indices", c_int_p),
        ("num_targets", ctypes.c_int),
        ("has_output_range", ctypes.c_int),
        ("output_range", ctypes.c_float * 2),
        ("head_aggregation", ctypes.c_int),
        ("norm_eps", ctypes.c_float),
        ("init_std", ctypes.c_float),
        ("num_parallel_samples", ctypes.c_int),
        ("mask_type", ctypes.c_int),
        ("random_mask_ratio", ctypes.c_double),
        ("num_forecast_mask_patches_count", ctypes.c_int),
        ("num_forecast_mask_patches", c_int_p),
        ("forecast_mask_patches_is_list", ctypes.c_int),
        ("mask_value", ctypes.c_float),
        ("masked_loss", ctypes.c_int),
        ("channel_consistent_masking", ctypes.c_int),
        ("num_unmasked_channels", ctypes.c_int),
        ("unmasked_channel_indices", c_int_p),
        ("post_init", ctypes.c_int),
        ("family", ctypes.c_int),
        ("ttm", PtmTtmConfig),
        ("num_labels", ctypes.c_int),
        ("id2label", ctypes.POINTER(ctypes.c_char_p)),
    ]


class PtmCtxParams(ctypes.Structure):
    _fields_ = [
        ("max_batch", ctypes.c_int),
        ("keep_hidden_states", ctypes.c_int),
        ("num_threads", ctypes.c_int),
        ("num_input_channels", ctypes.c_int),
    ]


class PtmStreamParams(ctypes.Structure):
    _fields_ = [
        ("num_threads", ctypes.c_int),
        ("num_input_channels", ctypes.c_int),
        ("freq_token", ctypes.c_int64),
        ("static_categorical_values", c_int64_p),
    ]


class PtmLoadParams(ctypes.Structure):
    _fields_ = [("max_bytes", ctypes.c_size_t)]


class PtmInputs(ctypes.Structure):
    _fields_ = [
        ("batch", ctypes.c_int),
        ("past_values", c_float_p),
        ("observed_mask", c_float_p),
        ("future_values", c_float_p),
        ("target_values", c_float_p),
        ("target_labels", c_int64_p),
        ("patch_mask", c_float_p),
        ("mask_seed", ctypes.c_uint64),
        ("dropout_seed", ctypes.c_uint64),
        ("past_length", ctypes.c_int),
        ("freq_token", c_int64_p),
        ("static_categorical_values", c_int64_p),
        ("future_observed_mask", c_float_p),
    ]


class PtmTensorView(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("data", c_float_p),
        ("ndim", ctypes.c_int),
        ("shape", ctypes.c_int64 * 4),
    ]


class PtmCsv(ctypes.Structure):
    _fields_ = [
        ("nrows", ctypes.c_size_t),
        ("ncols", ctypes.c_size_t),
        ("colnames", ctypes.POINTER(ctypes.c_char_p)),
        ("has_time", ctypes.c_int),
        ("time_colname", ctypes.c_char_p),
        ("time_text", ctypes.POINTER(ctypes.c_char_p)),
        ("time_sec", c_int64_p),
        ("time_parsed", ctypes.c_int),
        ("values", c_float_p),
        ("observed", c_float_p),
    ]


class PtmStdScaler(ctypes.Structure):
    _fields_ = [("ncols", ctypes.c_int), ("mean", c_float_p), ("std", c_float_p)]


class PtmPreprocessor(ctypes.Structure):
    _fields_ = [
        ("present", ctypes.c_int),
        ("ncols", ctypes.c_int),
        ("columns", ctypes.POINTER(ctypes.c_char_p)),
        ("is_target", ctypes.POINTER(ctypes.c_int)),
        ("scaler", PtmStdScaler),
        ("timestamp_column", ctypes.c_char_p),
        ("timestamp_format", ctypes.c_char_p),
        ("time_step", ctypes.c_int64),
        ("training_data", ctypes.c_char_p),
        ("training_command", ctypes.c_char_p),
        ("id_column", ctypes.c_char_p),
        ("target_column", ctypes.c_char_p),
    ]


class PtmLongParams(ctypes.Structure):
    _fields_ = [
        ("id_column", ctypes.c_char_p),
        ("time_column", ctypes.c_char_p),
        ("target_column", ctypes.c_char_p),
        ("delimiter", ctypes.c_char),
    ]


METRIC_MAX_INTERVALS = 8  # PTM_METRIC_MAX_INTERVALS


class PtmMetrics(ctypes.Structure):
    _fields_ = [
        ("mse", ctypes.c_double), ("mae", ctypes.c_double), ("rmse", ctypes.c_double),
        ("mase", ctypes.c_double), ("smape", ctypes.c_double),
        ("mse_scaled", ctypes.c_double), ("mae_scaled", ctypes.c_double),
        ("crps", ctypes.c_double), ("coverage", ctypes.c_double * METRIC_MAX_INTERVALS),
        ("points", ctypes.c_size_t),
    ]


class PtmLongParams(ctypes.Structure):
    _fields_ = [
        ("id_column", ctypes.c_char_p), ("time_column", ctypes.c_char_p),
        ("target_column", ctypes.c_char_p), ("delimiter", ctypes.c_char),
    ]


class PtmBacktestParams(ctypes.Structure):
    _fields_ = [
        ("columns", ctypes.c_char_p), ("split", ctypes.c_char_p),
        ("start", ctypes.c_long), ("end", ctypes.c_long),
        ("stride", ctypes.c_int), ("season", ctypes.c_int), ("num_samples", ctypes.c_int),
        ("seed", ctypes.c_uint64), ("quantiles", c_float_p), ("num_quantiles", ctypes.c_int),
        ("batch", ctypes.c_int), ("windows", ctypes.c_int),
        ("long_format", ctypes.POINTER(PtmLongParams)),
    ]


class PtmBacktestResult(ctypes.Structure):
    _fields_ = [
        ("nseries", ctypes.c_int), ("series", ctypes.POINTER(ctypes.c_char_p)),
        ("distribution", ctypes.c_int), ("nintervals", ctypes.c_int),
        ("lo_q", ctypes.c_float * METRIC_MAX_INTERVALS),
        ("hi_q", ctypes.c_float * METRIC_MAX_INTERVALS),
        ("prediction_length", ctypes.c_int), ("stride", ctypes.c_int), ("season", ctypes.c_int),
        ("first_row", ctypes.c_size_t), ("end_row", ctypes.c_size_t),
        ("norigins", ctypes.c_size_t), ("cutoff_row", ctypes.POINTER(ctypes.c_size_t)),
        ("cutoff_time", ctypes.POINTER(ctypes.c_char_p)),
        ("mase_scale", ctypes.POINTER(ctypes.c_double)),
        ("per_origin", ctypes.POINTER(PtmMetrics)), ("per_series", ctypes.POINTER(PtmMetrics)),
        ("all", PtmMetrics),
        ("long_format", ctypes.c_int), ("cutoff_at", ctypes.POINTER(ctypes.c_char_p)),
        ("nskipped", ctypes.c_size_t), ("skipped", ctypes.POINTER(ctypes.c_char_p)),
        ("skip_reason", ctypes.POINTER(ctypes.c_char_p)),
    ]


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
EPOCH_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_double,
                            ctypes.c_double)
SKIP_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)


class PtmTrainParams(ctypes.Structure):
    _fields_ = [
        ("task", ctypes.c_int),
        ("config_path", ctypes.c_char_p),
        ("config_json", ctypes.c_char_p),
        ("init_from", ctypes.c_char_p),
        ("freeze_backbone", ctypes.c_int),
        ("test_path", ctypes.c_char_p),
        ("columns", ctypes.c_char_p),
        ("epochs", ctypes.c_int),
        ("batch_size", ctypes.c_int),
        ("lr", ctypes.c_float),
        ("weight_decay", ctypes.c_float),
        ("clip_norm", ctypes.c_float),
        ("schedule", ctypes.c_int),
        ("warmup_frac", ctypes.c_float),
        ("patience", ctypes.c_int),
        ("max_steps", ctypes.c_int64),
        ("seed", ctypes.c_uint64),
        ("resume", ctypes.c_int),
        ("log", LOG_FN),
        ("on_epoch", EPOCH_FN),
        ("user", ctypes.c_void_p),
        ("config", ctypes.c_void_p),
        ("num_threads", ctypes.c_int),
        ("stop_after_epochs", ctypes.c_int),
        ("command", ctypes.c_char_p),
        ("few_shot", ctypes.c_float),
        ("long_format", ctypes.POINTER(PtmLongParams)),
        ("on_skipped", SKIP_FN),
        ("static_categorical_columns", ctypes.c_char_p),
        ("val_every", ctypes.c_int),
    ]


class PtmTrainSummary(ctypes.Structure):
    _fields_ = [
        ("epochs_run", ctypes.c_int),
        ("best_epoch", ctypes.c_int),
        ("steps", ctypes.c_int64),
        ("best_val", ctypes.c_double),
        ("test_mse", ctypes.c_double),
        ("test_mae", ctypes.c_double),
        ("test_accuracy", ctypes.c_double),
        ("seconds", ctypes.c_double),
        ("samples_per_sec", ctypes.c_double),
        ("baseline_accuracy", ctypes.c_double),
        ("baseline_mse", ctypes.c_double),
        ("baseline_mae", ctypes.c_double),
        ("series", ctypes.c_size_t),
        ("series_skipped", ctypes.c_size_t),
        ("val_mse", ctypes.c_double),
        ("val_mae", ctypes.c_double),
    ]


# the structs python/tests/layout.c reports, by their C names
STRUCTS = {
    "ptm_error": PtmError,
    "ptm_config": PtmConfig,
    "ptm_ttm_config": PtmTtmConfig,
    "ptm_ctx_params": PtmCtxParams,
    "ptm_load_params": PtmLoadParams,
    "ptm_stream_params": PtmStreamParams,
    "ptm_inputs": PtmInputs,
    "ptm_tensor_view": PtmTensorView,
    "ptm_csv": PtmCsv,
    "ptm_std_scaler": PtmStdScaler,
    "ptm_preprocessor": PtmPreprocessor,
    "ptm_long_params": PtmLongParams,
    "ptm_metrics": PtmMetrics,
    "ptm_backtest_params": PtmBacktestParams,
    "ptm_backtest_result": PtmBacktestResult,
    "ptm_train_params": PtmTrainParams,
    "ptm_train_summary": PtmTrainSummary,
}


def _candidates():
    env = os.environ.get("PATCHTSMIXER_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    bundled = os.path.join(here, "libpatchtsmixer.so")  # pip install ./python puts it here
    if os.path.exists(bundled):
        yield bundled
    tree = os.path.normpath(os.path.join(here, "..", "..", "build", "libpatchtsmixer.so"))
    if os.path.exists(tree):
        yield tree
    yield "libpatchtsmixer.so.0"
    found = ctypes.util.find_library("patchtsmixer")
    if found:
        yield found


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    raise OSError("cannot load the PatchTSMixer library (build it with `make`, install it with "
                  "`make install`, or set PATCHTSMIXER_LIB): " + "; ".join(errors))


lib, lib_path = _load()


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


P = ctypes.POINTER
ptm_version = _fn("ptm_version", ctypes.c_char_p)
ptm_status_str = _fn("ptm_status_str", ctypes.c_char_p, ctypes.c_int)
ptm_error_message = _fn("ptm_error_message", ctypes.c_char_p, P(PtmError), ctypes.c_char_p,
                        ctypes.c_size_t)
ptm_model_load = _fn("ptm_model_load", ctypes.c_int, ctypes.c_char_p, P(ctypes.c_void_p),
                     P(PtmError))
ptm_load_default_params = _fn("ptm_load_default_params", PtmLoadParams)
ptm_model_load_ex = _fn("ptm_model_load_ex", ctypes.c_int, ctypes.c_char_p, P(PtmLoadParams),
                        P(ctypes.c_void_p), P(PtmError))
ptm_model_free = _fn("ptm_model_free", None, ctypes.c_void_p)
ptm_model_save = _fn("ptm_model_save", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                     P(PtmError))
ptm_model_config = _fn("ptm_model_config", P(PtmConfig), ctypes.c_void_p)
ptm_class_name = _fn("ptm_class_name", ctypes.c_char_p, ctypes.c_int)
ptm_frequency_token = _fn("ptm_frequency_token", ctypes.c_int, ctypes.c_int64)
ptm_config_class_name = _fn("ptm_config_class_name", ctypes.c_char_p, ctypes.POINTER(PtmConfig))
ptm_model_num_params = _fn("ptm_model_num_params", ctypes.c_int64, ctypes.c_void_p)
ptm_model_macs_per_sample = _fn("ptm_model_macs_per_sample", ctypes.c_int64, ctypes.c_void_p)
ptm_ctx_default_params = _fn("ptm_ctx_default_params", PtmCtxParams)
ptm_ctx_create = _fn("ptm_ctx_create", ctypes.c_int, ctypes.c_void_p, P(PtmCtxParams),
                     P(ctypes.c_void_p), P(PtmError))
ptm_ctx_free = _fn("ptm_ctx_free", None, ctypes.c_void_p)
ptm_forward = _fn("ptm_forward", ctypes.c_int, ctypes.c_void_p, P(PtmInputs), P(PtmError))
ptm_ctx_output = _fn("ptm_ctx_output", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                     P(PtmTensorView), P(PtmError))
ptm_ctx_num_outputs = _fn("ptm_ctx_num_outputs", ctypes.c_int, ctypes.c_void_p)
ptm_ctx_output_at = _fn("ptm_ctx_output_at", ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                        P(PtmTensorView), P(PtmError))
ptm_ctx_sample = _fn("ptm_ctx_sample", ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                     ctypes.c_uint64, c_float_p, ctypes.c_size_t, P(PtmError))
ptm_quantiles = _fn("ptm_quantiles", ctypes.c_int, c_float_p, ctypes.c_int, ctypes.c_int,
                    ctypes.c_int64, c_float_p, ctypes.c_int, c_float_p, P(PtmError))
ptm_stream_default_params = _fn("ptm_stream_default_params", PtmStreamParams)
ptm_stream_create = _fn("ptm_stream_create", ctypes.c_int, ctypes.c_void_p, P(PtmStreamParams),
                        P(ctypes.c_void_p), P(PtmError))
ptm_stream_free = _fn("ptm_stream_free", None, ctypes.c_void_p)
ptm_stream_push = _fn("ptm_stream_push", ctypes.c_int, ctypes.c_void_p, c_float_p, c_float_p,
                      ctypes.c_int, P(PtmError))
ptm_stream_rows = _fn("ptm_stream_rows", ctypes.c_int64, ctypes.c_void_p)
ptm_stream_forecast = _fn("ptm_stream_forecast", ctypes.c_int, ctypes.c_void_p, P(c_float_p),
                          P(PtmError))
ptm_csv_load = _fn("ptm_csv_load", ctypes.c_int, ctypes.c_char_p, ctypes.c_char, P(PtmCsv),
                   P(PtmError))
ptm_csv_free = _fn("ptm_csv_free", None, P(PtmCsv))
ptm_preprocessor_load = _fn("ptm_preprocessor_load", ctypes.c_int, ctypes.c_char_p,
                            P(PtmPreprocessor), P(PtmError))
ptm_preprocessor_free = _fn("ptm_preprocessor_free", None, P(PtmPreprocessor))
ptm_long_sniff = _fn("ptm_long_sniff", ctypes.c_int, ctypes.c_char_p, P(PtmLongParams))
ptm_backtest_default_params = _fn("ptm_backtest_default_params", PtmBacktestParams)
ptm_backtest_file = _fn("ptm_backtest_file", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                        P(PtmBacktestParams), P(PtmBacktestResult), P(PtmError))
ptm_backtest_free = _fn("ptm_backtest_free", None, P(PtmBacktestResult))
ptm_train_default_params = _fn("ptm_train_default_params", PtmTrainParams)
ptm_train_csv = _fn("ptm_train_csv", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                    P(PtmTrainParams), P(PtmTrainSummary), P(PtmError))
