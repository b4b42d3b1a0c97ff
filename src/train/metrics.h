/* metrics.h - forecast accuracy metrics (metrics.c) as sums over forecast points, so that one
 * pass of a backtest fills the metrics of each (origin, series), of each series and of the
 * whole run: errors in the data's units and in the model's scaled space, the M4 sMAPE term,
 * the sample CRPS and interval hits. The public ptm_metric_* array functions
 * (patchtsmixer.h) are these sums over one array; ptm_backtest_file (backtest.c) uses them
 * point by point.
 */
#ifndef PTMI_METRICS_H
#define PTMI_METRICS_H

#include "patchtsmixer.h"

/* sums over the observed forecast points of one group */
typedef struct {
    double n;                              /* points */
    double se, ae;                         /* squared / absolute errors in the data's units */
    double se_s, ae_s;                     /* the same in the model's scaled space */
    double smape;                          /* sum of 200 |y - f| / (|y| + |f|), a 0/0 term 0 */
    double crps;                           /* sum of the sample CRPS (distribution heads) */
    double hits[PTM_METRIC_MAX_INTERVALS]; /* points inside interval k */
} metric_sums;

/* one point: y the truth, f the forecast (units), ys, fs the same in the scaled space */
void metric_add_point(metric_sums *s, double y, double f, double ys, double fs);
/* the M4 sMAPE term of one point, in % */
double metric_smape_term(double y, double f);
/* the sample CRPS of one point: sorts x[0..n) in place (n >= 1) */
double metric_crps_sorted(float *x, int n, double y);
/* a += b */
void metric_sums_merge(metric_sums *a, const metric_sums *b);
/* the metrics of s (mase_scale: the series' in-sample seasonal-naive MAE, NAN = unknown;
 * crps: whether CRPS was summed; nint intervals): every field NAN when s->n is 0 */
void metric_finish(const metric_sums *s, double mase_scale, int crps, int nint, ptm_metrics *out);

#endif
