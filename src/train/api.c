/* api.c - the public high-level training entry point, ptm_train_csv (patchtsmixer.h), over the
 * internal trainer (trainer.c): the architecture comes from a Hugging Face config.json (a path
 * or its text) or PatchTSMixerConfig's defaults, the optimisation from ptm_train_params.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "io/config.h"
#include "train/trainer.h"

ptm_train_params ptm_train_default_params(void) {
    ptm_train_job job;
    ptm_train_job_defaults(&job);
    ptm_train_params p;
    memset(&p, 0, sizeof p);
    p.task = PTM_TRAIN_FORECAST;
    p.epochs = job.epochs;
    p.batch_size = job.batch_size;
    p.lr = job.lr;
    p.weight_decay = job.weight_decay;
    p.clip_norm = job.clip_norm;
    p.schedule = job.schedule == PTM_SCHED_CONSTANT ? PTM_LR_CONSTANT
                 : job.schedule == PTM_SCHED_COSINE ? PTM_LR_COSINE
                                                    : PTM_LR_ONECYCLE;
    p.warmup_frac = job.warmup_frac;
    p.patience = job.patience;
    p.max_steps = job.max_steps;
    p.seed = job.seed;
    ptm_config_free(&job.cfg);
    return p;
}

ptm_status ptm_train_csv(const char *data_path, const char *out_dir, const ptm_train_params *params,
                         ptm_train_summary *summary, ptm_error *err) {
    if (summary) memset(summary, 0, sizeof *summary);
    if (!data_path || !out_dir || !params)
        return ptm_err(err, PTM_ERR_ARG, NULL, NULL, "data_path, out_dir and params are required");
    if ((int)params->task < 0 || (int)params->task > 3)
        return ptm_err(err, PTM_ERR_ARG, NULL, "task", "unknown task %d", (int)params->task);
    if ((int)params->schedule < 0 || (int)params->schedule > 2)
        return ptm_err(err, PTM_ERR_ARG, NULL, "schedule", "unknown schedule %d",
                       (int)params->schedule);
    static const ptm_task tasks[] = {PTM_TASK_FORECAST, PTM_TASK_CLASSIFY, PTM_TASK_REGRESS,
                                     PTM_TASK_PRETRAIN};
    static const ptm_class classes[] = {PTM_CLASS_PREDICTION, PTM_CLASS_CLASSIFICATION,
                                        PTM_CLASS_REGRESSION, PTM_CLASS_PRETRAINING};
    static const ptm_sched_kind scheds[] = {PTM_SCHED_CONSTANT, PTM_SCHED_COSINE,
                                            PTM_SCHED_ONECYCLE};
    ptm_train_job job;
    ptm_train_job_defaults(&job);
    job.task = tasks[params->task];
    if (params->config_path || params->config_json) {
        unsigned char *buf = NULL;
        size_t n = 0;
        const char *text = params->config_json, *name = "config_json";
        if (params->config_path) {
            ptm_status s = ptm_read_file(params->config_path, 16 << 20, &buf, &n, err);
            if (s != PTM_OK) {
                ptm_config_free(&job.cfg);
                return s;
            }
            text = (const char *)buf;
            name = params->config_path;
        } else {
            n = strlen(text);
        }
        ptm_config fc;
        ptm_status s = ptm_config_parse(text, n, name, (int)classes[params->task], &fc, err);
        free(buf);
        if (s != PTM_OK) {
            ptm_config_free(&job.cfg);
            return s;
        }
        ptm_config_free(&job.cfg);
        job.cfg = fc;
    }
    job.init_from = params->init_from;
    job.freeze_backbone = params->freeze_backbone;
    job.data_path = data_path;
    job.test_path = params->test_path;
    job.columns = params->columns;
    job.epochs = params->epochs;
    job.batch_size = params->batch_size;
    job.lr = params->lr;
    job.weight_decay = params->weight_decay;
    job.clip_norm = params->clip_norm;
    job.schedule = scheds[params->schedule];
    job.warmup_frac = params->warmup_frac;
    job.patience = params->patience;
    job.max_steps = params->max_steps;
    job.seed = params->seed;
    job.out_dir = out_dir;
    job.resume = params->resume;
    job.log = params->log;
    job.on_epoch = params->on_epoch;
    job.user = params->user;
    ptm_train_result res;
    memset(&res, 0, sizeof res);
    ptm_status s = ptm_train_run(&job, &res, err);
    if (s == PTM_OK && summary) {
        summary->epochs_run = res.epochs_run;
        summary->best_epoch = res.best_epoch;
        summary->steps = res.steps;
        summary->best_val = res.best_val;
        summary->test_mse = res.test_mse;
        summary->test_mae = res.test_mae;
        summary->test_accuracy = res.test_accuracy;
        summary->seconds = res.seconds;
        summary->samples_per_sec = res.samples_per_sec;
    }
    ptm_config_free(&job.cfg);
    return s;
}
