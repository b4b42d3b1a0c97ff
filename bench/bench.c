/* bench.c - speed of the engine on this machine: inference latency and throughput over batch
 * sizes, training-step throughput, and both against the CPU's measured FMA peak.
 *
 *   build/bench [--model DIR] [--batches 1,8,64,256] [--seconds S] [--threads N] [--train |
 * --train-only]
 *               [--stream] [--json] [--mix-channel] [--context L] [--channels C] [--patch P]
 *               [--min-calls K] [--dump DIR]
 *
 * Without --model it builds the seed configuration (context 512, patch 8/8, 7 channels,
 * d_model 16, expansion 2, 4 layers, gated attention, LayerNorm, std scaling, horizon 96)
 * with random weights. For each batch size: a warm-up, then repeated forwards for S seconds
 * (default 2); reports the median and p90 time per call, samples/s, GFLOP/s (2 x the model's
 * multiply-adds) and the percentage of the measured FMA peak (one core's, with the widest
 * vectors the kernels use, times the cores the threads can use), and the process's CPU time per
 * call (all threads, spinning included: on a machine shared with other jobs the one-thread
 * figure that time slicing does not inflate). A row times at least K calls (--min-calls,
 * default 3) even when that takes longer than S. --dump DIR writes the forecast of each
 * inference row's input (prediction_outputs, raw float32) to DIR/b<batch>.f32, for
 * bench/compare's correctness check of exactly what was timed.
 *
 *   build/bench --gemm M,N,K[,acc|at|linear|plain|gate|series|sgelu|sgate[,S]] [--threads N]
 *               [--seconds S]
 *
 * times one product through the engine's entry points (kernels.h) on random operands: acc is
 * ptmi_gemm_acc with A [M, K] row-major, at the same with A stored transposed (the weight
 * gradient's shape), linear ptmi_linear_fused with bias and GELU (a mixer's first layer), plain
 * the same without GELU (its second layer), gate the feature mixer's gated attention of
 * inference (linear_gate: [M, N] rows, K = N). The patch mixer's products, S series at once (the
 * series of one chunk of a model's stack; default 10), one thread: series is gemm_series (A [M,
 * K] on the left of each series' [K, N] block), sgelu the same with GELU (its first layer),
 * sgate its gate in one pass (series_gate: M = K patches). A model's shapes: its layers' rows
 * and widths (bench/ttm_kernels.sh runs TinyTimeMixer r2 512-96's, with what a forward calls).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/config.h"
#include "kernels/kernels.h"
#include "kernels/threads.h"
#include "model/model.h"
#include "patchtsmixer.h"
#include "train/adamw.h"
#include "train/trainer.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
/* 10 independent FMA chains of 8 floats: the core's AVX2 FMA throughput, in GFLOP/s */
__attribute__((target("avx2,fma"))) static double fma_peak(void) {
    __m256 a[10], m = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-4f);
    for (int i = 0; i < 10; i++) a[i] = _mm256_set1_ps((float)i);
    double best = 0.0;
    for (int rep = 0; rep < 5; rep++) {
        long iters = 20000000;
        double t0 = now();
        for (long k = 0; k < iters; k++)
            for (int i = 0; i < 10; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
        double dt = now() - t0;
        double gf = (double)iters * 10 * 8 * 2 / dt * 1e-9;
        if (gf > best) best = gf;
    }
    float sink = 0.0f;
    for (int i = 0; i < 10; i++) sink += _mm256_cvtss_f32(a[i]);
    if (sink == 12345.0f) printf(" ");
    return best;
}

/* the same with 16-float AVX-512 vectors (twice the AVX2 rate on cores with 512-bit FMA units) */
__attribute__((target("avx512f"))) static double fma_peak512(void) {
    __m512 a[10], m = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-4f);
    for (int i = 0; i < 10; i++) a[i] = _mm512_set1_ps((float)i);
    double best = 0.0;
    for (int rep = 0; rep < 5; rep++) {
        long iters = 20000000;
        double t0 = now();
        for (long k = 0; k < iters; k++)
            for (int i = 0; i < 10; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
        double dt = now() - t0;
        double gf = (double)iters * 10 * 16 * 2 / dt * 1e-9;
        if (gf > best) best = gf;
    }
    float sink = 0.0f;
    for (int i = 0; i < 10; i++) sink += _mm512_reduce_add_ps(a[i]);
    if (sink == 12345.0f) printf(" ");
    return best;
}
#endif

/* the FMA peak of one core with the widest vectors the kernels in use have */
static double measure_peak(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (ptmi_kernels_level() >= PTMI_KERNELS_AVX512) return fma_peak512();
    if (ptmi_kernels_level() >= PTMI_KERNELS_AVX2) return fma_peak();
#endif
    return 0.0;
}

/* the --gemm ops, in the order of gemm_ops */
enum { G_ACC, G_AT, G_LINEAR, G_PLAIN, G_GATE, G_SERIES, G_SGELU, G_SGATE, G_OPS };
static const char *const gemm_ops[G_OPS] = {"acc",  "at",     "linear", "plain",
                                            "gate", "series", "sgelu",  "sgate"};

typedef struct {
    const char *model_dir;
    int batches[32], nb;
    int train; /* 0 inference, 1 also training, 2 training only */
    int json, threads, stream, mix, context, channels, patch, min_calls;
    double seconds;
    const char *dump_dir;
    size_t gemm[4]; /* --gemm M,N,K[,op[,S]] (M = 0: not given; S: series of the series ops) */
    char gemm_op[8];
    int gemm_kind; /* G_* of gemm_op */
} bench_args;

/* 0, or 2 after printing the usage */
static int parse_args(int argc, char **argv, bench_args *a) {
    *a = (bench_args){.batches = {1, 8, 64, 256},
                      .nb = 4,
                      .threads = 1,
                      .context = 512,
                      .channels = 7,
                      .patch = 8,
                      .min_calls = 3,
                      .seconds = 2.0,
                      .gemm = {0, 0, 0, 10},
                      .gemm_op = "acc"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            a->model_dir = argv[++i];
        } else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
            a->nb = 0;
            char *p = argv[++i];
            while (*p && a->nb < 32) {
                a->batches[a->nb++] = (int)strtol(p, &p, 10);
                if (*p == ',') p++;
            }
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            a->seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            a->threads = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--mix-channel") == 0) {
            a->mix = 1;
        } else if (strcmp(argv[i], "--context") == 0 && i + 1 < argc) {
            a->context = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--channels") == 0 && i + 1 < argc) {
            a->channels = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--patch") == 0 && i + 1 < argc) {
            a->patch = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--min-calls") == 0 && i + 1 < argc) {
            a->min_calls = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--gemm") == 0 && i + 1 < argc) {
            char *p = argv[++i];
            for (int d = 0; d < 3; d++) {
                a->gemm[d] = (size_t)strtoul(p, &p, 10);
                if (*p == ',') p++;
            }
            if (*p) {
                size_t n = strcspn(p, ",");
                snprintf(a->gemm_op, sizeof a->gemm_op, "%.*s", (int)(n < 7 ? n : 7), p);
                p += n;
                if (*p == ',') a->gemm[3] = (size_t)strtoul(p + 1, &p, 10);
            }
            a->gemm_kind = G_OPS;
            for (int o = 0; o < G_OPS; o++)
                if (strcmp(a->gemm_op, gemm_ops[o]) == 0) a->gemm_kind = o;
            if (!a->gemm[0] || !a->gemm[1] || !a->gemm[2] || a->gemm_kind == G_OPS || *p ||
                !a->gemm[3] || a->gemm[0] > 65536 || a->gemm[1] > 65536 || a->gemm[2] > 65536 ||
                a->gemm[3] > 4096) {
                fprintf(stderr, "bench: --gemm takes M,N,K[,acc|at|linear|plain|gate|series|"
                                "sgelu|sgate[,S]] (each at most 65536, S at most 4096)\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            a->dump_dir = argv[++i];
        } else if (strcmp(argv[i], "--stream") == 0) {
            a->stream = 1;
        } else if (strcmp(argv[i], "--train") == 0) {
            a->train = 1;
        } else if (strcmp(argv[i], "--train-only") == 0) {
            a->train = 2;
        } else if (strcmp(argv[i], "--json") == 0) {
            a->json = 1;
        } else {
            fprintf(stderr,
                    "usage: %s [--model DIR] [--batches 1,8,64] [--seconds S] "
                    "[--threads N] [--train | --train-only] [--stream] [--json] [--mix-channel] "
                    "[--context L] [--channels C] [--patch P] [--min-calls K] [--dump DIR] "
                    "[--gemm M,N,K[,acc|at|linear]]\n",
                    argv[0]);
            return 2;
        }
    }
    return 0;
}

/* the model of --model, or the paper's seed configuration with random weights */
static ptm_model *make_model(const bench_args *a) {
    ptm_error err;
    ptm_model *m = NULL;
    if (a->model_dir) {
        if (ptm_model_load(a->model_dir, &m, &err) != PTM_OK) {
            fprintf(stderr, "bench: %s: %s\n", err.file, err.text);
            return NULL;
        }
        return m;
    }
    ptm_config c;
    ptm_config_defaults(&c);
    c.model_class = PTM_CLASS_PREDICTION;
    c.context_length = a->context;
    c.patch_length = a->patch;
    c.patch_stride = a->patch;
    c.num_input_channels = a->channels;
    c.mode = a->mix ? PTM_MODE_MIX_CHANNEL : PTM_MODE_COMMON_CHANNEL;
    c.d_model = 16;
    c.num_layers = 4;
    c.prediction_length = 96;
    if (ptmi_config_finish(&c, "seed config", &err) != PTM_OK ||
        ptmi_model_build(&c, PTMI_STORE_TRAIN, &m, &err) != PTM_OK) {
        fprintf(stderr, "bench: %s\n", err.text);
        return NULL;
    }
    ptm_config_free(&c);
    ptmi_model_init_weights(m, 1);
    return m;
}

/* The model as users run it for inference: a generated model saved and loaded again (a loaded
 * model keeps each weight in the layout its inference path reads, the large mixer layers
 * packed: model.h); NULL on failure, with the error printed. */
static ptm_model *loaded_copy(const ptm_model *m) {
    char dir[] = "/tmp/ptm-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench: mkdtemp");
        return NULL;
    }
    ptm_error err;
    ptm_model *mi = NULL;
    if (ptm_model_save(m, dir, &err) != PTM_OK || ptm_model_load(dir, &mi, &err) != PTM_OK) {
        fprintf(stderr, "bench: a copy of the model in %s: %s\n", dir, err.text);
        mi = NULL;
    }
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char path[64];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%.32s", dir, e->d_name);
        remove(path);
    }
    if (d) closedir(d);
    rmdir(dir);
    return mi;
}

/* --dump: the last forward's prediction_outputs as raw float32 in DIR/b<B>.f32; 0 or 1 */
static int dump_output(const ptm_ctx *ctx, const char *dir, int B) {
    ptm_error err;
    ptm_tensor_view y;
    if (ptm_ctx_output(ctx, "prediction_outputs", &y, &err) != PTM_OK) {
        fprintf(stderr, "bench: --dump: %s\n", err.text);
        return 1;
    }
    size_t n = 1;
    for (int d = 0; d < y.ndim; d++) n *= (size_t)y.shape[d];
    char path[4096];
    snprintf(path, sizeof path, "%s/b%d.f32", dir, B);
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(y.data, sizeof(float), n, f) != n;
    if (f && fclose(f) != 0) bad = 1;
    if (bad) fprintf(stderr, "bench: --dump: cannot write %s\n", path);
    return bad;
}

/* the optimiser state of pass 2 */
typedef struct {
    float *am, *av;
    ptmi_adamw_params ap;
    int64_t step;
} bench_opt;

/* one row: batch B of pass 0 (inference), 1 (training forward + backward) or 2 (the same +
 * AdamW step and the refresh of the transposed weights, as one step of the trainer); 0 or 1 */
static int run_case(ptm_model *m, const bench_args *a, int B, int pass, double flop, double peak,
                    bench_opt *o) {
    const ptm_config *c = ptm_model_config(m);
    int training = pass >= 1, opt = pass == 2;
    ptm_error err;
    ptm_ctx *ctx = NULL;
    ptm_ctx_params cp = ptm_ctx_default_params();
    cp.max_batch = B;
    cp.keep_hidden_states = 0;
    cp.num_threads = a->threads;
    if ((training ? ptm_ctx_create_train(m, &cp, &ctx, &err)
                  : ptm_ctx_create(m, &cp, &ctx, &err)) != PTM_OK) {
        fprintf(stderr, "bench: %s\n", err.text);
        return 1;
    }
    size_t n = (size_t)B * c->context_length * c->num_input_channels;
    size_t nf = (size_t)B * c->prediction_length * c->num_input_channels;
    float *x = malloc(n * sizeof(float)), *fut = malloc(nf * sizeof(float));
    double *times = malloc(sizeof(double) * 100000);
    if (!x || !fut || !times) return 1;
    for (size_t i = 0; i < n; i++) x[i] = (float)sin(0.01 * (double)i);
    for (size_t i = 0; i < nf; i++) fut[i] = (float)cos(0.01 * (double)i);
    ptm_inputs in;
    memset(&in, 0, sizeof in);
    in.batch = B;
    in.past_values = x;
    if (training) in.future_values = fut;
    int k = 0;
    double t_warm = now() + 0.2;
    while (now() < t_warm) {
        if (ptm_forward(ctx, &in, &err) != PTM_OK ||
            (training && ptm_backward(ctx, &err) != PTM_OK)) {
            fprintf(stderr, "bench: %s\n", err.text);
            return 1;
        }
    }
    double c0 = cpu_now(), t_end = now() + a->seconds; /* timed after the warm-up */
    while ((now() < t_end || k < a->min_calls) && k < 100000) {
        double t0 = now();
        if (ptm_forward(ctx, &in, &err) != PTM_OK ||
            (training && ptm_backward(ctx, &err) != PTM_OK))
            return 1;
        if (opt) {
            ptmi_adamw_step(m->arena, ctx->grads->arena, o->am, o->av, m->arena_floats, NULL,
                            &o->ap, ++o->step);
            ptmi_model_sync(m);
        }
        times[k++] = now() - t0;
    }
    double cpu = (cpu_now() - c0) / k;
    if (!training && a->dump_dir && dump_output(ctx, a->dump_dir, B)) return 1;
    qsort(times, (size_t)k, sizeof(double), cmp_d);
    double med = times[k / 2], p90 = times[(int)(0.9 * (k - 1))];
    /* a training step is about 3x the forward's work (forward + 2x for backward) */
    double work = flop * B * (training ? 3.0 : 1.0);
    double gf = work / med * 1e-9;
    if (a->json)
        printf("{\"mode\": \"%s\", \"variant\": \"%s\", \"batch\": %d, "
               "\"median_ms\": %.4f, \"p90_ms\": %.4f, \"samples_per_s\": %.1f, "
               "\"gflops\": %.2f, \"peak_gflops\": %.1f, \"ctx_mib\": %.2f, \"calls\": %d, "
               "\"cpu_ms\": %.4f}\n",
               training ? "train" : "infer",
               opt        ? "fwd+bwd+adamw"
               : training ? "fwd+bwd"
                          : "forward",
               B, med * 1e3, p90 * 1e3, B / med, gf, peak,
               (double)ptm_ctx_memory_bytes(ctx) / 1048576.0, k, cpu * 1e3);
    else
        printf("%-11s %-6d %10.3f %10.3f %12.0f %9.2f %7.1f%% %9.1f %10.3f\n",
               opt        ? "train+opt"
               : training ? "train"
                          : "infer",
               B, med * 1e3, p90 * 1e3, B / med, gf, peak > 0 ? 100.0 * gf / peak : 0.0,
               (double)ptm_ctx_memory_bytes(ctx) / 1048576.0, cpu * 1e3);
    free(times);
    free(x);
    free(fut);
    ptm_ctx_free(ctx);
    return 0;
}

/* online forecasting: one new row, then a forecast, per step; 0 or 1 */
static int run_stream(const ptm_model *m, const bench_args *a) {
    const ptm_config *c = ptm_model_config(m);
    ptm_error err;
    ptm_stream *st = NULL;
    ptm_stream_params sp = ptm_stream_default_params();
    sp.num_threads = a->threads;
    if (ptm_stream_create(m, &sp, &st, &err) != PTM_OK) {
        fprintf(stderr, "bench: %s\n", err.text);
        return 1;
    }
    size_t C = (size_t)c->num_input_channels;
    float *row = malloc(C * sizeof(float));
    double *times = malloc(sizeof(double) * 100000);
    if (!row || !times) return 1;
    int k = 0;
    for (int64_t r = 0; r < c->context_length; r++) {
        for (size_t j = 0; j < C; j++)
            row[j] = (float)sin(0.01 * (double)(r * (int64_t)C + (int64_t)j));
        if (ptm_stream_push(st, row, NULL, 1, &err) != PTM_OK) return 1;
    }
    double t_end = now() + a->seconds;
    const float *fc = NULL;
    while ((now() < t_end || k < 3) && k < 100000) {
        double t0 = now();
        if (ptm_stream_push(st, row, NULL, 1, &err) != PTM_OK ||
            ptm_stream_forecast(st, &fc, &err) != PTM_OK)
            return 1;
        times[k++] = now() - t0;
    }
    qsort(times, (size_t)k, sizeof(double), cmp_d);
    if (a->json)
        printf("{\"mode\": \"stream\", \"median_ms\": %.4f, \"p90_ms\": %.4f}\n",
               times[k / 2] * 1e3, times[(int)(0.9 * (k - 1))] * 1e3);
    else
        printf("%-11s %-6s %10.3f %10.3f %12.0f   (per new row: push + forecast)\n", "stream", "1",
               times[k / 2] * 1e3, times[(int)(0.9 * (k - 1))] * 1e3, 1.0 / times[k / 2]);
    free(row);
    free(times);
    ptm_stream_free(st);
    return 0;
}

/* one call of a --gemm op (S series for the series ops) */
static void gemm_call(int kind, size_t M, size_t N, size_t K, size_t S, const float *A,
                      const float *B, const float *bias, float *C) {
    const ptmi_kernel_table *kt = ptmi_kernels();
    switch (kind) {
    case G_LINEAR:
    case G_PLAIN:
        ptmi_linear_fused(M, N, K, A, K, B, N, bias, C, N, kind == G_LINEAR);
        break;
    case G_GATE:
        kt->linear_gate(M, N, A, N, B, N, bias, NULL, 0, C, N);
        break;
    case G_SERIES:
    case G_SGELU:
        ptmi_gemm_series(M, N, K, A, K, B, K * N, N, bias, C, M * N, N, S, kind == G_SGELU);
        break;
    case G_SGATE:
        kt->series_gate(M, N, A, bias, B, NULL, C, M * N, S);
        break;
    default: /* G_ACC, G_AT */
        ptmi_gemm_acc(M, N, K, A, kind == G_AT ? 1 : K, kind == G_AT ? M : 1, B, N, C, N);
        break;
    }
}

/* --gemm: one product, timed like a model row (warm-up, then S seconds, at least K calls); the
 * accumulating ops restart from the same C each call (a copy, not timed) */
static int run_gemm(const bench_args *a, double peak, int cores) {
    size_t M = a->gemm[0], N = a->gemm[1], K = a->gemm[2];
    const char *op = a->gemm_op;
    const int kind = a->gemm_kind;
    const ptmi_kernel_table *kt = ptmi_kernels();
    int series = kind >= G_SERIES, acc = kind == G_ACC || kind == G_AT;
    size_t S = series ? a->gemm[3] : 1;
    if ((series || kind == G_GATE) && a->threads != 1) {
        fprintf(stderr, "bench: --gemm %s runs on one thread (--threads 1)\n", op);
        return 2;
    }
    if (kind == G_GATE &&
        (K != N || !kt->gate_width || N % kt->gate_width || N > PTMI_GATE_MAX_D)) {
        fprintf(stderr, "bench: --gemm gate needs K = N, a multiple of %zu up to %d (%s)\n",
                kt->gate_width, PTMI_GATE_MAX_D, ptmi_kernels_name());
        return 2;
    }
    if (kind == G_SGATE &&
        (K != M || M > kt->series_gate_rows || !kt->series_width || N % kt->series_width)) {
        fprintf(stderr, "bench: --gemm sgate needs K = M <= %zu and N a multiple of %zu (%s)\n",
                kt->series_gate_rows, kt->series_width, ptmi_kernels_name());
        return 2;
    }
    float *A = malloc(M * K * sizeof(float)), *B = malloc(S * K * N * sizeof(float));
    float *C = malloc(S * M * N * sizeof(float)), *C0 = malloc(S * M * N * sizeof(float));
    float *bias = malloc((M > N ? M : N) * sizeof(float));
    double *times = malloc(sizeof(double) * 100000), *cpus = malloc(sizeof(double) * 100000);
    if (!A || !B || !C || !C0 || !bias || !times || !cpus) return 1;
    uint32_t s = 1;
    for (size_t i = 0; i < M * K; i++)
        A[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1p-24f - 0.5f;
    for (size_t i = 0; i < S * K * N; i++)
        B[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1p-24f - 0.5f;
    for (size_t i = 0; i < S * M * N; i++) C0[i] = 0.25f;
    for (size_t i = 0; i < (M > N ? M : N); i++) bias[i] = 0.125f;
    ptmi_pool *pool = a->threads > 1 ? ptmi_pool_create(a->threads) : NULL;
    ptmi_pool *prev = ptmi_pool_enter(pool);
    /* the packing scratch a context would give each thread */
    size_t per = ptmi_kernels()->pack_floats;
    float *pack =
        per ? malloc((size_t)(a->threads < 1 ? 1 : a->threads) * per * sizeof(float)) : NULL;
    if (per && !pack) return 1;
    ptmi_pool_set_scratch(pool, pack, per);
    ptmi_scratch_buf prev_scratch = ptmi_scratch_enter(pack, per);
    int k = 0;
    double t_warm = now() + 0.2, t_end = 0.0;
    for (int warm = 1; warm >= 0; warm--) {
        if (!warm) t_end = now() + a->seconds;
        while (warm ? now() < t_warm : ((now() < t_end || k < a->min_calls) && k < 100000)) {
            if (acc) memcpy(C, C0, M * N * sizeof(float));
            double t0 = now(), c0 = cpu_now();
            gemm_call(kind, M, N, K, S, A, B, bias, C);
            if (!warm) {
                times[k] = now() - t0;
                cpus[k++] = cpu_now() - c0;
            }
        }
    }
    ptmi_scratch_leave(prev_scratch);
    ptmi_pool_leave(prev);
    ptmi_pool_free(pool);
    free(pack);
    qsort(times, (size_t)k, sizeof(double), cmp_d);
    double work = 2.0 * (double)M * (double)N * (double)K * (double)S;
    double med = times[k / 2], gf = work / med * 1e-9;
    qsort(cpus, (size_t)k, sizeof(double), cmp_d);
    /* the process's CPU time per call over the threads: on a shared machine, the one-thread
     * figure that time slicing does not inflate */
    double cmed = cpus[k / 2] / a->threads, gc = work / cmed;
    char ser[32] = "";
    if (series) snprintf(ser, sizeof ser, " S=%zu", S);
    printf("gemm %s M=%zu N=%zu K=%zu%s, %s, %d thread%s: median %.3f ms (%.2f GFLOP/s, %.1f%%), "
           "p90 %.3f ms, cpu/thread %.3f ms (%.1f%%); FMA peak %.1f GFLOP/s on %d core%s; "
           "%d calls\n",
           a->gemm_op, M, N, K, ser, ptmi_kernels_name(), a->threads, a->threads == 1 ? "" : "s",
           med * 1e3, gf, peak > 0 ? 100.0 * gf / peak : 0.0, times[(int)(0.9 * (k - 1))] * 1e3,
           cmed * 1e3, peak > 0 ? 100.0 * gc * 1e-9 / peak : 0.0, peak, cores,
           cores == 1 ? "" : "s", k);
    free(cpus);
    free(A);
    free(B);
    free(C);
    free(C0);
    free(bias);
    free(times);
    return 0;
}

int main(int argc, char **argv) {
    bench_args a;
    if (parse_args(argc, argv, &a)) return 2;
    if (a.gemm[0]) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        int cores = a.threads < 1 ? 1 : (ncpu > 0 && a.threads > ncpu ? (int)ncpu : a.threads);
        return run_gemm(&a, measure_peak() * cores, cores);
    }
    ptm_model *m = make_model(&a);
    if (!m) return 1;
    ptm_model *mi = a.model_dir || a.train == 2 ? m : loaded_copy(m);
    if (!mi) return 1;
    const ptm_config *c = ptm_model_config(m);
    /* % peak is against the peak of the cores the threads can use */
    double peak1 = measure_peak();
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int cores = a.threads < 1 ? 1 : (ncpu > 0 && a.threads > ncpu ? (int)ncpu : a.threads);
    double peak = peak1 * cores;
    double flop = 2.0 * (double)ptm_model_macs_per_sample(m);
    if (!a.json) {
        printf("model: %s, context %d, %d channels, d_model %d, %d layers, %.2f MFLOP/sample\n",
               ptm_config_class_name(c), c->context_length, c->num_input_channels, c->d_model,
               c->num_layers, flop * 1e-6);
        printf("kernels: %s; measured FMA peak: %.1f GFLOP/s on one core, %.1f on the %d core%s "
               "of %d thread%s\n",
               ptmi_kernels_name(), peak1, peak, cores, cores == 1 ? "" : "s", a.threads,
               a.threads == 1 ? "" : "s");
        printf("model weights: %.2f MiB\n", (double)ptm_model_num_params(m) * 4 / 1048576.0);
        printf("%-11s %-6s %10s %10s %12s %9s %8s %9s %10s\n", "mode", "batch", "median ms",
               "p90 ms", "samples/s", "GFLOP/s", "% peak", "ctx MiB", "cpu ms");
    }
    bench_opt o = {calloc(m->arena_floats, sizeof(float)), calloc(m->arena_floats, sizeof(float)),
                   ptmi_adamw_defaults(), 0};
    if (!o.am || !o.av) return 1;
    int rc = 0;
    for (int pass = a.train == 2 ? 1 : 0; pass < (a.train ? 3 : 1) && !rc; pass++)
        for (int bi = 0; bi < a.nb && !rc; bi++)
            if (a.batches[bi] >= 1)
                rc = run_case(pass ? m : mi, &a, a.batches[bi], pass, flop, peak, &o);
    if (!rc && a.stream && c->model_class == PTM_CLASS_PREDICTION) rc = run_stream(mi, &a);
    free(o.am);
    free(o.av);
    if (mi != m) ptm_model_free(mi);
    ptm_model_free(m);
    return rc;
}
