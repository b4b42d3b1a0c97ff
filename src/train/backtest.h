/* backtest.h - what the two backtests share: ptm_backtest_file on a wide CSV (backtest.c) and
 * on a long-format file of many series (backtest_long.c): the parameters' checks, the buffers
 * of one batch of origins and the per-origin, per-series and overall metrics from the sums.
 */
#ifndef PTMI_BACKTEST_H
#define PTMI_BACKTEST_H

#include "train/metrics.h"

/* the buffers of one batch of origins */
typedef struct {
    float *past, *pobs, *fut, *fobs; /* [cap, L|H, C] */
    float *samp, *q, *one;           /* [cap, S, H, Cs], [cap, nq, H, Cs], [S] */
    float qlev[2 * PTM_METRIC_MAX_INTERVALS];
    int cap, S, nq;
} bt_batch;

/* the parameters' own checks; the intervals into r */
PTM_MUST_USE ptm_status bt_check_params(const ptm_backtest_params *p, ptm_backtest_result *r,
                                        ptm_error *err);
/* b->cap (and b->S) set: the buffers (dist: the sampling ones too); 0, or -1 out of memory */
int bt_batch_alloc(bt_batch *b, const ptm_config *c, const ptm_backtest_result *r, int dist);
void bt_batch_free(bt_batch *b);
/* b->cap for p->batch origins, fewer for a distribution head whose samples would pass 2^24
 * values; r->per_origin, r->per_series and *sums ([norigins, nseries]) allocated */
PTM_MUST_USE ptm_status bt_alloc_results(ptm_backtest_result *r, const ptm_backtest_params *p,
                                         int H, bt_batch *b, metric_sums **sums, const char *path,
                                         ptm_error *err);
/* per-origin, per-series and overall metrics from the sums [norigins, nseries] */
void bt_finish(ptm_backtest_result *r, const metric_sums *sums);
/* 1 when the file at path is long-format: its header has unique_id and ds, or the id and
 * time columns of the long data the model in model_dir was trained on */
int bt_is_long(const char *model_dir, const char *path);
/* the long-format backtest (backtest_long.c) of the forecaster m saved in model_dir; lp NULL:
 * the column names of the model's long training data, else statsforecast's */
PTM_MUST_USE ptm_status bt_long(const ptm_model *m, const char *model_dir, const char *path,
                                const ptm_long_params *lp, const ptm_backtest_params *p,
                                ptm_backtest_result *r, ptm_error *err);

#endif
