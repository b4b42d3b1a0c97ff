/* init.c - initial weights of a new model, as Hugging Face creates them.
 *
 * With config.post_init false (HF's default) PatchTSMixer keeps PyTorch's own module
 * initialisation: Linear weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform
 * with a = sqrt(5)), LayerNorm/BatchNorm weight 1 and bias 0, running mean 0 and variance 1,
 * learned positional encoding ~ N(0, 1). With post_init true, HF's _init_weights: Linear
 * weight ~ N(0, init_std), bias 0, learned positional encoding ~ N(0, 0.1). The sincos
 * encoding is HF's fixed table in both cases. TinyTimeMixer's embeddings (frequency token,
 * categorical variables) are nn.Embedding's N(0, 1). Random numbers come from the library's own
 * seeded generator, so a seed gives the same model on every machine (not PyTorch's numbers).
 */
#include <math.h>
#include <string.h>

#include "model/model.h"
#include "base/rng.h"
#include "train/trainer.h"

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

void ptmi_sincos_table(float *pe, int n, int d) {
    /* pe[:, 0::2] = sin(pos * div), pe[:, 1::2] = cos(pos * div),
     * div = exp(arange(0, d, 2) * -(ln(10000) / d)); then centred and divided by 10 std
     * (unbiased std, as torch.std) */
    double sum = 0.0;
    for (int p = 0; p < n; p++)
        for (int i = 0; i < d; i++) {
            int k = i - (i & 1);
            float div = expf((float)k * -(logf(10000.0f) / (float)d));
            float ang = (float)p * div;
            float v = (i & 1) ? cosf(ang) : sinf(ang);
            pe[(size_t)p * d + i] = v;
            sum += (double)v;
        }
    size_t cnt = (size_t)n * d;
    double mean = sum / (double)cnt, ss = 0.0;
    for (size_t i = 0; i < cnt; i++) {
        double t = (double)pe[i] - mean;
        ss += t * t;
    }
    double sd = cnt > 1 ? sqrt(ss / (double)(cnt - 1)) : 1.0;
    for (size_t i = 0; i < cnt; i++) pe[i] = (float)(((double)pe[i] - mean) / (sd * 10.0));
}

void ptmi_model_init_weights(ptm_model *m, uint64_t seed) {
    const ptm_config *c = &m->cfg;
    ptmi_rng r;
    ptmi_rng_seed(&r, seed);
    for (int i = 0; i < m->n_table; i++) {
        ptmi_param_entry *e = &m->table[i];
        if (e->i64) {
            *e->i64 = 0;
            continue;
        }
        float *x = e->f32;
        size_t n = e->numel;
        if (ends_with(e->name, "position_enc")) {
            if (c->positional_encoding_type == PTM_PE_SINCOS) {
                ptmi_sincos_table(x, (int)e->shape[0], (int)e->shape[1]);
            } else {
                double sd = c->post_init ? 0.1 : 1.0;
                for (size_t k = 0; k < n; k++) x[k] = (float)(sd * ptmi_rng_normal(&r));
            }
        } else if (ends_with(e->name, "freq_mod.0.weight") ||
                   strstr(e->name, "embedding_layers.")) {
            for (size_t k = 0; k < n; k++) x[k] = (float)ptmi_rng_normal(&r); /* nn.Embedding */
        } else if (e->ndim == 2) { /* a Linear weight; its bias is the next entry */
            double fan_in = (double)e->shape[1];
            double bound = 1.0 / sqrt(fan_in);
            for (size_t k = 0; k < n; k++)
                x[k] = c->post_init ? (float)((double)c->init_std * ptmi_rng_normal(&r))
                                    : (float)((2.0 * ptmi_rng_uniform(&r) - 1.0) * bound);
            if (i + 1 < m->n_table && ends_with(m->table[i + 1].name, ".bias") &&
                m->table[i + 1].ndim == 1) {
                ptmi_param_entry *bias = &m->table[i + 1];
                for (size_t k = 0; k < bias->numel; k++)
                    bias->f32[k] =
                        c->post_init ? 0.0f : (float)((2.0 * ptmi_rng_uniform(&r) - 1.0) * bound);
                i++;
            }
        } else if (ends_with(e->name, ".weight") || ends_with(e->name, "running_var")) {
            for (size_t k = 0; k < n; k++) x[k] = 1.0f; /* norm weights, running variance */
        } else {
            memset(x, 0, n * sizeof(float)); /* norm biases, running mean */
        }
    }
    ptmi_model_sync(m);
}
