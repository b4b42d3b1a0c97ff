/* threads.h - the thread pool of a context (see threads.c). */
#ifndef PTM_THREADS_H
#define PTM_THREADS_H
#include <stddef.h>

typedef struct ptm_pool ptm_pool;

/* NULL for nthreads < 2 (everything then runs on the caller) */
ptm_pool *ptm_pool_create(int nthreads);
void ptm_pool_free(ptm_pool *p);
/* fn(arg, ith, nth) on every thread of the pool (the caller is ith 0); NULL pool: fn(arg, 0, 1) */
void ptm_pool_run(ptm_pool *p, void (*fn)(void *arg, int ith, int nth), void *arg);
int ptm_pool_size(const ptm_pool *p);

/* the pool of the forward/backward running on this thread (set by ptm_forward/ptm_backward) */
ptm_pool *ptm_pool_current(void);
ptm_pool *ptm_pool_enter(ptm_pool *p); /* returns the previous one, for ptm_pool_leave */
void ptm_pool_leave(ptm_pool *prev);

/* fn(arg, begin, end) over [0, n) split across the current pool (serially without one, or when
 * n < 2 min_chunk). Each index is handled by exactly one call, so per-item results are
 * independent of the thread count. */
typedef void (*ptm_range_fn)(void *arg, size_t begin, size_t end);
void ptm_parallel_for(size_t n, size_t min_chunk, ptm_range_fn fn, void *arg);

/* the share [*begin, *end) of n items for thread ith of nth, in multiples of `align` */
static inline void ptm_share(size_t n, size_t align, int ith, int nth, size_t *begin, size_t *end) {
    size_t blocks = (n + align - 1) / align;
    size_t b0 = blocks * (size_t)ith / (size_t)nth, b1 = blocks * (size_t)(ith + 1) / (size_t)nth;
    *begin = b0 * align < n ? b0 * align : n;
    *end = b1 * align < n ? b1 * align : n;
}
#endif
