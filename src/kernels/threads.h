/* threads.h - the thread pool of a context (see threads.c). */
#ifndef PTMI_THREADS_H
#define PTMI_THREADS_H
#include <stddef.h>

typedef struct ptmi_pool ptmi_pool;

/* NULL for nthreads < 2 (everything then runs on the caller) */
ptmi_pool *ptmi_pool_create(int nthreads);
void ptmi_pool_free(ptmi_pool *p);
/* fn(arg, ith, nth) on every thread of the pool (the caller is ith 0); NULL pool: fn(arg, 0, 1) */
void ptmi_pool_run(ptmi_pool *p, void (*fn)(void *arg, int ith, int nth), void *arg);
int ptmi_pool_size(const ptmi_pool *p);

/* the pool of the forward/backward running on this thread (set by ptm_forward/ptm_backward) */
ptmi_pool *ptmi_pool_current(void);
ptmi_pool *ptmi_pool_enter(ptmi_pool *p); /* returns the previous one, for ptmi_pool_leave */
void ptmi_pool_leave(ptmi_pool *prev);

/* The packing scratch of the calling thread: a buffer the GEMM kernels may use for copies of
 * their operands (kernels.h, pack_floats), owned by the running context (its arena) and
 * published per thread like the pool, so that no kernel allocates. ptmi_scratch returns it
 * (its size in *floats), or NULL outside a context; the kernels then read their operands in
 * place (the same results). */
typedef struct {
    float *p;
    size_t floats;
} ptmi_scratch_buf;
float *ptmi_scratch(size_t *floats);
ptmi_scratch_buf ptmi_scratch_enter(float *p, size_t floats); /* returns the previous one */
void ptmi_scratch_leave(ptmi_scratch_buf prev);
/* the pool's workers: thread ith runs its jobs with base + ith per_thread (per_thread floats);
 * thread 0, the caller, publishes its own with ptmi_scratch_enter */
void ptmi_pool_set_scratch(ptmi_pool *p, float *base, size_t per_thread);

/* fn(arg, begin, end) over [0, n) split across the current pool (serially without one, or when
 * n < 2 min_chunk). Each index is handled by exactly one call, so per-item results are
 * independent of the thread count. */
typedef void (*ptmi_range_fn)(void *arg, size_t begin, size_t end);
void ptmi_parallel_for(size_t n, size_t min_chunk, ptmi_range_fn fn, void *arg);

/* the share [*begin, *end) of n items for thread ith of nth, in multiples of `align` */
static inline void ptmi_share(size_t n, size_t align, int ith, int nth, size_t *begin,
                              size_t *end) {
    size_t blocks = (n + align - 1) / align;
    size_t b0 = blocks * (size_t)ith / (size_t)nth, b1 = blocks * (size_t)(ith + 1) / (size_t)nth;
    *begin = b0 * align < n ? b0 * align : n;
    *end = b1 * align < n ? b1 * align : n;
}
#endif
