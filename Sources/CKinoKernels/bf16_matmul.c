// bf16 x bf16 -> f32 matrix products through oneDNN's matmul primitive. oneDNN 2.6 exposes no bf16 GEMM in its
// BLAS-style C API, so this builds matmul primitives and keeps them per thread: Kino's pool splits the work and
// each worker runs its own single-threaded piece, as it does for sgemm.
#include "kino_kernels.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void omp_set_num_threads(int num_threads);

static dnnl_engine_t kino_engine;
static int kino_engine_ok;
static pthread_once_t kino_engine_once = PTHREAD_ONCE_INIT;

static void kino_engine_create(void) {
    kino_engine_ok = dnnl_engine_create(&kino_engine, dnnl_cpu, 0) == dnnl_success;
}

int kino_bf16_native(void) {
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    unsigned bf16 = (unsigned)dnnl_cpu_isa_avx512_core_bf16;
    return (isa & bf16) == bf16;
}

const char *kino_onednn_isa(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_sse41: return "sse41";
    default: return "other";
    }
}

// One cached primitive per shape, per thread. Scratchpads are user-managed (one buffer per thread) so that no
// two threads ever share oneDNN's library scratchpad.
typedef struct {
    long m, n, k, lda, ldb, ldc;
    int accumulate, trans_b;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t src, weights, dst, scratch;
} kino_mm_entry;

enum { kino_mm_slots = 48 };

typedef struct {
    kino_mm_entry entries[kino_mm_slots];
    int count, next;
    dnnl_stream_t stream;
    void *scratch;
    size_t scratch_size;
} kino_mm_cache;

static __thread kino_mm_cache *kino_cache;

static kino_mm_entry *kino_mm_lookup(long m, long n, long k, long lda, long ldb, long ldc, int accumulate, int trans_b) {
    kino_mm_cache *cache = kino_cache;
    for (int i = 0; i < cache->count; i++) {
        kino_mm_entry *e = &cache->entries[i];
        if (e->m == m && e->n == n && e->k == k && e->lda == lda && e->ldb == ldb && e->ldc == ldc
            && e->accumulate == accumulate && e->trans_b == trans_b)
            return e;
    }
    kino_mm_entry fresh = {m, n, k, lda, ldb, ldc, accumulate, trans_b, NULL};
    dnnl_dims_t src_dims = {m, k}, src_strides = {lda, 1};
    dnnl_dims_t w_dims = {k, n}, w_strides = {1, ldb};      // B stored [n, k] (a linear layer's weight): transposed
    if (!trans_b) { w_strides[0] = ldb; w_strides[1] = 1; }  // B stored [k, n]
    dnnl_dims_t dst_dims = {m, n}, dst_strides = {ldc, 1};
    if (dnnl_memory_desc_init_by_strides(&fresh.src, 2, src_dims, dnnl_bf16, src_strides)
        || dnnl_memory_desc_init_by_strides(&fresh.weights, 2, w_dims, dnnl_bf16, w_strides)
        || dnnl_memory_desc_init_by_strides(&fresh.dst, 2, dst_dims, dnnl_f32, dst_strides))
        return NULL;
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &fresh.src, &fresh.weights, NULL, &fresh.dst)) return NULL;
    dnnl_primitive_attr_t attr;
    if (dnnl_primitive_attr_create(&attr)) return NULL;
    dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    dnnl_post_ops_t post_ops = NULL;
    if (accumulate) {
        dnnl_post_ops_create(&post_ops);
        dnnl_post_ops_append_sum(post_ops, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, post_ops);
    }
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t status = dnnl_primitive_desc_create(&pd, &desc, attr, kino_engine, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (status) return NULL;
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (scratch) fresh.scratch = *scratch; else memset(&fresh.scratch, 0, sizeof fresh.scratch);
    status = dnnl_primitive_create(&fresh.primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    if (status) return NULL;
    // A full cache reuses slots round-robin; shapes repeat within a forward, so this is rare.
    int slot;
    if (cache->count < kino_mm_slots) {
        slot = cache->count++;
    } else {
        slot = cache->next++ % kino_mm_slots;
        dnnl_primitive_destroy(cache->entries[slot].primitive);
    }
    cache->entries[slot] = fresh;
    return &cache->entries[slot];
}

int kino_bf16_matmul(long m, long n, long k, const uint16_t *a, long lda, const uint16_t *b, long ldb, int trans_b,
                     float *c, long ldc, int accumulate) {
    if (m <= 0 || n <= 0) return 0;
    pthread_once(&kino_engine_once, kino_engine_create);
    if (!kino_engine_ok) return 1;
    if (!kino_cache) {
        kino_cache = calloc(1, sizeof *kino_cache);
        if (!kino_cache) return 2;
        if (dnnl_stream_create(&kino_cache->stream, kino_engine, dnnl_stream_default_flags)) {
            free(kino_cache);
            kino_cache = NULL;
            return 3;
        }
    }
    omp_set_num_threads(1);
    kino_mm_entry *e = kino_mm_lookup(m, n, k, lda, ldb, ldc, accumulate != 0, trans_b != 0);
    if (!e) return 4;
    size_t scratch_size = dnnl_memory_desc_get_size(&e->scratch);
    if (scratch_size > kino_cache->scratch_size) {
        free(kino_cache->scratch);
        kino_cache->scratch = aligned_alloc(64, (scratch_size + 63) / 64 * 64);
        kino_cache->scratch_size = kino_cache->scratch ? scratch_size : 0;
        if (!kino_cache->scratch) return 5;
    }
    dnnl_memory_t src, weights, dst, scratch = NULL;
    if (dnnl_memory_create(&src, &e->src, kino_engine, (void *)a)) return 6;
    if (dnnl_memory_create(&weights, &e->weights, kino_engine, (void *)b)) { dnnl_memory_destroy(src); return 6; }
    if (dnnl_memory_create(&dst, &e->dst, kino_engine, c)) {
        dnnl_memory_destroy(src); dnnl_memory_destroy(weights); return 6;
    }
    int count = 3;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (scratch_size > 0 && dnnl_memory_create(&scratch, &e->scratch, kino_engine, kino_cache->scratch) == dnnl_success)
        args[count++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    dnnl_status_t status = dnnl_primitive_execute(e->primitive, kino_cache->stream, count, args);
    if (status == dnnl_success) status = dnnl_stream_wait(kino_cache->stream);
    dnnl_memory_destroy(src);
    dnnl_memory_destroy(weights);
    dnnl_memory_destroy(dst);
    if (scratch) dnnl_memory_destroy(scratch);
    return status == dnnl_success ? 0 : 7;
}
