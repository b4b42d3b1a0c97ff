/* test_metrics.c - tests of src/train/metrics.c against values computed by hand on small
 * series: MSE, MAE, sMAPE (the M4 definition, a 0/0 term counted 0), MASE's seasonal-naive
 * scale, the sample CRPS and interval coverage, with and without missing points; the sums
 * behind a backtest (metric_add_point, metric_finish); and ptm_backtest_file's parameter
 * checks. */
#include <math.h>

#include "testutil.h"
#include "train/metrics.h"

/* y = 1 2 0 4, f = 2 2 0 1: errors 1 0 0 -3 */
static const float Y[4] = {1, 2, 0, 4}, F[4] = {2, 2, 0, 1}, OBS3[4] = {1, 1, 1, 0};

TEST(test_mse_mae) {
    CHECK(ptm_metric_mse(Y, F, NULL, 4) == 2.5);                 /* (1 + 0 + 0 + 9) / 4 */
    CHECK(ptm_metric_mae(Y, F, NULL, 4) == 1.0);                 /* (1 + 0 + 0 + 3) / 4 */
    CHECK_NEAR(ptm_metric_mse(Y, F, OBS3, 4), 1.0 / 3.0, 1e-15); /* the last point missing */
    CHECK_NEAR(ptm_metric_mae(Y, F, OBS3, 4), 1.0 / 3.0, 1e-15);
    static const float none[4] = {0, 0, 0, 0};
    CHECK(isnan(ptm_metric_mse(Y, F, none, 4)));
    CHECK(isnan(ptm_metric_mae(Y, F, NULL, 0)));
}

TEST(test_smape) {
    /* terms 200*1/3, 0, 0/0 -> 0, 200*3/5 = 120: (200/3 + 120) / 4 = 140/3 */
    CHECK_NEAR(ptm_metric_smape(Y, F, NULL, 4), 140.0 / 3.0, 1e-12);
    CHECK_NEAR(ptm_metric_smape(Y, F, OBS3, 4), 200.0 / 9.0, 1e-12);
    CHECK(metric_smape_term(0.0, 0.0) == 0.0);
    CHECK(metric_smape_term(-1.0, 1.0) == 200.0); /* opposite signs: the maximum */
    CHECK(metric_smape_term(0.0, 5.0) == 200.0);
    CHECK(isnan(ptm_metric_smape(Y, F, NULL, 0)));
}

TEST(test_mase_scale) {
    static const float x[5] = {1, 3, 2, 6, 4};
    CHECK(ptm_metric_mase_scale(x, NULL, 5, 1) == 2.25); /* |2| |1| |4| |2| / 4 */
    CHECK(ptm_metric_mase_scale(x, NULL, 5, 2) == 2.0);  /* |2-1| |6-3| |4-2| / 3 */
    static const float o[5] = {1, 1, 0, 1, 1};           /* x[2] missing: pairs (0,1), (3,4) */
    CHECK(ptm_metric_mase_scale(x, o, 5, 1) == 2.0);
    CHECK(isnan(ptm_metric_mase_scale(x, NULL, 5, 5))); /* no pair */
    CHECK(isnan(ptm_metric_mase_scale(x, NULL, 5, 0)));
    static const float flat[3] = {7, 7, 7};
    CHECK(ptm_metric_mase_scale(flat, NULL, 3, 1) == 0.0);
}

TEST(test_crps) {
    /* {3, 0, 1}, y = 1: E|X-y| = (2+1+0)/3 = 1; sum_ij |xi-xj| = 2 (3+1+2) = 12, so
     * E|X-X'| / 2 = 12/9/2 = 2/3; CRPS = 1/3 */
    float s[3] = {3, 0, 1};
    CHECK_NEAR(ptm_metric_crps(s, 3, 1.0), 1.0 / 3.0, 1e-15);
    CHECK(s[0] == 0 && s[1] == 1 && s[2] == 3); /* sorted in place */
    float one[1] = {2};
    CHECK(ptm_metric_crps(one, 1, 5.0) == 3.0); /* a point mass: the absolute error */
    float two[2] = {-1, 1};                     /* y = 0: 1 - (2 * 2 / 4) / 2 = 0.5 */
    CHECK(ptm_metric_crps(two, 2, 0.0) == 0.5);
    CHECK(isnan(ptm_metric_crps(two, 0, 0.0)));
    CHECK(isnan(ptm_metric_crps(NULL, 2, 0.0)));
}

TEST(test_coverage) {
    static const float y[4] = {1, 2, 3, 4}, lo[4] = {0, 2, 3.5f, 0}, hi[4] = {1, 3, 4, 3};
    CHECK(ptm_metric_coverage(y, lo, hi, NULL, 4) == 0.5); /* bounds inclusive: 1 and 2 in */
    static const float o[4] = {1, 0, 1, 0};
    CHECK(ptm_metric_coverage(y, lo, hi, o, 4) == 0.5);
    CHECK(isnan(ptm_metric_coverage(y, lo, hi, NULL, 0)));
}

/* the sums of a backtest: units and scaled space, MASE from the scale, NAN when empty */
TEST(test_sums_finish) {
    metric_sums s, t;
    memset(&s, 0, sizeof s);
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 4; i++) metric_add_point(i < 2 ? &s : &t, Y[i], F[i], Y[i] / 2, F[i] / 2);
    t.crps = 2.0;
    t.hits[0] = 1.0;
    metric_sums_merge(&s, &t);
    ptm_metrics m;
    metric_finish(&s, 0.5, 1, 1, &m);
    CHECK_EQ_INT(m.points, 4);
    CHECK(m.mse == 2.5 && m.mae == 1.0);
    CHECK(m.rmse == sqrt(2.5));
    CHECK(m.mase == 2.0); /* 1.0 / 0.5 */
    CHECK_NEAR(m.smape, 140.0 / 3.0, 1e-12);
    CHECK(m.mse_scaled == 2.5 / 4 && m.mae_scaled == 0.5);
    CHECK(m.crps == 0.5 && m.coverage[0] == 0.25);
    CHECK(isnan(m.coverage[1]));
    metric_finish(&s, 0.0, 0, 0, &m); /* scale 0 (a flat series): no MASE; no CRPS */
    CHECK(isnan(m.mase) && isnan(m.crps) && isnan(m.coverage[0]));
    memset(&s, 0, sizeof s);
    metric_finish(&s, 1.0, 1, 1, &m);
    CHECK(m.points == 0 && isnan(m.mse) && isnan(m.mae) && isnan(m.smape) && isnan(m.crps));
}

/* bad parameters are refused before anything is read, naming the field */
TEST(test_backtest_params) {
    ptm_backtest_params p = ptm_backtest_default_params();
    CHECK(p.start == -1 && p.end == -1 && p.stride == 0 && p.season == 1);
    CHECK(p.num_samples == 100 && p.quantiles == NULL);
    ptm_backtest_result r;
    ptm_error err;
    p.stride = -1;
    CHECK_STATUS(ptm_backtest_file("nodir", "no.csv", &p, &r, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "stride") == 0);
    CHECK(r.norigins == 0 && r.per_origin == NULL);
    p = ptm_backtest_default_params();
    p.season = 0;
    CHECK_STATUS(ptm_backtest_file("nodir", "no.csv", &p, &r, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "season") == 0);
    p = ptm_backtest_default_params();
    static const float q3[3] = {0.1f, 0.5f, 0.9f}, qdown[2] = {0.9f, 0.1f}, q1[2] = {0.0f, 0.5f};
    p.quantiles = q3;
    p.num_quantiles = 3;
    CHECK_STATUS(ptm_backtest_file("nodir", "no.csv", &p, &r, &err), PTM_ERR_ARG);
    CHECK(strcmp(err.field, "quantiles") == 0);
    p.quantiles = qdown;
    p.num_quantiles = 2;
    CHECK_STATUS(ptm_backtest_file("nodir", "no.csv", &p, &r, &err), PTM_ERR_ARG);
    p.quantiles = q1;
    CHECK_STATUS(ptm_backtest_file("nodir", "no.csv", &p, &r, &err), PTM_ERR_ARG);
    p = ptm_backtest_default_params();
    CHECK_STATUS(ptm_backtest_file("nodir", "no.csv", &p, NULL, &err), PTM_ERR_ARG);
    ptm_backtest_free(NULL);
}

int main(void) {
    RUN(test_mse_mae);
    RUN(test_smape);
    RUN(test_mase_scale);
    RUN(test_crps);
    RUN(test_coverage);
    RUN(test_sums_finish);
    RUN(test_backtest_params);
    return test_summary("test_metrics");
}
