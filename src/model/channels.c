/* channels.c - a channel-independent TinyTimeMixer model seen with another number of channels
 * (ptm_ctx_params.num_input_channels): TTM's users forecast any number of series with one
 * checkpoint, whose weights do not depend on the channel count when no layer mixes channels.
 * The view is a copy of the model's struct (its config and stack shapes with the new count)
 * that shares every weight with the model; a context owns it and frees only the struct.
 */
#include <stdlib.h>

#include "model/model.h"

/* the largest channel count a view may have (the config parser's bound) */
#define PTMI_MAX_VIEW_CHANNELS (1 << 20)

/* why a model's weights depend on its channel count, or NULL when they do not */
static const char *channel_dependence(const ptm_config *c) {
    const ptm_ttm_config *t = &c->ttm;
    if (c->family != PTM_FAMILY_TTM) return "only a TinyTimeMixer model's channels can change";
    if (c->mode == PTM_MODE_MIX_CHANNEL) return "its backbone mixes channels (mode mix_channel)";
    if (c->model_class == PTM_CLASS_PREDICTION && t->use_decoder &&
        t->decoder_mode == PTM_MODE_MIX_CHANNEL)
        return "its decoder mixes channels (decoder_mode mix_channel)";
    if (t->num_categorical > 0) return "it has static categorical variables";
    if (c->model_class == PTM_CLASS_PREDICTION && t->enable_forecast_channel_mixing)
        return "it has a forecast channel mixer";
    if (t->num_exogenous_channels > 0) return "it names exogenous channels";
    if (c->prediction_channel_indices) return "it names forecast channels";
    return NULL;
}

ptm_status ptmi_model_channel_view(const ptm_model *m, int channels, ptm_model **out,
                                   ptm_error *err) {
    *out = NULL;
    const ptm_config *c = &m->cfg;
    if (channels < 0 || channels > PTMI_MAX_VIEW_CHANNELS)
        return ptmi_err(err, PTM_ERR_ARG, NULL, "num_input_channels",
                        "num_input_channels %d out of range [0, %d]", channels,
                        PTMI_MAX_VIEW_CHANNELS);
    if (channels == 0 || channels == c->num_input_channels) return PTM_OK;
    const char *why = channel_dependence(c);
    if (why)
        return ptmi_err(err, PTM_ERR_UNSUPPORTED, NULL, "num_input_channels",
                        "this model takes exactly %d channels, not %d: %s", c->num_input_channels,
                        channels, why);
    ptm_model *v = malloc(sizeof *v);
    if (!v) return ptmi_err(err, PTM_ERR_NOMEM, NULL, NULL, "out of memory");
    *v = *m;
    v->cfg.num_input_channels = channels;
    v->cfg.num_prediction_channels = channels;
    v->mixer.num_input_channels = channels;
    ptmi_ttm_params *tp = &v->p.ttm;
    for (int j = 0; j < tp->n_enc; j++) tp->enc[j].sh.num_input_channels = channels;
    for (int j = 0; j < tp->n_dec; j++) tp->dec[j].sh.num_input_channels = channels;
    *out = v;
    return PTM_OK;
}
