/* test_model.c - loading checkpoints (and refusing bad ones), the inference API's argument
 * checks, and unit tests of single layers, so that a golden failure can be located.
 * Bad checkpoints are made in a temporary folder from a golden case: config.json edited as
 * text, model.safetensors rewritten with tensors dropped, reshaped, retyped or added. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/config.h"
#include "io/safetensors.h"
#include "layers/layers.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "testutil.h"

#define CASE "tests/golden/fc_common_gated_ln_std"

static char tmpdir[256];

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (b) b[n] = 0;
    fclose(f);
    return b;
}

static char *replace1(char *cfg, const char *from, const char *to) {
    char *at = cfg ? strstr(cfg, from) : NULL;
    if (!at) {
        fprintf(stderr, "test setup: '%s' not in config\n", from);
        return cfg;
    }
    size_t pre = (size_t)(at - cfg);
    char *out = malloc(strlen(cfg) + strlen(to) + 1);
    memcpy(out, cfg, pre);
    strcpy(out + pre, to);
    strcat(out, at + strlen(from));
    free(cfg);
    return out;
}

/* tmpdir/config.json = golden config with `from` replaced by `to`, and from2 by to2 */
static void config_with2(const char *from, const char *to, const char *from2, const char *to2) {
    char *cfg = replace1(read_text(CASE "/config.json"), from, to);
    if (from2) cfg = replace1(cfg, from2, to2);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    write_text(path, cfg ? cfg : "");
    free(cfg);
}

static void config_with(const char *from, const char *to) {
    config_with2(from, to, NULL, NULL);
}

static ptm_status load_tmp(ptm_error *err) {
    ptm_model *m = NULL;
    ptm_status s = ptm_model_load(tmpdir, &m, err);
    ptm_model_free(m);
    return s;
}

/* rewrite tmpdir/model.safetensors from the golden one: mode 0 drop tensor `name`, 1 give it
 * shape [1], 2 store it as I64, 3 add an extra tensor `name` */
static void weights_with(int mode, const char *name) {
    st_file f = {0};
    ptm_error err;
    if (st_load(CASE "/model.safetensors", &f, &err) != PTM_OK) return;
    st_write_entry *e = calloc(f.count + 1, sizeof *e);
    size_t n = 0;
    int64_t one = 1;
    static float extra[4];
    for (size_t i = 0; i < f.count; i++) {
        const st_tensor *t = &f.tensors[i];
        st_write_entry w;
        memset(&w, 0, sizeof w);
        w.name = t->name;
        w.dtype = t->dtype;
        w.ndim = t->ndim;
        for (int k = 0; k < t->ndim; k++) w.shape[k] = t->shape[k];
        w.data = t->data;
        if (strcmp(t->name, name) == 0) {
            if (mode == 0) continue;
            if (mode == 1) {
                w.ndim = 1;
                w.shape[0] = 1;
            }
            if (mode == 2) {
                w.dtype = ST_I64;
                w.ndim = 0;
                w.data = &one;
            }
        }
        e[n++] = w;
    }
    if (mode == 3) {
        memset(&e[n], 0, sizeof e[n]);
        e[n].name = name;
        e[n].dtype = ST_F32;
        e[n].ndim = 1;
        e[n].shape[0] = 4;
        e[n].data = extra;
        n++;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
    if (st_write(path, e, n, &err) != PTM_OK) fprintf(stderr, "setup: %s\n", err.text);
    free(e);
    st_free(&f);
}

static void restore_weights(void) {
    weights_with(3 + 100, "");
}

TEST(test_config_errors) {
    ptm_error err;
    restore_weights();
    config_with("\"d_model\": 16", "\"d_model\": \"16\"");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    CHECK(strstr(err.field, "d_model") && strstr(err.text, "expected an integer"));
    config_with("\"d_model\": 16", "\"d_model\": 16.5");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    config_with("\"mode\": \"common_channel\"", "\"mode\": \"hybrid\"");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_UNSUPPORTED);
    CHECK(strstr(err.field, "mode") && strstr(err.text, "mix_channel"));
    config_with("\"norm_mlp\": \"LayerNorm\"", "\"norm_mlp\": \"GroupNorm\"");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_UNSUPPORTED);
    config_with("\"scaling\": \"std\"", "\"scaling\": \"robust\"");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_UNSUPPORTED);
    CHECK(strstr(err.field, "scaling") != NULL);
    config_with("\"loss\": \"mse\"", "\"loss\": \"mae\"");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_UNSUPPORTED);
    config_with("\"gated_attn\": true", "\"gated_attn\": 1");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    CHECK(strstr(err.text, "true or false") != NULL);
    config_with("\"PatchTSMixerForPrediction\"", "\"PatchTSTForPrediction\"");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_UNSUPPORTED);
    CHECK(strstr(err.field, "architectures") != NULL);
    config_with("\"num_patches\": 8", "\"num_patches\": 9");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    config_with("\"patch_length\": 8", "\"patch_length\": 64");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    config_with("\"d_model\": 16", "\"d_model\": 1000000000");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    config_with("\"prediction_channel_indices\": null", "\"prediction_channel_indices\": [0, 7]");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    config_with("\"prediction_channel_indices\": null", "\"prediction_channel_indices\": [1, 1]");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    config_with2("\"self_attn\": false", "\"self_attn\": true", "\"self_attn_heads\": 1",
                 "\"self_attn_heads\": 3");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    CHECK(strstr(err.text, "not divisible") != NULL);
    config_with("\"self_attn\": false", "\"self_attn\": true");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR); /* the attention weights are missing */
    config_with("{", "[");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_FORMAT);
    config_with("\"context_length\": 64,", "\"context_length\": 64,,");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_FORMAT);
    CHECK(err.text[0] != 0 && strstr(err.file, "config.json") != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    write_text(path, "");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_FORMAT);
    write_text(path, "{\"model_type\": \"patchtsmixer\"}");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_CONFIG);
    CHECK(strstr(err.field, "architectures") != NULL);
    unlink(path);
    CHECK_STATUS(load_tmp(&err), PTM_ERR_IO);
    config_with("\"d_model\": 16", "\"d_model\": 16");
    CHECK_STATUS(load_tmp(&err), PTM_OK);
}

TEST(test_tensor_errors) {
    ptm_error err;
    config_with("\"d_model\": 16", "\"d_model\": 16");
    const char *w = "model.encoder.mlp_mixer_encoder.mixers.1.feature_mixer.mlp.fc1.weight";
    weights_with(0, w);
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR);
    CHECK(strcmp(err.field, w) == 0 && strstr(err.text, "missing tensor") &&
          strstr(err.text, "[32, 16]"));
    weights_with(1, w);
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR);
    CHECK(strcmp(err.field, w) == 0 && strstr(err.text, "shape [1], expected [32, 16]"));
    weights_with(2, w);
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR);
    weights_with(3, "model.encoder.something_else");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR);
    CHECK(strstr(err.text, "unexpected tensor") != NULL);
    weights_with(0, "head.base_forecast_block.bias");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR);
    /* a config that implies positional encodings the file lacks */
    restore_weights();
    config_with("\"use_positional_encoding\": false", "\"use_positional_encoding\": true");
    CHECK_STATUS(load_tmp(&err), PTM_ERR_TENSOR);
    CHECK(strstr(err.field, "position_enc") != NULL);
    config_with("\"d_model\": 16", "\"d_model\": 16");
    CHECK_STATUS(load_tmp(&err), PTM_OK);
}

TEST(test_api_errors) {
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(CASE, &m, &err), PTM_OK);
    if (!m) return;
    ptm_ctx *ctx = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 0;
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_ERR_ARG);
    cp.max_batch = 2;
    cp.keep_hidden_states = 1;
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
    const ptm_config *c = ptm_model_config(m);
    size_t n = (size_t)3 * c->context_length * c->num_input_channels;
    float *x = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (float)sin((double)i);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 3;
    in.past_values = x;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_ARG); /* batch > max_batch */
    in.batch = 2;
    x[5] = NAN;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    CHECK(strstr(err.text, "time 1, channel 2") != NULL);
    /* a NaN marked missing is refused too: the value still enters the patches (the mask
     * only affects the scaler, as in Hugging Face), so it would reach the forecast */
    float *obs = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) obs[i] = 1.0f;
    obs[5] = 0.0f;
    in.observed_mask = obs;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    x[5] = 0.0f;
    in.observed_mask = NULL;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    ptm_tensor_view v;
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &v, &err), PTM_OK);
    CHECK_EQ_INT(v.ndim, 3);
    CHECK_EQ_INT(v.shape[0], 2);
    CHECK_STATUS(ptm_ctx_output(ctx, "no_such_output", &v, &err), PTM_ERR_ARG);
    float samples[4];
    CHECK_STATUS(ptm_ctx_sample(ctx, 1, 0, samples, 4, &err), PTM_ERR_ARG); /* point head */

    /* batch independence (no mean scaler here): sample 1 alone equals sample 1 of the pair */
    float *pair = malloc(sizeof(float) * (size_t)v.shape[1] * v.shape[2]);
    memcpy(pair, v.data + (size_t)v.shape[1] * v.shape[2],
           sizeof(float) * (size_t)v.shape[1] * v.shape[2]);
    in.batch = 1;
    in.past_values = x + (size_t)c->context_length * c->num_input_channels;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &v, &err), PTM_OK);
    int same = 1;
    for (int64_t i = 0; i < v.shape[1] * v.shape[2]; i++) same &= v.data[i] == pair[i];
    CHECK(same);
    /* two contexts on one model agree bit for bit */
    ptm_ctx *ctx2 = NULL;
    cp.keep_hidden_states = 0;
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx2, &err), PTM_OK);
    CHECK_STATUS(ptm_forward(ctx2, &in, &err), PTM_OK);
    ptm_tensor_view v2;
    CHECK_STATUS(ptm_ctx_output(ctx2, "prediction_outputs", &v2, &err), PTM_OK);
    CHECK(memcmp(v.data, v2.data, sizeof(float) * (size_t)(v.shape[1] * v.shape[2])) == 0);
    CHECK_STATUS(ptm_ctx_output(ctx2, "hidden_states.0", &v2, &err), PTM_ERR_ARG);
    CHECK(ptm_model_num_params(m) > 0 && ptm_model_macs_per_sample(m) > 0);
    free(pair);
    free(obs);
    free(x);
    ptm_ctx_free(ctx2);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
    ptm_model_free(NULL);
    ptm_ctx_free(NULL);
}

TEST(test_layers) {
    /* GELU: exact erf form */
    CHECK_NEAR(gelu_scalar(1.0f), 0.8413447460685429, 1e-6);
    CHECK_NEAR(gelu_scalar(-2.0f), -0.04550026389635842, 1e-6);
    CHECK_NEAR(gelu_scalar(0.0f), 0.0, 0.0);
    /* linear */
    float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -1}, x[3] = {1, -1, 2}, y[2];
    linear_forward_wb(y, x, w, b, 1, 3, 2);
    CHECK_NEAR(y[0], 1 - 2 + 6 + 0.5, 1e-6);
    CHECK_NEAR(y[1], 4 - 5 + 12 - 1, 1e-6);
    /* LayerNorm: zero mean, unit variance with unit weight */
    float in[8] = {1, 2, 3, 4, 10, 10, 10, 14}, out[8], one[4] = {1, 1, 1, 1}, zero[4] = {0};
    float mean[2], rstd[2];
    layernorm_forward(out, mean, rstd, in, one, zero, 2, 4, 1e-5f);
    CHECK_NEAR(out[0] + out[1] + out[2] + out[3], 0.0, 1e-5);
    CHECK_NEAR(out[0] * out[0] + out[1] * out[1] + out[2] * out[2] + out[3] * out[3], 4.0, 1e-3);
    CHECK_NEAR(mean[1], 11.0, 1e-6);
    /* BatchNorm eval */
    float rm[4] = {1, 1, 1, 1}, rv[4] = {4, 4, 4, 4};
    batchnorm_eval_forward(out, in, one, zero, rm, rv, 1, 4, 0.0f);
    CHECK_NEAR(out[2], 1.0, 1e-6);
    /* gated attention: the softmax weights of a zero gate are uniform */
    float gw[9] = {0}, gb[3] = {0}, gx[3] = {3, 6, 9}, gy[3], gp[3];
    ptmi_linear gate = {gw, gb, NULL, NULL, 3, 3};
    gated_attention_forward(gy, gp, gx, &gate, 1);
    CHECK_NEAR(gp[0] + gp[1] + gp[2], 1.0, 1e-6);
    CHECK_NEAR(gy[1], 2.0, 1e-5);
    /* patchify with overlap: L=10, P=4, stride 3 -> N=3, start 0; patch 2 = t 6..9 */
    float series[10], patches[12];
    for (int t = 0; t < 10; t++) series[t] = (float)t;
    patchify_forward(patches, series, 1, 10, 1, 3, 4, 3);
    CHECK_NEAR(patches[4], 3.0, 0);
    CHECK_NEAR(patches[11], 9.0, 0);
    /* L=11: one leading step dropped */
    float s11[11];
    for (int t = 0; t < 11; t++) s11[t] = (float)t;
    patchify_forward(patches, s11, 1, 11, 1, 3, 4, 3);
    CHECK_NEAR(patches[0], 1.0, 0);
    /* std scaler with a missing value */
    float xs[4] = {1, 3, 100, 5}, ob[4] = {1, 1, 0, 1}, sc[4], loc, scale;
    scaler_forward(sc, &loc, &scale, xs, ob, PTM_SCALING_STD, 1, 4, 1);
    CHECK_NEAR(loc, 3.0, 1e-6);
    CHECK_NEAR(scale, sqrt(8.0 / 3.0 + 1e-5), 1e-6);
    /* mean scaler: an unobserved series takes the batch default */
    float xm[4] = {2, -4, 0, 0}, om[4] = {1, 1, 0, 0}, sm[4], lm[2], scm[2];
    scaler_forward(sm, lm, scm, xm, om, PTM_SCALING_MEAN, 2, 2, 1);
    CHECK_NEAR(scm[0], 3.0, 1e-6);
    CHECK_NEAR(scm[1], 3.0, 1e-6);
    CHECK_NEAR(lm[1], 0.0, 0);
}

TEST(test_masks) {
    float mask[2 * 3 * 10], noise[10];
    int unm[1] = {1};
    random_mask_draw(mask, noise, 2, 3, 10, 0.3, 1, unm, 1, 42);
    int masked0 = 0, same = 1, zero1 = 1;
    for (int n = 0; n < 10; n++) {
        masked0 += mask[n] != 0.0f;
        same &= mask[n] == mask[2 * 10 + n];
        zero1 &= mask[10 + n] == 0.0f;
    }
    CHECK_EQ_INT(masked0, 3); /* len_keep = int(10 * 0.7) = 7 */
    CHECK(same);              /* channel consistent */
    CHECK(zero1);             /* channel 1 is never masked */
    float mask2[60];
    random_mask_draw(mask2, noise, 2, 3, 10, 0.3, 1, unm, 1, 42);
    CHECK(memcmp(mask, mask2, sizeof mask) == 0);
    int rowk[4];
    int ks[2] = {2, 3};
    float fm[4 * 1 * 6];
    forecast_mask_draw(fm, rowk, 4, 1, 6, ks, 2, NULL, 0, 7);
    int count2 = 0, count3 = 0;
    for (int bi = 0; bi < 4; bi++) {
        int k = 0, tail = 1;
        for (int n = 0; n < 6; n++) k += fm[bi * 6 + n] != 0.0f;
        for (int n = 6 - k; n < 6; n++) tail &= fm[bi * 6 + n] != 0.0f;
        CHECK(tail);
        count2 += k == 2;
        count3 += k == 3;
    }
    CHECK_EQ_INT(count2, 2);
    CHECK_EQ_INT(count3, 2);
}

/* the engine's own masks on a pretraining model: loss is finite, masked input is mask_value */
TEST(test_pretrain_drawn_mask) {
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load("tests/golden/pt_random_consistent_maskedloss", &m, &err), PTM_OK);
    if (!m) return;
    const ptm_config *c = ptm_model_config(m);
    ptm_ctx *ctx = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = 2;
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
    size_t n = (size_t)2 * c->context_length * c->num_input_channels;
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (float)cos(0.1 * (double)i);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 2;
    in.past_values = x;
    in.mask_seed = 5;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    ptm_tensor_view mv, lv, mi;
    CHECK_STATUS(ptm_ctx_output(ctx, "mask", &mv, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_output(ctx, "loss", &lv, &err), PTM_OK);
    CHECK_STATUS(ptm_ctx_output(ctx, "masked_patch_input", &mi, &err), PTM_OK);
    int masked = 0, filled = 1;
    for (int64_t i = 0; i < mv.shape[0] * mv.shape[1] * mv.shape[2]; i++) {
        masked += mv.data[i] != 0.0f;
        if (mv.data[i] != 0.0f) filled &= mi.data[i * c->patch_length] == c->mask_value;
    }
    CHECK_EQ_INT(masked, 2 * c->num_input_channels *
                             (c->num_patches - (int)(c->num_patches * (1 - c->random_mask_ratio))));
    CHECK(filled);
    CHECK(isfinite(lv.data[0]));
    free(x);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

/* the stream gives exactly the batch forecast of its last context_length rows */
TEST(test_stream) {
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load(CASE, &m, &err), PTM_OK);
    if (!m) return;
    const ptm_config *c = ptm_model_config(m);
    int L = c->context_length, C = c->num_input_channels, H = c->prediction_length;
    int extra = 37;
    float *rows = malloc(sizeof(float) * (size_t)(L + extra) * C);
    for (int i = 0; i < (L + extra) * C; i++) rows[i] = (float)(10.0 + 3.0 * sin(0.05 * i));
    ptm_stream *st = NULL;
    CHECK_STATUS(ptm_stream_create(m, NULL, &st, &err), PTM_OK);
    const float *fc = NULL;
    CHECK_STATUS(ptm_stream_push(st, rows, NULL, 5, &err), PTM_OK);
    CHECK_STATUS(ptm_stream_forecast(st, &fc, &err), PTM_ERR_INPUT); /* not enough rows yet */
    for (int r = 5; r < L + extra; r++)
        CHECK_STATUS(ptm_stream_push(st, rows + (size_t)r * C, NULL, 1, &err), PTM_OK);
    CHECK_EQ_INT(ptm_stream_rows(st), L + extra);
    CHECK_STATUS(ptm_stream_forecast(st, &fc, &err), PTM_OK);
    ptm_ctx *ctx = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    CHECK_STATUS(ptm_ctx_create(m, &cp, &ctx, &err), PTM_OK);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = rows + (size_t)extra * C;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    ptm_tensor_view v;
    CHECK_STATUS(ptm_ctx_output(ctx, "prediction_outputs", &v, &err), PTM_OK);
    CHECK(fc && memcmp(fc, v.data, sizeof(float) * (size_t)H * C) == 0);
    ptm_ctx_free(ctx);
    ptm_stream_free(st);
    ptm_stream_free(NULL);
    /* only forecasters stream */
    ptm_model *cls = NULL;
    CHECK_STATUS(ptm_model_load("tests/golden/cls_maxpool_std", &cls, &err), PTM_OK);
    CHECK_STATUS(ptm_stream_create(cls, NULL, &st, &err), PTM_ERR_ARG);
    ptm_model_free(cls);
    free(rows);
    ptm_model_free(m);
}

/* a class label outside [0, T) is refused, naming the input field it came from */
TEST(test_bad_class_label) {
    ptm_error err;
    ptm_model *m = NULL;
    CHECK_STATUS(ptm_model_load("tests/golden/cls_maxpool_std", &m, &err), PTM_OK);
    if (!m) return;
    const ptm_config *c = ptm_model_config(m);
    ptm_ctx *ctx = NULL;
    CHECK_STATUS(ptm_ctx_create(m, NULL, &ctx, &err), PTM_OK);
    float *x = calloc((size_t)c->context_length * c->num_input_channels, sizeof(float));
    int64_t label = c->num_targets;
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = 1;
    in.past_values = x;
    in.target_labels = &label;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_ERR_INPUT);
    CHECK(strcmp(err.field, "target_labels") == 0);
    label = 0;
    CHECK_STATUS(ptm_forward(ctx, &in, &err), PTM_OK);
    /* an index past the outputs is an argument error with a message */
    ptm_tensor_view v;
    CHECK_STATUS(ptm_ctx_output_at(ctx, ptm_ctx_num_outputs(ctx), &v, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "index") == 0);
    CHECK_STATUS(ptm_ctx_output_at(ctx, 0, &v, &err), PTM_OK);
    free(x);
    ptm_ctx_free(ctx);
    ptm_model_free(m);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ptm_test_model_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_config_errors);
    RUN(test_tensor_errors);
    RUN(test_api_errors);
    RUN(test_layers);
    RUN(test_masks);
    RUN(test_pretrain_drawn_mask);
    RUN(test_stream);
    RUN(test_bad_class_label);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return test_summary("test_model");
}
