/* patchtsmixer.h - the one public header of the PatchTSMixer C library.
 *
 * PatchTSMixer (IBM TSMixer, KDD 2023; Hugging Face `transformers` PatchTSMixer) in C11.
 * The library loads a Hugging Face checkpoint directory (config.json + model.safetensors)
 * as `save_pretrained` writes it and computes exactly what the PyTorch implementation computes.
 *
 * Usage:
 *
 *     ptm_error err;
 *     ptm_model *model = NULL;
 *     if (ptm_model_load("my_model_dir", &model, &err) != PTM_OK) { report(&err); }
 *     ptm_ctx *ctx = NULL;
 *     ptm_ctx_params cp = ptm_ctx_default_params();
 *     cp.max_batch = 1;
 *     if (ptm_ctx_create(model, &cp, &ctx, &err) != PTM_OK) { ... }
 *     ptm_inputs in = {0};
 *     in.batch = 1;
 *     in.past_values = past;               // [1, context_length, num_input_channels]
 *     if (ptm_forward(ctx, &in, &err) != PTM_OK) { ... }
 *     ptm_tensor_view y;
 *     ptm_ctx_output(ctx, "prediction_outputs", &y, &err);   // [1, prediction_length, C']
 *     ptm_ctx_free(ctx);
 *     ptm_model_free(model);
 *
 * Errors: every fallible call returns ptm_status (PTM_OK == 0) and fills a caller-owned
 * ptm_error (may be NULL) naming the file, the field/tensor and what was expected. The
 * library never prints, never exits and never aborts on bad input. Names and values quoted
 * from files are stored with control characters escaped (`\n`, `\t`, `\x1b`...), so printing a
 * message never sends a raw newline or terminal escape sequence from a hostile file.
 *
 * Threads: a ptm_model is immutable after loading and may be shared by any number of
 * threads; a ptm_ctx holds all per-call state and must be used by one thread at a time.
 */
#ifndef PATCHTSMIXER_H
#define PATCHTSMIXER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PTM_VERSION_MAJOR 0
#define PTM_VERSION_MINOR 2
#define PTM_VERSION_PATCH 0
#define PTM_VERSION_STRING "0.2.0"

#if defined(__GNUC__) || defined(__clang__)
#define PTM_MUST_USE __attribute__((warn_unused_result))
#else
#define PTM_MUST_USE
#endif

/* ---------------------------------------------------------------- errors */

typedef enum {
    PTM_OK = 0,
    PTM_ERR_IO = 1,          /* a file is missing, unreadable or unwritable */
    PTM_ERR_FORMAT = 2,      /* malformed file: safetensors layout, JSON or CSV syntax */
    PTM_ERR_CONFIG = 3,      /* a config.json key has the wrong type or an invalid value */
    PTM_ERR_UNSUPPORTED = 4, /* a value this engine does not support */
    PTM_ERR_TENSOR = 5,      /* a tensor is missing, misshapen, unexpected or of the wrong dtype */
    PTM_ERR_INPUT = 6,       /* input data does not fit the model (shape, content) */
    PTM_ERR_NOMEM = 7,       /* out of memory */
    PTM_ERR_LIMIT = 8,       /* a resource limit would be exceeded */
    PTM_ERR_ARG = 9,         /* invalid argument to an API call */
    PTM_ERR_DIVERGED = 10    /* training stopped: a loss, gradient, weight or moment left the
                                finite range (nothing of that epoch was saved) */
} ptm_status;

typedef struct {
    ptm_status code;
    char file[512];  /* file concerned, or "" */
    char field[256]; /* config key, tensor name, CSV cell..., or "" */
    char text[768];  /* what was found and what was expected */
} ptm_error;

/* Short name of a status code ("io error", "format error", ...). */
const char *ptm_status_str(ptm_status code);
/* One line "file: field: text" written into buf (always NUL-terminated); returns buf. Control
 * characters are written as visible escapes (`\n`, `\r`, `\t`, `\xHH`, `\u00HH` for
 * U+0080..U+009F; bytes that are not valid UTF-8 as `\xHH`), even where a caller filled err's
 * fields itself. */
const char *ptm_error_message(const ptm_error *err, char *buf, size_t buf_size);

const char *ptm_version(void);

/* ---------------------------------------------------------------- configuration */

/* The model family a config describes (its "model_type"): the class below is read within it,
 * e.g. family PTM_FAMILY_TTM + PTM_CLASS_PREDICTION = TinyTimeMixerForPrediction. */
typedef enum {
    PTM_FAMILY_PATCHTSMIXER = 0, /* "patchtsmixer": Hugging Face PatchTSMixer* */
    PTM_FAMILY_TTM = 1           /* "tinytimemixer": IBM granite-tsfm TinyTimeMixer* */
} ptm_family;

typedef enum {
    PTM_CLASS_MODEL = 0,          /* PatchTSMixerModel (headless backbone); TinyTimeMixerModel */
    PTM_CLASS_PREDICTION = 1,     /* PatchTSMixerForPrediction; TinyTimeMixerForPrediction */
    PTM_CLASS_CLASSIFICATION = 2, /* PatchTSMixerForTimeSeriesClassification */
    PTM_CLASS_REGRESSION = 3,     /* PatchTSMixerForRegression */
    PTM_CLASS_PRETRAINING = 4     /* PatchTSMixerForPretraining */
} ptm_class;

typedef enum { PTM_MODE_COMMON_CHANNEL = 0, PTM_MODE_MIX_CHANNEL = 1 } ptm_mode;
typedef enum { PTM_NORM_LAYER = 0, PTM_NORM_BATCH = 1 } ptm_norm;
typedef enum { PTM_SCALING_NONE = 0, PTM_SCALING_STD = 1, PTM_SCALING_MEAN = 2 } ptm_scaling;
typedef enum {
    PTM_LOSS_MSE = 0,
    PTM_LOSS_NLL = 1,     /* PatchTSMixer's distribution heads */
    PTM_LOSS_MAE = 2,     /* TinyTimeMixer: mean absolute error */
    PTM_LOSS_PINBALL = 3, /* TinyTimeMixer: mean of max(q e, (q - 1) e), e = target - forecast */
    PTM_LOSS_HUBER = 4    /* TinyTimeMixer: torch HuberLoss(delta = huber_delta), mean */
} ptm_loss;
typedef enum {
    PTM_DIST_STUDENT_T = 0,
    PTM_DIST_NORMAL = 1,
    PTM_DIST_NEGATIVE_BINOMIAL = 2
} ptm_dist;
typedef enum {
    PTM_AGG_NONE = 0,
    PTM_AGG_MAX_POOL = 1,
    PTM_AGG_AVG_POOL = 2,
    PTM_AGG_USE_LAST = 3
} ptm_agg;
typedef enum { PTM_PE_SINCOS = 0, PTM_PE_RANDOM = 1 } ptm_pe;
typedef enum { PTM_MASK_RANDOM = 0, PTM_MASK_FORECAST = 1 } ptm_mask_type;

/* The TinyTimeMixerConfig fields PatchTSMixer has not (family PTM_FAMILY_TTM; zero in a
 * PatchTSMixer config). Shapes as in the TTM golden README: D d_model, Dd decoder_d_model. */
typedef struct {
    int adaptive_patching_levels; /* A: encoder levels (<= 0: one flat stack of num_layers) */
    int resolution_prefix_tuning; /* frequency-token prefix patch (num_patches counts it) */
    int frequency_token_vocab_size;
    int use_decoder;
    int decoder_num_layers;
    int decoder_d_model; /* Dd */
    int decoder_adaptive_patching_levels;
    int decoder_raw_residual; /* add Linear(patch_length -> Dd) of the scaled patches */
    ptm_mode decoder_mode;
    int prediction_filter_length;       /* Hf: the first Hf forecast steps; 0 = all (null) */
    int num_exogenous_channels;         /* E */
    int *exogenous_channel_indices;     /* sorted, or NULL */
    int enable_forecast_channel_mixing; /* the forecast channel mixer (FCM) head */
    int fcm_gated_attn;
    int fcm_context_length; /* w: steps of context each side of a forecast step */
    int fcm_use_mixer;
    int fcm_mix_layers;
    int fcm_prepend_past;
    int fcm_prepend_past_offset;      /* steps skipped at the end of the past; 0 = none (null) */
    int num_categorical;              /* n_cat static categorical variables */
    int *categorical_vocab_size_list; /* [n_cat], or NULL */
    float huber_delta;                /* loss "huber" */
    float quantile;                   /* loss "pinball" */
} ptm_ttm_config;

/* Every PatchTSMixerConfig field, with Hugging Face's defaults where config.json omits a key;
 * for family PTM_FAMILY_TTM the TinyTimeMixerConfig fields, with granite-tsfm's defaults (the
 * shared ones here, the others in ttm). */
typedef struct {
    ptm_class model_class;
    int context_length; /* L */
    int patch_length;   /* P */
    int patch_stride;
    int num_patches;        /* N, derived: (max(L,P)-P)/stride + 1 (+ 1 with TTM's prefix) */
    int num_input_channels; /* C */
    int d_model;            /* D */
    int expansion_factor;
    int num_layers; /* K */
    float dropout;
    float head_dropout;
    ptm_mode mode;
    int gated_attn;
    ptm_norm norm_mlp;
    int self_attn;
    int self_attn_heads;
    int use_positional_encoding;
    ptm_pe positional_encoding_type;
    ptm_scaling scaling;
    ptm_loss loss;
    ptm_dist distribution_output;
    int prediction_length;           /* H */
    int num_prediction_channels;     /* C' (== C when no indices are given) */
    int *prediction_channel_indices; /* sorted, or NULL */
    int num_targets;                 /* T */
    int has_output_range;
    float output_range[2];
    ptm_agg head_aggregation;
    float norm_eps;
    float init_std;
    int num_parallel_samples;
    /* masked pretraining */
    ptm_mask_type mask_type;
    double random_mask_ratio;
    int num_forecast_mask_patches_count;
    int *num_forecast_mask_patches; /* list (an int in config.json becomes a list of one) */
    int forecast_mask_patches_is_list;
    float mask_value;
    int masked_loss;
    int channel_consistent_masking;
    int num_unmasked_channels;
    int *unmasked_channel_indices; /* sorted, or NULL */
    int post_init;
    ptm_family family;  /* from "model_type" (last, so that the PatchTSMixer fields keep their
                           places in the ABI) */
    ptm_ttm_config ttm; /* family PTM_FAMILY_TTM only */
    int num_labels;     /* class names given by config.json's "id2label" (0: none) */
    char **id2label;    /* [num_labels] the name of class 0, 1, ..., or NULL; written back with
                           Hugging Face's "label2id" */
} ptm_config;

/* Hugging Face's PatchTSMixerConfig defaults (class PTM_CLASS_MODEL, no lists): the starting
 * point of an architecture built in code, e.g. for ptm_train_params. Overwrites all of *c. */
void ptm_config_defaults(ptm_config *c);
/* Parse config.json text (len bytes, no NUL needed; file names it in errors). Keys absent from
 * the text keep PatchTSMixerConfig's defaults; num_patches is derived and cross-field
 * constraints are checked. The class comes from "architectures"; when that key is absent or
 * null, default_class (a ptm_class) is used, or, with default_class = -1, the text is refused
 * (PTM_ERR_CONFIG). On success *c owns its lists (free with ptm_config_free); on failure it
 * owns nothing. Errors: PTM_ERR_FORMAT (JSON syntax), PTM_ERR_CONFIG, PTM_ERR_UNSUPPORTED. */
PTM_MUST_USE ptm_status ptm_config_parse(const char *text, size_t len, const char *file,
                                         int default_class, ptm_config *c, ptm_error *err);
/* ptm_config_parse of the file at path (at most 16 MiB; PTM_ERR_IO when it cannot be read,
 * PTM_ERR_FORMAT when it is empty). */
PTM_MUST_USE ptm_status ptm_config_load(const char *path, int default_class, ptm_config *c,
                                        ptm_error *err);
/* Free the lists a parsed config owns and set their pointers to NULL (the other fields are
 * kept); a second call, or NULL, is a no-op. Not for the config of a loaded model
 * (ptm_model_config), which the model owns. */
void ptm_config_free(ptm_config *c);

/* ---------------------------------------------------------------- model */

typedef struct ptm_model ptm_model;

/* Load dir/config.json and dir/model.safetensors. Every tensor the config implies must be
 * present with its exact shape; anything else is an error naming the tensor. */
PTM_MUST_USE ptm_status ptm_model_load(const char *dir, ptm_model **out, ptm_error *err);

/* How a model is loaded (ptm_model_load_ex); start from ptm_load_default_params(). */
typedef struct {
    size_t max_bytes; /* refuse (PTM_ERR_LIMIT, before anything large is allocated or read) a
                         model that would take more memory than this (ptm_model_memory_bytes);
                         0 = no limit [0] */
} ptm_load_params;
ptm_load_params ptm_load_default_params(void);
/* ptm_model_load with params (NULL = the defaults, which is what ptm_model_load uses). The
 * files are opened without blocking and must be regular files; model.safetensors must be
 * exactly as long as its header says, and its tensors are read straight into the model, each
 * weight kept once in the layout its inference kernels read: a load takes about the file's
 * size (plus the header, and a copy of the small patch-mixer weights that run on two paths),
 * never the file twice. */
PTM_MUST_USE ptm_status ptm_model_load_ex(const char *dir, const ptm_load_params *params,
                                          ptm_model **out, ptm_error *err);
/* The bytes of memory a model of cfg takes once loaded (ptm_model_load): its F32 parameters
 * and buffers, the second layout of the weights that need two, and its I64 buffers. The config
 * is checked as by the loader (PTM_ERR_CONFIG, PTM_ERR_UNSUPPORTED, PTM_ERR_LIMIT). */
PTM_MUST_USE ptm_status ptm_model_memory_bytes(const ptm_config *cfg, uint64_t *bytes,
                                               ptm_error *err);
void ptm_model_free(ptm_model *model); /* NULL is a no-op */
/* Write dir/config.json and dir/model.safetensors as HF save_pretrained does (dir is created). */
PTM_MUST_USE ptm_status ptm_model_save(const ptm_model *model, const char *dir, ptm_error *err);

/* ---------------------------------------------------------------- writing files
 * Every file the library and the command line write (model.safetensors, config.json, the
 * training state, loss.csv, charts, forecasts) goes through this one writer: the data go to a
 * new temporary file ".NAME.ptm-tmp-XXXXXX" in the target's folder, created exclusively
 * (O_CREAT | O_EXCL | O_NOFOLLOW: a link or file planted at a guessable name is never opened),
 * then fsync, rename over the target, fsync of the folder. Readers see the old file or the new
 * one, never a mix, whatever happens in between (a kill, a full disk). A target that exists
 * and is not a regular file - a symbolic link, a directory, a FIFO, a device such as /dev/full -
 * is refused with PTM_ERR_IO naming it, and nothing is written. Opening a writer also removes
 * the temporary files of the same target that writers killed earlier left behind. */

/* A file being written (ptm_file_writer_open). */
typedef struct ptm_file_writer ptm_file_writer;

/* Start replacing the file at path: *out gets a writer whose stream
 * (ptm_file_writer_stream) takes the new contents; end it with ptm_file_writer_commit or
 * ptm_file_writer_abort. Errors: PTM_ERR_IO (the folder is missing or not writable, the target
 * is not a regular file), PTM_ERR_ARG (no path or out), PTM_ERR_NOMEM. */
PTM_MUST_USE ptm_status ptm_file_writer_open(const char *path, ptm_file_writer **out,
                                             ptm_error *err);
/* The stdio stream that writes the temporary file (owned by the writer: do not close it). */
FILE *ptm_file_writer_stream(ptm_file_writer *w);
/* Flush and fsync what was written, rename it over the target and fsync the folder. The writer
 * is freed in every case; on failure (a write error such as a full disk, or the target turned
 * into something other than a regular file) the temporary file is removed, the old target is
 * untouched and PTM_ERR_IO names the target and the system error. */
PTM_MUST_USE ptm_status ptm_file_writer_commit(ptm_file_writer *w, ptm_error *err);
/* Drop what was written (the temporary file is removed, the target untouched) and free the
 * writer; NULL is a no-op. */
void ptm_file_writer_abort(ptm_file_writer *w);
/* Replace the file at path with data[0..len) through a writer (open, write, commit). */
PTM_MUST_USE ptm_status ptm_write_file(const char *path, const void *data, size_t len,
                                       ptm_error *err);

const ptm_config *ptm_model_config(const ptm_model *model);
const char *ptm_class_name(ptm_class c); /* "PatchTSMixerForPrediction", ... */
/* the class name of a config, within its family: "TinyTimeMixerForPrediction", ... */
const char *ptm_config_class_name(const ptm_config *c);
/* The trainable parameters. Hugging Face's num_parameters() also counts the frozen sincos
 * positional table (num_patches x d_model when use_positional_encoding is on with sincos):
 * `patchtsmixer info` prints that total and this number. */
int64_t ptm_model_num_params(const ptm_model *model);
/* Multiply-adds of one forward pass for one sample (one window of all channels). */
int64_t ptm_model_macs_per_sample(const ptm_model *model);

/* ---------------------------------------------------------------- inference context */

typedef struct ptm_ctx ptm_ctx;

typedef struct {
    int max_batch;          /* largest batch ptm_forward will be called with */
    int keep_hidden_states; /* also keep hidden_states.k of every layer [0: only the last one,
                               which costs the least memory] */
    int num_threads;        /* threads of this context's pool (created once, here); 0 or 1 =
                               the calling thread only. Results do not depend on it. [1] */
    int num_input_channels; /* channels of the inputs: 0 = the config's [0]. A
                               channel-independent TinyTimeMixer model (common_channel backbone
                               and decoder, no categorical variables, exogenous or forecast
                               channels, forecast channel mixer) takes any number, since its
                               weights do not depend on it; other models only their own
                               (PTM_ERR_UNSUPPORTED says why). Every shape of ptm_inputs and of
                               the outputs then counts these channels. */
} ptm_ctx_params;

/* max_batch 1, keep_hidden_states 0, num_threads 1, num_input_channels 0 */
ptm_ctx_params ptm_ctx_default_params(void);

/* An inference context (eval mode: dropout off, BatchNorm with running statistics). It never
 * writes the model: one model may be shared by any number of inference contexts and threads.
 * (ptm_ctx_params has no training flag: training needs ptm_ctx_create_train below.)
 * All memory of a context is allocated here; ptm_forward does not allocate. */
PTM_MUST_USE ptm_status ptm_ctx_create(const ptm_model *model, const ptm_ctx_params *params,
                                       ptm_ctx **out, ptm_error *err);
/* A training context: train mode (dropout on, BatchNorm with batch statistics), caches kept
 * for ptm_backward. Its forward passes WRITE the model: with BatchNorm they update the
 * running statistics (running_mean, running_var, num_batches_tracked) and nothing else; the
 * model must not be used by another thread meanwhile. The only calls that write a model are
 * this context's ptm_forward, and whatever the caller does with the weights itself (e.g. an
 * optimiser step with the gradients of ptm_ctx_grad). keep_hidden_states is implied. A model
 * from ptm_model_load first gets the second layout of its weights that backward reads (about
 * the model's size again; PTM_ERR_NOMEM leaves it as it was). */
PTM_MUST_USE ptm_status ptm_ctx_create_train(ptm_model *model, const ptm_ctx_params *params,
                                             ptm_ctx **out, ptm_error *err);
void ptm_ctx_free(ptm_ctx *ctx); /* NULL is a no-op */
/* bytes of activation and scratch memory the context allocated (what a batch costs) */
size_t ptm_ctx_memory_bytes(const ptm_ctx *ctx);

typedef struct {
    int batch;                    /* B, 1 .. max_batch */
    const float *past_values;     /* [B, L, C], all finite: 0 where missing */
    const float *observed_mask;   /* [B, L, C] 1 = observed, 0 = missing; NULL = all observed */
    const float *future_values;   /* Prediction: [B, H, C] (all channels); NULL = no loss */
    const float *target_values;   /* Regression: [B, T]; NULL = no loss */
    const int64_t *target_labels; /* Classification: [B] class indices; NULL = no loss */
    const float *patch_mask;      /* Pretraining: [B, C, N] 1 = masked; NULL = draw one */
    uint64_t mask_seed;           /* Pretraining: seed of the drawn mask */
    uint64_t dropout_seed;        /* training contexts: seed of the dropout masks */
    int past_length; /* time steps per sample of past_values and observed_mask: at least
                        context_length, of which the last context_length are used (as
                        TinyTimeMixer does); 0 = context_length */
    /* TinyTimeMixer only (PatchTSMixer models ignore them): */
    const int64_t *freq_token; /* with resolution_prefix_tuning: [B] frequency-token indices in
                                  [0, frequency_token_vocab_size) (the prefix patch) */
    const int64_t *static_categorical_values; /* with categorical_vocab_size_list: [B, n_cat],
                                                 category k of sample b in [0, vocab_k) */
    const float *future_observed_mask; /* Prediction: [B, H, C] 1 = the loss counts the value,
                                          0 = it does not; NULL = all count. (future_values
                                          also carries the known future of the exogenous
                                          channels that a forecast channel mixer reads; its
                                          other channels only enter the loss.) */
} ptm_inputs;

/* Forward pass: eval mode (dropout off, BatchNorm with running statistics), or train mode in a
 * context from ptm_ctx_create_train. */
PTM_MUST_USE ptm_status ptm_forward(ptm_ctx *ctx, const ptm_inputs *inputs, ptm_error *err);

typedef struct {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[4];
} ptm_tensor_view;

/* Outputs of the last ptm_forward, by the names of the golden files:
 *   patch_input [B,C,N,P], loc, scale [B,1,C'] (model.loc / model.scale [B,1,C] when
 *   prediction_channel_indices is set), hidden_states.k [B,C,N,D] (keep_hidden_states),
 *   last_hidden_state [B,C,N,D], loss [], and per class:
 *   Prediction mse: prediction_outputs [B,H,C']; nll: prediction_outputs.j, distribution_mean;
 *   Classification: prediction_outputs [B,T]; Regression mse: regression_outputs [B,T];
 *   nll: regression_outputs.j, distribution_mean; Pretraining: prediction_outputs [B,C,N,P],
 *   mask [B,C,N], masked_patch_input [B,C,N,P].
 * Views stay valid until the next ptm_forward or ptm_ctx_free. */
PTM_MUST_USE ptm_status ptm_ctx_output(const ptm_ctx *ctx, const char *name, ptm_tensor_view *out,
                                       ptm_error *err);
int ptm_ctx_num_outputs(const ptm_ctx *ctx);

/* Training contexts: gradients of the loss of the last ptm_forward with respect to every
 * trainable parameter (the forward must have computed a loss; its inputs must still be
 * valid). Gradients are overwritten, not accumulated. */
PTM_MUST_USE ptm_status ptm_backward(ptm_ctx *ctx, ptm_error *err);
/* The gradient of one parameter, by its Hugging Face name, after ptm_backward. */
PTM_MUST_USE ptm_status ptm_ctx_grad(const ptm_ctx *ctx, const char *name, ptm_tensor_view *out,
                                     ptm_error *err);

/* The index-th output of the last ptm_forward (0 .. ptm_ctx_num_outputs - 1), in the order
 * listed above. */
PTM_MUST_USE ptm_status ptm_ctx_output_at(const ptm_ctx *ctx, int index, ptm_tensor_view *out,
                                          ptm_error *err);

/* Distribution heads (loss "nll"): draw num_samples paths per window from the distribution of
 * the last ptm_forward, seeded; out is [B, num_samples, H, C'] for Prediction and
 * [B, num_samples, T] for Regression. Deterministic for a given seed. */
PTM_MUST_USE ptm_status ptm_ctx_sample(ptm_ctx *ctx, int num_samples, uint64_t seed, float *out,
                                       size_t out_count, ptm_error *err);

/* Quantiles over the sample axis of a [B, S, M] array of samples: out is [B, nq, M]. */
PTM_MUST_USE ptm_status ptm_quantiles(const float *samples, int batch, int num_samples, int64_t m,
                                      const float *q, int nq, float *out, ptm_error *err);

/* ---------------------------------------------------------------- streaming */

/* Online forecasting: push observations (rows of num_input_channels values: the config's, or
 * ptm_stream_params') as they arrive,
 * ask for the next prediction_length steps at any time once context_length rows were pushed.
 * Buffers and the context are allocated at creation; each forecast is one batch-1 forward. */
typedef struct ptm_stream ptm_stream;
typedef struct {
    int num_threads;        /* threads of the stream's context, as ptm_ctx_params.num_threads [1] */
    int num_input_channels; /* values per row: 0 = the config's, else as
                               ptm_ctx_params.num_input_channels (channel-independent
                               TinyTimeMixer models take any number) [0] */
    /* TinyTimeMixer only; each forecast passes them as ptm_inputs does for batch 1: */
    int64_t freq_token; /* models with resolution_prefix_tuning: the series' frequency token
                           (ptm_frequency_token of its time step), in [0,
                           frequency_token_vocab_size); -1 = none [-1] */
    const int64_t *static_categorical_values; /* models with categorical_vocab_size_list: the
                                                 series' [n_cat] codes, copied at creation
                                                 [NULL] */
} ptm_stream_params;
ptm_stream_params ptm_stream_default_params(void);
/* params NULL = ptm_stream_default_params(). The model is only read (as by ptm_ctx_create).
 * PTM_ERR_ARG (field freq_token / static_categorical_values) when a TinyTimeMixer model needs
 * a token or codes that params lack or has a vocabulary they are outside of, or when a model
 * without a prefix or categorical variables gets some. */
PTM_MUST_USE ptm_status ptm_stream_create(const ptm_model *model, const ptm_stream_params *params,
                                          ptm_stream **out, ptm_error *err);
void ptm_stream_free(ptm_stream *s); /* NULL is a no-op */
/* rows [n, C]; observed [n, C] 0/1 or NULL (all observed) */
PTM_MUST_USE ptm_status ptm_stream_push(ptm_stream *s, const float *rows, const float *observed,
                                        int n, ptm_error *err);
int64_t ptm_stream_rows(const ptm_stream *s); /* rows pushed so far */
/* *out = the forecast [H, C'] (the mean for distribution heads), valid until the next call */
PTM_MUST_USE ptm_status ptm_stream_forecast(ptm_stream *s, const float **out, ptm_error *err);

/* ---------------------------------------------------------------- CSV input */

/* A time-series CSV as people's files are: optional header, optional leading timestamp
 * column, one numeric column per channel, delimiter detected among ',' ';' TAB, quoted
 * fields, CRLF, UTF-8 BOM. Empty cells, NA/NaN/null and non-finite numbers are missing
 * (value 0, observed 0). */
typedef struct {
    size_t nrows;       /* data rows (header excluded) */
    size_t ncols;       /* numeric value columns (timestamp column excluded) */
    char **colnames;    /* ncols names (from the header, or "col0".. without a header) */
    int has_time;       /* 1 if the first column holds timestamps */
    char *time_colname; /* its header name, or NULL */
    char **time_text;   /* nrows original timestamp strings, or NULL */
    int64_t *time_sec;  /* nrows times in seconds since 1970-01-01 (UTC), or NULL */
    int time_parsed;    /* 1 when time_sec is set */
    float *values;      /* [nrows, ncols] row-major; missing cells are 0 */
    float *observed;    /* [nrows, ncols] 1 observed, 0 missing */
} ptm_csv;

/* path "-" reads standard input; delimiter 0 detects it. */
PTM_MUST_USE ptm_status ptm_csv_load(const char *path, char delimiter, ptm_csv *out,
                                     ptm_error *err);
void ptm_csv_free(ptm_csv *t); /* NULL is a no-op */
/* column index by exact name, -1 if absent */
int ptm_csv_find_column(const ptm_csv *t, const char *name);
/* The columns named in a comma-separated list ("OT,HUFL"), in list order, or every column when
 * list is NULL: idx (room for t->ncols entries) gets their indices, *count how many. An unknown
 * name is PTM_ERR_INPUT naming it (file = the CSV's name for the message). */
PTM_MUST_USE ptm_status ptm_csv_select_columns(const ptm_csv *t, const char *list, const char *file,
                                               int *idx, int *count, ptm_error *err);
/* The static categorical variables of one series (TinyTimeMixer's static_categorical_values;
 * granite-tsfm's static_categorical_columns, integer-encoded): the columns named in list
 * ("store,region"), whose cells must hold one integer code >= 0 in every data row of
 * [row0, row0 + nrows). idx (room for t->ncols) gets the columns' indices, codes (room for
 * t->ncols) their codes, *count how many. PTM_ERR_INPUT naming the column and the data row
 * (1-based) for a missing cell, a value that is not an integer in [0, 2^24), or a code other
 * than the first row's; an unknown name as ptm_csv_select_columns. */
PTM_MUST_USE ptm_status ptm_csv_static_codes(const ptm_csv *t, const char *list, size_t row0,
                                             size_t nrows, const char *file, int *idx,
                                             int64_t *codes, int *count, ptm_error *err);
/* 1 and *step when the last last_n timestamps (0 = all) are parsed and evenly spaced */
int ptm_csv_time_step(const ptm_csv *t, size_t last_n, int64_t *step);
/* TinyTimeMixer's frequency token (ptm_inputs.freq_token) of a time step in seconds, by
 * granite-tsfm's DEFAULT_FREQUENCY_MAPPING: 1 min 1, 2 min 2, 5 min 3, 10 min 4, 15 min 5,
 * 30 min 6, 1 h 7, 1 day 8, 1 week 9; any other step 0 ("oov", out of vocabulary). */
int ptm_frequency_token(int64_t step_seconds);
/* format seconds since the epoch in the style of the sample timestamp `like` */
void ptm_csv_format_time(int64_t sec, const char *like, char *buf, size_t n);

/* ---------------------------------------------------------------- long-format input (many series)
 * One row per series and time step, as statsforecast, Darts' from_group_dataframe, GluonTS'
 * PandasDataset, M5 and Monash lay it out:
 *
 *     unique_id,ds,y,price          (a header is required; column names by default as
 *     A,2024-01-01,10.5,1.0          statsforecast's: unique_id, ds, y; every other column
 *     A,2024-01-02,11.0,1.1          is a covariate, in file order)
 *     B,2024-01-01,3.2,0.9
 *
 * ptm_long_load groups the rows by id (series in the order of their first row) and sorts each
 * series by time (stable: rows with the same time keep their file order). ds holds timestamps
 * (the formats of ptm_csv) or, decided by the first data row, integers (time_sec is then the
 * integer itself). Value cells are read as by ptm_csv_load (empty, NA, NaN and non-finite
 * cells are missing values). Problems of one series (too short, a repeated time, uneven steps,
 * no values) are not load errors: ptm_long_series_check reports them one series at a time. */
typedef struct {
    ptm_csv table;    /* every row, grouped by series and sorted by time within each: has_time
                         and time_parsed are 1, time_colname is the ds column's name,
                         colnames the value columns (target and covariates) in file order */
    size_t nseries;   /* >= 1 */
    char **ids;       /* [nseries] the series ids, in the order of their first row */
    size_t *start;    /* [nseries + 1] series i is rows start[i] .. start[i + 1] - 1 */
    char *id_colname; /* the id column's name */
    int target;       /* index in table.colnames of the target column */
    int time_integer; /* 1: ds holds integers (time_text is their text), 0: timestamps */
} ptm_long;

/* The column names; NULL takes statsforecast's name. */
typedef struct {
    const char *id_column;     /* NULL = "unique_id" */
    const char *time_column;   /* NULL = "ds" */
    const char *target_column; /* NULL = "y" */
    char delimiter;            /* 0 = detect among comma, semicolon and TAB as ptm_csv_load does */
} ptm_long_params;

/* Read a long-format file (path "-" = standard input; at most 1 GiB); params NULL = the
 * defaults. On failure *out is zeroed (nothing to free). Errors: PTM_ERR_IO, PTM_ERR_LIMIT,
 * PTM_ERR_INPUT naming the line and column (no header, a missing or repeated column, a row
 * with a wrong cell count, an empty id, a time that does not parse or is of another kind than
 * the first row's, a value that is not a number), PTM_ERR_NOMEM, PTM_ERR_ARG. */
PTM_MUST_USE ptm_status ptm_long_load(const char *path, const ptm_long_params *params,
                                      ptm_long *out, ptm_error *err);
/* ptm_long_load on text[0..len) (name names it in errors; NULL = "<csv>"). */
PTM_MUST_USE ptm_status ptm_long_parse(const char *text, size_t len, const char *name,
                                       const ptm_long_params *params, ptm_long *out,
                                       ptm_error *err);
void ptm_long_free(ptm_long *t); /* zeroes *t; a zeroed struct or NULL is a no-op */
/* 1 when the header line of the file at path (a regular file; "-" and unreadable files give
 * 0) has the id and time columns of params (NULL = the defaults): the file is long-format. */
int ptm_long_sniff(const char *path, const ptm_long_params *params);
/* Can series i be forecast from its last n rows (n >= 1) of the value columns cols[0..ncols)?
 * PTM_OK with *step, the time step of those rows (0 when n is 1), or PTM_ERR_INPUT (field: the
 * series id) saying why not: fewer than n rows, a time repeated in them, steps of different
 * lengths, a column with no value in them. PTM_ERR_ARG for a bad i, n or column. */
PTM_MUST_USE ptm_status ptm_long_series_check(const ptm_long *t, size_t i, size_t n,
                                              const int *cols, int ncols, int64_t *step,
                                              ptm_error *err);

/* ---------------------------------------------------------------- data: splits, scaler, windows
 * The data pipeline of `patchtsmixer train` and `eval` on a CSV, for C programs that train or
 * evaluate in their own loop (the protocol of Informer/PatchTST/granite-tsfm):
 *
 *     ptm_csv t;                                    // ptm_csv_load("data/ETTh1.csv", 0, &t, &err)
 *     ptm_split sp;
 *     ptm_split_kind kind = ptm_split_kind_from_name("data/ETTh1.csv");   // hourly ETT
 *     if (ptm_split_make(kind, t.nrows, 512, 96, &sp, &err) != PTM_OK) { ... }
 *     ptm_std_scaler sc;
 *     ptm_scaler_fit(&sc, t.values, t.observed, t.nrows, (int)t.ncols, sp.train_begin,
 *                    sp.train_end, &err);                         // train rows only
 *     ptm_scaler_transform(&sc, t.values, t.observed, t.nrows);   // every row, in place
 *     ptm_windows w;
 *     ptm_windows_init(&w, t.values, t.observed, t.nrows, (int)t.ncols, 512, 96,
 *                      sp.train_begin, sp.train_end, &err);
 *     for (int epoch = 0; ...; epoch++) {
 *         ptm_windows_shuffle(&w, seed, epoch);
 *         for (size_t s = 0; s < w.count; s += B) {
 *             size_t n = ptm_windows_batch(&w, s, B, past, past_obs, future, NULL);
 *             ...   // ptm_forward on n windows; forecasts back to units: ptm_scaler_inverse
 *         }
 *     }
 *     ptm_windows_free(&w);
 *     ptm_scaler_free(&sc);
 *
 * On failure the output struct of each call is left zeroed (nothing to free).
 */

typedef enum {
    PTM_SPLIT_ETT_HOURLY = 0, /* ETTh1/ETTh2: 12/4/4 months of hourly rows */
    PTM_SPLIT_ETT_MINUTE = 1, /* ETTm1/ETTm2: 12/4/4 months of 15-minute rows */
    PTM_SPLIT_CUSTOM = 2      /* any other series: 70/10/20 % */
} ptm_split_kind;

/* Half-open row ranges; val_begin and test_begin are already moved back by context_length so
 * that the first forecast target of val (test) is the first row of that segment proper. */
typedef struct {
    size_t train_begin, train_end, val_begin, val_end, test_begin, test_end;
} ptm_split;

/* Kind from the base name of a path (directories are ignored): a name starting with "ETTh"
 * -> hourly ETT, "ETTm" -> 15-minute ETT, anything else (or NULL) -> custom. Case-sensitive. */
ptm_split_kind ptm_split_kind_from_name(const char *path);

/* The standard borders for a series of nrows rows, context_length L, prediction_length H:
 *   ETT hourly: train [0, 8640), val [8640-L, 11520), test [11520-L, 14400)
 *   ETT minute: the same times 4: train [0, 34560), val [34560-L, 46080), test [46080-L, 57600)
 *   custom:     num_train = int(0.7 n), num_test = int(0.2 n), num_val = n - num_train - num_test;
 *               train [0, num_train), val [num_train-L, num_train+num_val), test [n-num_test-L, n)
 * Segment ends beyond nrows are clipped to nrows, as Python slicing does in the reference
 * loaders. PTM_ERR_ARG when L or H < 1, out is NULL or kind is unknown; PTM_ERR_INPUT
 * (err->field names "train", "val" or "test") when a segment would start before row 0 or has
 * fewer than L + H rows (no window). */
PTM_MUST_USE ptm_status ptm_split_make(ptm_split_kind kind, size_t nrows, int context_length,
                                       int prediction_length, ptm_split *out, ptm_error *err);

/* Per-column mean and standard deviation of a fitted standard scaler. */
typedef struct {
    int ncols;
    float *mean; /* [ncols] */
    float *std;  /* [ncols] */
} ptm_std_scaler;

/* sklearn StandardScaler fitted on rows [begin, end) of values [nrows, ncols], using only the
 * observed cells (observed may be NULL = all observed). Statistics are accumulated in double;
 * the variance is the population one (ddof 0) with sklearn's correction term. A constant column
 * (sklearn's test: var <= n*eps*var + (n*mean*eps)^2) gets std 1; a column without any observed
 * cell gets mean 0 and std 1. PTM_ERR_ARG for a NULL scaler or values, ncols < 1 or a bad range;
 * PTM_ERR_NOMEM. On failure *s is zeroed. Free with ptm_scaler_free. */
PTM_MUST_USE ptm_status ptm_scaler_fit(ptm_std_scaler *s, const float *values,
                                       const float *observed, size_t nrows, int ncols, size_t begin,
                                       size_t end, ptm_error *err);
/* In place over all nrows rows of [nrows, s->ncols]: (x - mean) / std computed in double;
 * cells with observed == 0 are set to 0. observed may be NULL. No-op on a zeroed scaler. */
void ptm_scaler_transform(const ptm_std_scaler *s, float *values, const float *observed,
                          size_t nrows);
/* In place x * std + mean over [count_rows, ncols]; output column j uses scaler column cols[j]
 * (cols NULL = identity). Columns that map outside [0, s->ncols) are left unchanged. */
void ptm_scaler_inverse(const ptm_std_scaler *s, float *values, size_t count_rows, int ncols,
                        const int *cols);
void ptm_scaler_free(ptm_std_scaler *s); /* zeroes *s; a zeroed scaler or NULL is a no-op */

/* Sliding windows (stride 1) over a row segment [begin, end) of a [nrows, ncols] series:
 * window i has past rows [begin+i, begin+i+L) and future rows [begin+i+L, begin+i+L+H);
 * count = end - begin - L - H + 1. The series is borrowed: it must outlive the windows. */
typedef struct {
    const float *values;   /* [nrows, ncols], not owned */
    const float *observed; /* [nrows, ncols] or NULL (all observed), not owned */
    size_t nrows;
    int ncols;
    int L, H;
    size_t begin, count;
    size_t *order; /* permutation of [0, count): the order batches take windows in */
} ptm_windows;

/* PTM_ERR_ARG for a NULL w or values, ncols < 1, L or H < 1, or begin > end or end > nrows;
 * PTM_ERR_INPUT when the segment is shorter than L + H; PTM_ERR_LIMIT, PTM_ERR_NOMEM. order
 * starts as the identity. On failure *w is zeroed. Free with ptm_windows_free. */
PTM_MUST_USE ptm_status ptm_windows_init(ptm_windows *w, const float *values, const float *observed,
                                         size_t nrows, int ncols, int L, int H, size_t begin,
                                         size_t end, ptm_error *err);
/* Reset order to the identity, then Fisher-Yates (i from count-1 down to 1, j uniform in
 * [0, i]) with the library's xoshiro256** generator seeded with one
 * splitmix64 step of (seed ^ (epoch * 0xD1B54A32D192ED03)). The result depends only on (seed,
 * epoch, count), on every platform. No-op on a zeroed struct or NULL. */
void ptm_windows_shuffle(ptm_windows *w, uint64_t seed, int epoch);
/* Fill a batch with the windows at positions [start, start+n) of order: past [n, L, C],
 * past_observed [n, L, C], future [n, H, C], future_observed [n, H, C]; any but past may be
 * NULL. Observed arrays are all 1 when the series has no mask. Returns the number of windows
 * filled: min(n, count - start), 0 when start >= count. */
size_t ptm_windows_batch(const ptm_windows *w, size_t start, size_t n, float *past,
                         float *past_observed, float *future, float *future_observed);
void ptm_windows_free(ptm_windows *w); /* zeroes *w; a zeroed struct or NULL is a no-op */

/* ---------------------------------------------------------------- preprocessing saved with a model
 * MODEL_DIR/preprocessor_config.json (written by `train`, format in docs/preprocessor.md): the
 * input columns by name in channel order and their roles, the standard scaler fitted on the
 * training split (if the data were scaled), the timestamps' column, pattern and step, and how
 * the model was trained. `predict`, `eval` and the Python binding pick the columns by name and
 * apply the scaler (forecasts come back in the data's units); a directory without the file
 * (a Hugging Face checkpoint) is used as before. */
typedef struct {
    int present;            /* 0: the directory has no preprocessor_config.json */
    int ncols;              /* the model's input channels */
    char **columns;         /* [ncols] their CSV column names, in channel order */
    int *is_target;         /* [ncols] 1 = forecast (target) channel, 0 = covariate input */
    ptm_std_scaler scaler;  /* fitted on the training split; zeroed (ncols 0) = not scaled */
    char *timestamp_column; /* or NULL */
    char *timestamp_format; /* strftime-like pattern, e.g. "%Y-%m-%d %H:%M:%S", or NULL */
    int64_t time_step;      /* seconds between rows, 0 = unknown or irregular */
    char *training_data;    /* the training file, or NULL */
    char *training_command; /* the command line that trained the model, or NULL */
    char *id_column;        /* trained on long-format data: its series id column, else NULL
                               (its time column is timestamp_column) */
    char *target_column;    /* long format: its target column (one of columns), else NULL */
} ptm_preprocessor;

/* Read MODEL_DIR/preprocessor_config.json into *out (present = 1), or leave *out zeroed
 * (present = 0) when there is none. Errors: PTM_ERR_IO (unreadable, not a regular file),
 * PTM_ERR_FORMAT (JSON), PTM_ERR_CONFIG (unknown key, wrong type or value; field names it). */
PTM_MUST_USE ptm_status ptm_preprocessor_load(const char *model_dir, ptm_preprocessor *out,
                                              ptm_error *err);
/* ptm_preprocessor_load's parser on text[0..len) (file names it in errors). */
PTM_MUST_USE ptm_status ptm_preprocessor_parse(const char *text, size_t len, const char *file,
                                               ptm_preprocessor *out, ptm_error *err);
/* Write MODEL_DIR/preprocessor_config.json (atomically; is_target NULL = every column a
 * target; the library's version is added). PTM_ERR_ARG for no columns, an empty or invalid
 * UTF-8 name, or no target. */
PTM_MUST_USE ptm_status ptm_preprocessor_save(const ptm_preprocessor *p, const char *model_dir,
                                              ptm_error *err);
/* idx[j] (room for p->ncols) = the column of t named p->columns[j]. PTM_ERR_INPUT naming the
 * first column t lacks, with the names the model was trained on. */
PTM_MUST_USE ptm_status ptm_preprocessor_columns(const ptm_preprocessor *p, const ptm_csv *t,
                                                 const char *file, int *idx, ptm_error *err);
void ptm_preprocessor_free(ptm_preprocessor *p); /* zeroes *p; NULL is a no-op */

/* ================================================================ training (high level)
 * The whole training loop of `patchtsmixer train` behind one call (src/train/): data -> split
 * -> scaler -> windows -> AdamW epochs with validation, early stopping and checkpoints in
 * Hugging Face format:
 *
 *     ptm_train_params p = ptm_train_default_params();
 *     p.config_path = "my_config.json";   // architecture (HF config.json), or NULL
 *     p.epochs = 10;
 *     ptm_train_summary sum;
 *     if (ptm_train_csv("data/ETTh1.csv", "runs/x", &p, &sum, &err) != PTM_OK) { ... }
 *     // runs/x/config.json + runs/x/model.safetensors: the best model (ptm_model_load)
 *     ptm_eval_result ev;
 *     if (ptm_eval_file("runs/x", "data/ETTh1.csv", NULL, "test", 0, &ev, &err) != PTM_OK) ...
 */

typedef enum {
    PTM_TRAIN_FORECAST = 0, /* PatchTSMixerForPrediction from a CSV */
    PTM_TRAIN_CLASSIFY = 1, /* PatchTSMixerForTimeSeriesClassification from a UEA .ts file */
    PTM_TRAIN_REGRESS = 2,  /* PatchTSMixerForRegression from a Monash TSER .ts file */
    PTM_TRAIN_PRETRAIN = 3  /* PatchTSMixerForPretraining (masked reconstruction) from a CSV */
} ptm_train_task;

/* Learning-rate schedules over all steps of a run (PyTorch's semantics): constant; linear
 * warm-up (warmup_frac of the steps) then cosine decay to 0; OneCycleLR (cosine annealing,
 * pct_start 0.3, div_factor 25, final_div_factor 1e4). */
typedef enum { PTM_LR_CONSTANT = 0, PTM_LR_COSINE = 1, PTM_LR_ONECYCLE = 2 } ptm_lr_schedule;

/* What ptm_train_csv runs; start from ptm_train_default_params() (defaults in brackets).
 * Strings and config are only read during the call. */
typedef struct {
    ptm_train_task task;
    const char *config_path;  /* Hugging Face config.json giving the architecture, or NULL */
    const char *config_json;  /* the same as JSON text, used when config_path is NULL; both NULL
                                 (and config NULL): PatchTSMixerConfig's defaults. The data sets
                                 the channels. */
    const char *init_from;    /* checkpoint whose backbone to start from (fine-tuning), or NULL */
    int freeze_backbone;      /* train the head only (linear probing) */
    const char *test_path;    /* .ts test file (classify, regress), or NULL */
    const char *columns;      /* CSV columns to use as channels, "a,b,c"; NULL = all numeric */
    int epochs;               /* [10] */
    int batch_size;           /* [64] */
    float lr;                 /* peak learning rate [1e-3] */
    float weight_decay;       /* AdamW [0] */
    float clip_norm;          /* global gradient-norm clipping, 0 = off [1] */
    ptm_lr_schedule schedule; /* [PTM_LR_ONECYCLE] */
    float warmup_frac;        /* cosine: warm-up share of all steps [0.1] */
    int patience;             /* early stopping after this many epochs without improvement [5] */
    int64_t max_steps;        /* stop after this many optimiser steps, 0 = no limit */
    uint64_t seed;            /* [42]; same seed, data and threads: identical checkpoints */
    int resume;               /* continue from out_dir/last */
    /* optional reporting, called from the training thread; user is passed back */
    void (*log)(void *user, int progress, const char *line); /* progress = 1: transient line */
    void (*on_epoch)(void *user, int epoch, double train_loss, double val_loss); /* from 1 */
    void *user;
    const ptm_config *config; /* the architecture as a struct (all fields set, e.g. a loaded
                                 model's ptm_model_config), or NULL; used before config_path and
                                 config_json, and copied: model_class follows task, the data sets
                                 the channels (and the classes) */
    int num_threads;          /* threads per training and evaluation context [1]; 0 or 1 = the
                                 calling thread only. Results do not depend on it. */
    int stop_after_epochs;    /* stop after this many epochs as if interrupted (out_dir/last
                                 holds the state, resume continues) while the schedule still
                                 spans `epochs`; 0 = run to the end [0] */
    const char *command;      /* how the run was started (e.g. the command line), recorded in
                                 out_dir/preprocessor_config.json, or NULL */
    float few_shot;           /* forecast, pretrain: train on this fraction (0, 1) of the
                                 training windows, a subset drawn once from seed (at least one
                                 window); 0 = all [0] */
    const ptm_long_params *long_format; /* forecast, pretrain: data_path is a long-format file
                                 (many series: id, time, target and covariate columns named
                                 here, ptm_long_load) instead of a wide CSV; NULL = wide [NULL].
                                 Each series is split by itself: its last prediction_length
                                 rows test, the prediction_length before them validate, the
                                 rest trains (a series needs context_length + 3 x
                                 prediction_length rows at a regular step); columns names value
                                 columns (NULL = all, in file order) and must include the
                                 target. A series that cannot be used is skipped (on_skipped,
                                 and the log) and the others train. */
    void (*on_skipped)(void *user, const char *series_id, const char *reason); /* long format:
                                 called once per skipped series, before training starts */
    const char *static_categorical_columns; /* TinyTimeMixer with categorical_vocab_size_list:
                                               the CSV columns of the series' integer codes, as
                                               ptm_eval_params' (not channels) [NULL] */
    int val_every; /* also validate after every val_every optimiser steps of an epoch; a better
                      validation loss there saves the best model as at an epoch's end, and an
                      epoch that saved one resets the patience count (for data that overfits
                      within an epoch or two); 0 = at epoch ends only [0] */
} ptm_train_params;

/* What a run did and how the best model scores on the test data. */
typedef struct {
    int epochs_run;                  /* epochs completed (including resumed ones) */
    int best_epoch;                  /* 1-based epoch of the saved (best) model */
    int64_t steps;                   /* optimiser steps in total */
    double best_val;                 /* validation loss of the saved model */
    double test_mse, test_mae;       /* forecasting (scaled space), regression (units), pretraining
                                        (test_mse: the masked reconstruction loss) */
    double test_accuracy;            /* classification */
    double seconds, samples_per_sec; /* wall time and training throughput */
    double baseline_accuracy;        /* classification: always the training set's majority class */
    double baseline_mse, baseline_mae; /* on the same test data: regression, the training mean as
                                          the prediction (units); forecasting, the last observed
                                          value repeated over the horizon (scaled space) */
    size_t series, series_skipped;     /* long format: series trained on, series skipped */
    double val_mse, val_mae; /* forecasting: the saved model on the validation windows (scaled
                                space), whatever loss it trained with: the figure that compares
                                runs trained with different losses (NAN otherwise) */
} ptm_train_summary;

/* The optimisation defaults of `patchtsmixer train` (values in brackets above). */
ptm_train_params ptm_train_default_params(void);
/* Train on data_path (a CSV for forecast / pretrain, a .ts file for classify / regress) and
 * write checkpoints to out_dir (created): out_dir/config.json + model.safetensors hold the
 * model with the lowest validation loss, out_dir/last/ the latest state for resume (the model,
 * optimizer.safetensors with the AdamW moments, trainer_state.json), each written atomically.
 * summary may be NULL; it is zeroed when the call fails. A training or validation loss, a
 * gradient norm, a weight or an AdamW moment that leaves the finite range (or the bounds a
 * resume accepts) stops the run with PTM_ERR_DIVERGED naming the epoch and step, before
 * anything of that epoch is saved: out_dir and out_dir/last keep the previous state. */
PTM_MUST_USE ptm_status ptm_train_csv(const char *data_path, const char *out_dir,
                                      const ptm_train_params *params, ptm_train_summary *summary,
                                      ptm_error *err);

/* ================================================================ evaluation
 * A saved model's metrics, as `patchtsmixer eval` prints them. */

/* Metrics of ptm_eval_file. Fields that do not apply to the model's class are 0. */
typedef struct {
    double mse, mae;         /* forecasting: errors of the point forecast in the scaled space
                                (the literature's protocol); pretraining: mse = the masked
                                reconstruction loss */
    double mse_raw, mae_raw; /* forecasting: the same errors in the data's original units */
    double corr;             /* forecasting: Pearson correlation of forecast and truth (scaled) */
    size_t windows;          /* CSV: windows evaluated */
    int classifier;          /* .ts: 1 for a classifier (accuracy), 0 for a regressor */
    double accuracy;         /* classification */
    double rmse, reg_mae;    /* regression, in the targets' units */
    size_t cases;            /* .ts: cases evaluated */
} ptm_eval_result;

/* Evaluate the model saved in model_dir (ptm_model_load) on data_path, by the model's class:
 * a forecaster or pretrainer on one split of a CSV (split "train", "val" or "test", NULL =
 * "test": the standard split of ptm_train_csv for the model's context and horizon, scaled by a
 * StandardScaler fitted on the training rows; columns as in ptm_train_params, NULL = all), a
 * classifier or regressor on every case of a .ts file (columns and split unused). batch: the
 * largest forward batch, < 1 = 256. A PatchTSMixerModel (no head) is PTM_ERR_UNSUPPORTED, a
 * channel count other than the model's PTM_ERR_INPUT. */
PTM_MUST_USE ptm_status ptm_eval_file(const char *model_dir, const char *data_path,
                                      const char *columns, const char *split, int batch,
                                      ptm_eval_result *res, ptm_error *err);

/* What ptm_eval_file_ex evaluates; start from ptm_eval_default_params() (defaults in
 * brackets). */
typedef struct {
    const char *columns;                    /* as ptm_eval_file's [NULL] */
    const char *split;                      /* as ptm_eval_file's [NULL = "test"] */
    int batch;                              /* as ptm_eval_file's [0 = 256] */
    const char *static_categorical_columns; /* TinyTimeMixer models with static categorical
                                               variables (categorical_vocab_size_list): the CSV
                                               columns of their integer codes, one per variable
                                               in order, one code per column in every data row
                                               (ptm_csv_static_codes); never channels [NULL] */
} ptm_eval_params;
ptm_eval_params ptm_eval_default_params(void);
/* ptm_eval_file with its arguments in a struct, and the static categorical codes of
 * TinyTimeMixer models: PTM_ERR_INPUT when such a model gets none (or a column count or code
 * outside its vocabulary, naming the column), PTM_ERR_ARG when another model gets some. */
PTM_MUST_USE ptm_status ptm_eval_file_ex(const char *model_dir, const char *data_path,
                                         const ptm_eval_params *params, ptm_eval_result *res,
                                         ptm_error *err);

/* ================================================================ backtesting and metrics
 * Forecast accuracy metrics (src/train/metrics.c) and a rolling-origin backtest of a saved
 * forecaster on a CSV (src/train/backtest.c, `patchtsmixer backtest`):
 *
 *     ptm_backtest_params bp = ptm_backtest_default_params();
 *     bp.split = "test";                      // or bp.start / bp.end: rows to forecast
 *     bp.season = 24;                         // MASE: seasonal-naive scale of period 24
 *     ptm_backtest_result r;
 *     if (ptm_backtest_file("runs/x", "data/ETTh1.csv", &bp, &r, &err) != PTM_OK) { ... }
 *     printf("MASE %g over %zu origins\n", r.all.mase, r.norigins);
 *     ptm_backtest_free(&r);
 *
 * The array functions skip points whose observed entry is 0 (observed NULL = all observed)
 * and return NAN when no point is left. */

/* intervals a backtest reports (pairs of quantiles) */
#define PTM_METRIC_MAX_INTERVALS 8

/* mean of (f - y)^2 */
double ptm_metric_mse(const float *y, const float *f, const float *observed, size_t n);
/* mean of |f - y| */
double ptm_metric_mae(const float *y, const float *f, const float *observed, size_t n);
/* the M4 sMAPE in %: 200/n sum |y - f| / (|y| + |f|), a 0/0 term counted 0 */
double ptm_metric_smape(const float *y, const float *f, const float *observed, size_t n);
/* MASE's scale: the in-sample MAE of the seasonal naive forecast x[i - season] over the pairs
 * of x[0..n) observed at both ends; MASE = MAE / scale. NAN for season < 1 or no pair. */
double ptm_metric_mase_scale(const float *x, const float *observed, size_t n, int season);
/* the CRPS of one point y from num_samples draws (the sample estimator
 * E|X - y| - E|X - X'| / 2); sorts samples in place. NAN when num_samples < 1. */
double ptm_metric_crps(float *samples, int num_samples, double y);
/* the share of points with lo <= y <= hi */
double ptm_metric_coverage(const float *y, const float *lo, const float *hi, const float *observed,
                           size_t n);

/* The metrics of a group of forecast points (one origin of one series, one series, all). */
typedef struct {
    double mse, mae, rmse; /* in the data's units (after the preprocessor's scaler) */
    double mase;           /* MAE / the series' seasonal-naive scale on the training split */
    double smape;          /* %, the M4 definition */
    double mse_scaled, mae_scaled;             /* in the model's scaled space (literature) */
    double crps;                               /* distribution heads, in units; else NAN */
    double coverage[PTM_METRIC_MAX_INTERVALS]; /* share inside interval k; unused: NAN */
    size_t points;                             /* observed forecast points */
} ptm_metrics;

/* What ptm_backtest_file runs; start from ptm_backtest_default_params() (defaults in
 * brackets). */
typedef struct {
    const char *columns;    /* as ptm_eval_file [NULL: the preprocessor's, or all] */
    const char *split;      /* "train", "val" or "test" [NULL = "test"]: the standard split of
                               ptm_split_make; unused when start or end is set */
    long start, end;        /* forecast the rows [start, end) of the CSV instead (-1: unset;
                               start alone: to the end; end alone: from context_length) [-1] */
    int stride;             /* rows between origins, 0 = prediction_length [0] */
    int season;             /* MASE period [1] */
    int num_samples;        /* distribution heads: sampled paths for CRPS and intervals [100] */
    uint64_t seed;          /* sampling seed [0]: a batch of origins draws with seed + the index
                               of its first origin (the same seed and batch: the same draws) */
    const float *quantiles; /* interval bounds, paired from the outside in: (q[0], q[n-1]),
                               (q[1], q[n-2]) ...; an even count, ascending in (0, 1)
                               [NULL: 0.1, 0.9] */
    int num_quantiles;
    int batch; /* origins per forward, < 1 = 64 (distribution heads: fewer when
                  the batch's samples would pass 2^24 values) */
    /* Long-format data (many series: unique_id, ds, y, covariates; ptm_long_load), as
     * statsforecast's cross_validation: each series gets `windows` origins, the last one
     * forecasting its last prediction_length rows, each earlier one stride rows before it.
     * A file whose header has unique_id and ds (ptm_long_sniff) is read this way; long_format
     * names other columns (and forces the long reading). split, start and end are for wide
     * CSVs, windows for long ones. */
    int windows;                        /* origins per series [0 = 1] */
    const ptm_long_params *long_format; /* [NULL: sniffed with the default names] */
} ptm_backtest_params;
ptm_backtest_params ptm_backtest_default_params(void);

/* A backtest: origin k forecasts the prediction_length rows after its cutoff row
 * cutoff_row[k] (the last row of its context) from the context_length rows up to it. */
typedef struct {
    int nseries;      /* the forecast channels */
    char **series;    /* [nseries] their CSV column names */
    int distribution; /* 1: a distribution head (crps, coverage set) */
    int nintervals;   /* intervals, coverage[0 .. nintervals) */
    float lo_q[PTM_METRIC_MAX_INTERVALS], hi_q[PTM_METRIC_MAX_INTERVALS]; /* their quantiles */
    int prediction_length, stride, season;
    size_t first_row, end_row; /* the rows forecast: [first_row, end_row) */
    size_t norigins;
    size_t *cutoff_row;      /* [norigins] */
    char **cutoff_time;      /* [norigins] the cutoff rows' timestamps, or NULL (none) */
    double *mase_scale;      /* [nseries] in units; NAN when the training split has none */
    ptm_metrics *per_origin; /* [norigins, nseries] */
    ptm_metrics *per_series; /* [nseries]: over every origin's points */
    ptm_metrics all;         /* the mean of per_series over the series where each is set
                                (points: their sum) */
    /* long-format data: series are the ids, origins the windows of each series; cutoff_row
     * and cutoff_time are NULL, first_row and end_row 0 */
    int long_format;    /* 1: the data were long-format */
    char **cutoff_at;   /* [norigins, nseries] each series' cutoffs (its ds text) */
    size_t nskipped;    /* series left out (too short, gaps, repeated times, ...) */
    char **skipped;     /* [nskipped] their ids */
    char **skip_reason; /* [nskipped] why, one line each */
} ptm_backtest_result;

/* Rolling-origin evaluation of the forecaster saved in model_dir on a CSV, as ptm_eval_file
 * reads it (the preprocessor's columns and scaler, else a scaler fitted on the training
 * split): origins every stride rows over the rows to forecast, every origin's forecast
 * complete within them. On long-format data (see ptm_backtest_params) the metrics are those
 * of the target column, per series id; the model's channels are the preprocessor's columns by
 * name, else params->columns, else every value column when there are as many as channels,
 * else the target alone for a one-channel model; values are scaled by the preprocessor's
 * scaler if it has one (the scaled-space metrics are then in its space, else in the data's
 * units); MASE's scale is each series' rows before its first forecast row. A series without
 * context_length + prediction_length + (windows - 1) * stride usable rows is skipped with its
 * reason (no series left: PTM_ERR_INPUT). params NULL = the defaults. PTM_ERR_UNSUPPORTED for a
 * model that is not a forecaster; PTM_ERR_ARG for bad parameters (field names it); PTM_ERR_INPUT
 * for too few rows. On failure *res is zeroed. Free with ptm_backtest_free. */
PTM_MUST_USE ptm_status ptm_backtest_file(const char *model_dir, const char *data_path,
                                          const ptm_backtest_params *params,
                                          ptm_backtest_result *res, ptm_error *err);
void ptm_backtest_free(ptm_backtest_result *r); /* zeroes *r; NULL is a no-op */

#ifdef __cplusplus
}
#endif
#endif
