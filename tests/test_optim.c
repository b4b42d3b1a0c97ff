/* test_optim.c - the optimiser pieces of training: AdamW (with and without weight decay, with
 * a decay mask, its moments), clip_grad_norm and the learning-rate schedules (OneCycleLR)
 * against numbers produced by torch 1.13 on CPU (float32), hard-coded below; the script that
 * produced them is quoted above the data. Checkpoint writing: test_save_checkpoint.c.
 *
 *     build/test_optim              prints "test_optim: N passed, M failed"
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patchtsmixer.h"
#include "testutil.h"
#include "train/adamw.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---------------------------------------------------------------- optimiser vs torch
 *
 * Produced with Debian's python3-torch 1.13 (CPU, float32) by:
 *
 *   p0 = [0.5, -1.25, 2.0, 0.0, 3.0e-3, -0.75, 1.5]
 *   grads = [[0.1, -0.2, 0.3, 0.05, -1.0, 2.5, 0.0],
 *            [-0.3, 0.1, 0.25, -0.05, 0.5, -2.0, 0.01],
 *            [0.2, 0.2, -0.4, 0.1, 0.0, 1.0, -0.02]]
 *   for wd in (0.1, 0.0):
 *       p = torch.nn.Parameter(torch.tensor(p0))
 *       opt = torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.999), eps=1e-8,
 *                               weight_decay=wd, foreach=False)
 *       for g in grads: p.grad = torch.tensor(g); opt.step(); print(p)
 *       print(opt.state[p]['exp_avg'], opt.state[p]['exp_avg_sq'])
 *   a.grad = torch.tensor([3.0, -4.0, 1.5]); b.grad = torch.tensor([0.5, 2.0, -1.0, 0.25])
 *   torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
 *   OneCycleLR(opt, max_lr=1e-2, total_steps=100 | 10, pct_start=0.3 | 0.25): the lr before
 *   each of the first 100 | 10 optimiser steps.
 */
static const float P0[7] = {0.5f, -1.25f, 2.0f, 0.0f, 3.0e-3f, -0.75f, 1.5f};
static const float GRADS[3][7] = {{0.1f, -0.2f, 0.3f, 0.05f, -1.0f, 2.5f, 0.0f},
                                  {-0.3f, 0.1f, 0.25f, -0.05f, 0.5f, -2.0f, 0.01f},
                                  {0.2f, 0.2f, -0.4f, 0.1f, 0.0f, 1.0f, -0.02f}};
static const float REF_WD[3][7] = {
    {4.895000160e-01f, -1.238749981e+00f, 1.988000035e+00f, -9.999996983e-03f, 1.299699955e-02f,
     -7.592499852e-01f, 1.498499990e+00f},
    {4.939524233e-01f, -1.234847903e+00f, 1.976100326e+00f, -9.463681839e-03f, 1.564737223e-02f,
     -7.590720057e-01f, 1.489560127e+00f},
    {4.932706058e-01f, -1.236339927e+00f, 1.973346829e+00f, -1.443663985e-02f, 1.769051701e-02f,
     -7.606477737e-01f, 1.491213441e+00f}};
static const float REF_NOWD[3][7] = {
    {4.900000095e-01f, -1.240000010e+00f, 1.990000010e+00f, -9.999996983e-03f, 1.300000027e-02f,
     -7.599999905e-01f, 1.500000000e+00f},
    {4.949419200e-01f, -1.237336636e+00f, 1.980088234e+00f, -9.473681450e-03f, 1.566337049e-02f,
     -7.605812550e-01f, 1.492558599e+00f},
    {4.947540462e-01f, -1.240063548e+00f, 1.979310870e+00f, -1.445610262e-02f, 1.772216335e-02f,
     -7.629160881e-01f, 1.495701432e+00f}};
static const float REF_M[7] = {1.099999179e-03f, 1.280000061e-02f,  6.799997762e-03f,
                               9.550000541e-03f, -3.599999472e-02f, 1.224999949e-01f,
                               -1.099999994e-03f};
static const float REF_V[7] = {1.398900204e-04f, 8.991004142e-05f, 3.122576163e-04f,
                               1.499250357e-05f, 1.247751061e-03f, 1.123350766e-02f,
                               4.999000112e-07f};

/* within 2 float ulps (the code matches torch bit for bit with glibc; other libm's pow may
 * move a bias correction by one ulp) */
static int close_f(float a, float b) {
    return fabsf(a - b) <= 2.5e-7f * fabsf(b) + 1e-30f;
}

static void run_adamw(float wd, const unsigned char *mask, float out[3][7], float m[7],
                      float v[7]) {
    float p[7];
    memcpy(p, P0, sizeof p);
    memset(m, 0, 7 * sizeof(float));
    memset(v, 0, 7 * sizeof(float));
    ptmi_adamw_params hp = ptmi_adamw_defaults();
    hp.lr = 1e-2f;
    hp.weight_decay = wd;
    for (int t = 0; t < 3; t++) {
        ptmi_adamw_step(p, GRADS[t], m, v, 7, mask, &hp, t + 1);
        memcpy(out[t], p, sizeof p);
    }
}

TEST(adamw_vs_torch) {
    ptmi_adamw_params d = ptmi_adamw_defaults();
    CHECK(d.lr == 1e-3f && d.beta1 == 0.9f && d.beta2 == 0.999f && d.eps == 1e-8f &&
          d.weight_decay == 1e-2f);
    float out[3][7], m[7], v[7];
    int exact = 0, close = 0;
    run_adamw(0.1f, NULL, out, m, v);
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 7; i++) {
            close += close_f(out[t][i], REF_WD[t][i]);
            exact += memcmp(&out[t][i], &REF_WD[t][i], 4) == 0;
        }
    for (int i = 0; i < 7; i++) {
        close += close_f(m[i], REF_M[i]) + close_f(v[i], REF_V[i]);
        exact += (memcmp(&m[i], &REF_M[i], 4) == 0) + (memcmp(&v[i], &REF_V[i], 4) == 0);
    }
    run_adamw(0.0f, NULL, out, m, v);
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 7; i++) {
            close += close_f(out[t][i], REF_NOWD[t][i]);
            exact += memcmp(&out[t][i], &REF_NOWD[t][i], 4) == 0;
        }
    CHECK_EQ_INT(close, 3 * 7 * 2 + 14);
    if (exact != 3 * 7 * 2 + 14)
        fprintf(stderr, "note: AdamW matches torch within 2 ulps but not bit for bit (%d of %d)\n",
                exact, 3 * 7 * 2 + 14);
    /* decay mask: masked-out parameters follow the wd=0 trajectory, the others the wd=0.1 one */
    static const unsigned char mask[7] = {1, 0, 1, 0, 0, 1, 1};
    run_adamw(0.1f, mask, out, m, v);
    int ok = 0;
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 7; i++)
            ok += close_f(out[t][i], mask[i] ? REF_WD[t][i] : REF_NOWD[t][i]);
    CHECK_EQ_INT(ok, 21);
    /* n = 0 and NULL pointers are no-ops */
    ptmi_adamw_step(NULL, NULL, NULL, NULL, 0, NULL, &d, 1);
}

TEST(clip_vs_torch) {
    float g[7] = {3.0f, -4.0f, 1.5f, 0.5f, 2.0f, -1.0f, 0.25f};
    static const float ref[7] = {5.257294774e-01f, -7.009726167e-01f, 2.628647387e-01f,
                                 8.762157708e-02f, 3.504863083e-01f,  -1.752431542e-01f,
                                 4.381078854e-02f};
    double total = ptmi_clip_grad_norm(g, 7, 1.0);
    CHECK_NEAR(total, 5.706356049, 1e-6 * 5.706356049);
    int ok = 0;
    for (int i = 0; i < 7; i++) ok += close_f(g[i], ref[i]);
    CHECK_EQ_INT(ok, 7);
    /* below the limit: unchanged */
    float h[7] = {0.1f, -0.2f, 0.05f, 0.0f, 0.0f, 0.1f, 0.0f};
    float h0[7];
    memcpy(h0, h, sizeof h);
    CHECK_NEAR(ptmi_clip_grad_norm(h, 7, 1.0), 0.25, 1e-7);
    CHECK(memcmp(h, h0, sizeof h) == 0);
    /* max_norm 0: only the norm */
    float k[2] = {3.0f, 4.0f};
    CHECK_NEAR(ptmi_clip_grad_norm(k, 2, 0.0), 5.0, 1e-12);
    CHECK(k[0] == 3.0f && k[1] == 4.0f);
    CHECK_NEAR(ptmi_clip_grad_norm(k, 0, 1.0), 0.0, 0.0);
}

TEST(schedules) {
    ptmi_schedule s = {PTM_LR_ONECYCLE, 1e-2f, 100, 0, 0.0f, 0.3f, 25.0f, 1e4f};
    static const struct {
        int step;
        double lr;
    } ref100[] = {{0, 0.00039999999999999931},
                  {1, 0.00042813780565907275},
                  {10, 0.0029516394846410068},
                  {28, 0.0099718621943409268},
                  {29, 0.01},
                  {30, 0.0099949653528452424},
                  {31, 0.0099798715504903161},
                  {50, 0.0079389345057573196},
                  {98, 5.0746471547578796e-06},
                  {99, 4.0000000000000001e-08}};
    for (size_t i = 0; i < sizeof ref100 / sizeof ref100[0]; i++)
        CHECK_NEAR(ptmi_schedule_lr(&s, ref100[i].step), ref100[i].lr, 2e-7 * ref100[i].lr);
    static const double ref10[10] = {
        0.00039999999999999931, 0.0075999999999999991, 0.0098907384407170146, 0.0090450887915348496,
        0.0075000099999999997,  0.005522660225769002,  0.003454941208465151,  0.0016543803508178377,
        0.00043231098269614797, 4.0000000000000001e-08};
    s.total_steps = 10;
    s.pct_start = 0.25f;
    for (int i = 0; i < 10; i++) CHECK_NEAR(ptmi_schedule_lr(&s, i), ref10[i], 2e-7 * ref10[i]);
    CHECK(ptmi_schedule_lr(&s, 50) == ptmi_schedule_lr(&s, 9)); /* clamped past the end */
    CHECK(ptmi_schedule_lr(&s, -3) == ptmi_schedule_lr(&s, 0));

    ptmi_schedule c = {PTM_LR_CONSTANT, 3e-4f, 100, 0, 0.0f, 0.0f, 0.0f, 0.0f};
    CHECK(ptmi_schedule_lr(&c, 0) == 3e-4f && ptmi_schedule_lr(&c, 1000) == 3e-4f);

    ptmi_schedule cs = {PTM_LR_COSINE, 1e-2f, 110, 10, 1e-4f, 0.0f, 0.0f, 0.0f};
    CHECK_NEAR(ptmi_schedule_lr(&cs, 0), 0.0, 0.0);
    CHECK_NEAR(ptmi_schedule_lr(&cs, 5), 5e-3, 1e-9);
    CHECK_NEAR(ptmi_schedule_lr(&cs, 10), 1e-2, 1e-9);
    CHECK_NEAR(ptmi_schedule_lr(&cs, 60), 5.05e-3, 1e-9);
    CHECK_NEAR(ptmi_schedule_lr(&cs, 35), 1e-4 + (1e-2 - 1e-4) * 0.5 * (1 + cos(M_PI / 4)), 1e-9);
    CHECK_NEAR(ptmi_schedule_lr(&cs, 110), 1e-4, 1e-10);
    CHECK_NEAR(ptmi_schedule_lr(&cs, 500), 1e-4, 1e-10);
    cs.warmup_steps = 0;
    CHECK_NEAR(ptmi_schedule_lr(&cs, 0), 1e-2, 1e-9);
}

int main(void) {
    RUN(adamw_vs_torch);
    RUN(clip_vs_torch);
    RUN(schedules);
    return test_summary("test_optim");
}
