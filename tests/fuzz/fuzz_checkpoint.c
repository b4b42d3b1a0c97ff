/* fuzz_checkpoint.c - fuzz target of checkpoint / optimiser-state loading (--resume).
 *
 * The input is a training `last/` folder in one piece: config.json, model.safetensors,
 * optimizer.safetensors and trainer_state.json joined by FUZZ_SEP (see fuzz_common.h). The
 * four files are written to a temporary folder and loaded with ptmi_train_load_state into a
 * model of a fixed small architecture (the seed corpus's: Prediction, context 16, patch 4,
 * d_model 4, one BatchNorm layer, 2 channels, horizon 4), as `train --resume` does.
 *
 *     make fuzz && build/fuzz/fuzz_checkpoint tests/fuzz/corpus/checkpoint
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "io/config.h"
#include "train/trainer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ckpt_config[] =
    "{\"architectures\": [\"PatchTSMixerForPrediction\"], \"context_length\": 16, "
    "\"patch_length\": 4, \"patch_stride\": 4, \"num_input_channels\": 2, \"d_model\": 4, "
    "\"num_layers\": 1, \"norm_mlp\": \"BatchNorm\", \"prediction_length\": 4}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ptm_model *m;
    static float *am, *av;
    ptm_error err;
    if (!m) {
        ptm_config c;
        if (ptm_config_parse(ckpt_config, strlen(ckpt_config), "fixed", -1, &c, &err) != PTM_OK)
            abort();
        if (ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err) != PTM_OK) abort();
        ptm_config_free(&c);
        am = calloc(m->arena_floats, sizeof(float));
        av = calloc(m->arena_floats, sizeof(float));
        if (!am || !av) abort();
    }
    const char *base = fuzz_tmpdir();
    if (!base) return 0;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/last", base);
    mkdir(dir, 0755);
    static const char *const names[4] = {"config.json", "model.safetensors",
                                         "optimizer.safetensors", "trainer_state.json"};
    fuzz_part parts[4];
    int k = fuzz_split(data, size, parts, 4);
    for (int i = 0; i < 4; i++) {
        /* parts after the last separator are absent files, not empty ones */
        if (i > k)
            fuzz_unlink(dir, names[i]);
        else if (fuzz_write(dir, names[i], parts[i].p, parts[i].n) != 0)
            return 0;
    }
    int epoch = 0, best_epoch = 0, bad = 0;
    int64_t step = 0;
    double best_val = 0.0;
    ptm_status s =
        ptmi_train_load_state(dir, m, am, av, &epoch, &step, &best_val, &best_epoch, &bad, &err);
    fuzz_note("checkpoint", s, s ? err.file : NULL, s ? err.field : NULL, s ? err.text : NULL);
    if (s != PTM_OK && err.code != s) abort();
    if (s == PTM_OK) {
        /* a state training can produce (docs/security.md): what the trainer does next with
         * the counters is defined and the moments cannot throw AdamW off */
        if (epoch < 0 || (int64_t)epoch >= step || step > PTMI_TRAIN_MAX_STEP || best_epoch < -1 ||
            best_epoch > epoch || bad < 0 || bad > epoch + 1)
            abort();
        if (train_moments_check(am, av, m->arena_floats, PTM_ERR_TENSOR, NULL, NULL) != PTM_OK)
            abort();
    }
    return 0;
}
