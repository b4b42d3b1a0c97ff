/* threads.c - a small thread pool, created once per context (ggml's ith/nth model).
 *
 * ptmi_pool_run(pool, fn, arg) runs fn(arg, ith, nth) on all nth threads (the caller is thread
 * 0) and returns when every share is done. Work is split by index, never by timing, so
 * results do not depend on scheduling. Workers spin (up to SPIN_NS) on an atomic generation
 * counter before sleeping on a condition variable, so that the many small calls of a batch-1
 * forward do not each pay a wake-up.
 *
 * The pool of the running forward is published to the kernels through ptmi_pool_current()
 * (a thread-local set by ptmi_pool_enter / ptmi_pool_leave); kernels called from worker
 * threads see no pool and run serially.
 */
#include "kernels/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct ptmi_pool {
    int nth;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* workers wait here for a job */
    pthread_cond_t done_cv; /* the caller waits here for the last worker */
    atomic_uint gen;        /* incremented for every job */
    atomic_int pending;     /* workers still running the current job */
    atomic_int quit;
    void (*fn)(void *arg, int ith, int nth);
    void *arg;
    float *scratch; /* per_thread floats for each thread, or NULL */
    size_t per_thread;
};

static _Thread_local ptmi_pool *tl_pool;
static _Thread_local ptmi_scratch_buf tl_scratch;

float *ptmi_scratch(size_t *floats) {
    *floats = tl_scratch.p ? tl_scratch.floats : 0;
    return tl_scratch.p;
}
ptmi_scratch_buf ptmi_scratch_enter(float *p, size_t floats) {
    ptmi_scratch_buf prev = tl_scratch;
    tl_scratch.p = p;
    tl_scratch.floats = p ? floats : 0;
    return prev;
}
void ptmi_scratch_leave(ptmi_scratch_buf prev) {
    tl_scratch = prev;
}
void ptmi_pool_set_scratch(ptmi_pool *p, float *base, size_t per_thread) {
    if (!p) return;
    p->scratch = base;
    p->per_thread = base ? per_thread : 0;
}

ptmi_pool *ptmi_pool_current(void) {
    return tl_pool;
}
ptmi_pool *ptmi_pool_enter(ptmi_pool *p) {
    ptmi_pool *prev = tl_pool;
    tl_pool = p;
    return prev;
}
void ptmi_pool_leave(ptmi_pool *prev) {
    tl_pool = prev;
}
int ptmi_pool_size(const ptmi_pool *p) {
    return p ? p->nth : 1;
}

typedef struct {
    ptmi_pool *pool;
    int ith;
} worker_arg;

/* How long an idle worker (or the caller waiting for the workers) spins before it sleeps on
 * the condition variable. A batch-1 forward runs a pool job every few tens of microseconds
 * with serial steps in between; a wake-up from the condition variable costs about as much as
 * such a step on a virtual machine, so a worker that slept after the old 4000 spins (a few
 * microseconds) made two threads slower than one there. 100 us keeps it awake between the
 * jobs of one forward and costs at most that much CPU after the last. */
#ifndef SPIN_NS
#define SPIN_NS 100000
#endif
static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}
/* round i of a spin that started at *t0 (0: not yet read): 1 once SPIN_NS have passed (the
 * clock is read every 64 rounds) */
static int spin_over(int i, long long *t0) {
    if ((i & 63) != 63) return 0;
    long long t = now_ns();
    if (!*t0) *t0 = t;
    return t - *t0 > SPIN_NS;
}
/* spins while *gen == seen (and not quit), for at most SPIN_NS */
static void spin_until(atomic_uint *gen, unsigned seen, atomic_int *quit) {
    long long t0 = 0;
    for (int i = 0; atomic_load_explicit(gen, memory_order_acquire) == seen && !atomic_load(quit);
         i++) {
        cpu_relax();
        if (spin_over(i, &t0)) return;
    }
}
/* spins until *pending is 0, for at most SPIN_NS: 1 when it got there */
static int spin_pending(atomic_int *pending) {
    long long t0 = 0;
    for (int i = 0;; i++) {
        if (atomic_load_explicit(pending, memory_order_acquire) == 0) return 1;
        cpu_relax();
        if (spin_over(i, &t0)) return 0;
    }
}

static void *worker(void *a) {
    worker_arg *wa = a;
    ptmi_pool *p = wa->pool;
    int ith = wa->ith;
    free(wa);
    unsigned seen = 0; /* gen before the first job: a job may start before this thread runs */
    for (;;) {
        spin_until(&p->gen, seen, &p->quit);
        if (atomic_load_explicit(&p->gen, memory_order_acquire) == seen && !atomic_load(&p->quit)) {
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit)) return NULL;
        seen = atomic_load(&p->gen);
        ptmi_scratch_enter(p->scratch ? p->scratch + (size_t)ith * p->per_thread : NULL,
                           p->per_thread);
        p->fn(p->arg, ith, p->nth);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

ptmi_pool *ptmi_pool_create(int nthreads) {
    if (nthreads < 2) return NULL;
    ptmi_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nth = nthreads;
    p->threads = calloc((size_t)nthreads, sizeof(pthread_t));
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->quit, 0);
    for (int i = 1; i < nthreads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa ||
            (wa->pool = p, wa->ith = i, pthread_create(&p->threads[i], NULL, worker, wa) != 0)) {
            free(wa);
            p->nth = i; /* run with the threads that started */
            break;
        }
    }
    if (p->nth < 2) {
        ptmi_pool_free(p);
        return NULL;
    }
    return p;
}

void ptmi_pool_run(ptmi_pool *p, void (*fn)(void *arg, int ith, int nth), void *arg) {
    if (!p) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->pending, p->nth - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->nth);
    /* spin up to SPIN_NS (the usual case: the worker finishes about when we do), then sleep,
     * so that a worker descheduled by other processes does not make us burn our time slice */
    if (spin_pending(&p->pending)) return;
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void ptmi_pool_free(ptmi_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->nth; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->done_cv);
    free(p->threads);
    free(p);
}

typedef struct {
    size_t n, align;
    ptmi_range_fn fn;
    void *arg;
} range_job;

static void range_part(void *a, int ith, int nth) {
    const range_job *j = a;
    size_t b, e;
    ptmi_share(j->n, j->align, ith, nth, &b, &e);
    if (e > b) j->fn(j->arg, b, e);
}

void ptmi_parallel_for(size_t n, size_t min_chunk, ptmi_range_fn fn, void *arg) {
    ptmi_pool *p = tl_pool;
    if (!p || n < 2 * (min_chunk ? min_chunk : 1)) {
        if (n) fn(arg, 0, n);
        return;
    }
    range_job j = {n, 1, fn, arg};
    ptmi_pool_run(p, range_part, &j);
}
