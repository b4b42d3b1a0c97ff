/* fuzz_safetensors.c - fuzz target of the safetensors reader (st_load_mem) and writer.
 *
 * The input is a whole .safetensors file. Whatever the reader accepts is converted to floats
 * tensor by tensor, written back with st_write (F32 / I64 tensors) and read again: the second
 * read must succeed and give the same names, shapes and bytes (else abort: a finding).
 *
 *     make fuzz && build/fuzz/fuzz_safetensors tests/fuzz/corpus/safetensors
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file f;
    ptm_error err;
    if (st_load_mem(data, size, "fuzz.safetensors", &f, &err) != PTM_OK) {
        fuzz_note("safetensors", err.code, err.file, err.field, err.text);
        if (err.code == PTM_OK) abort(); /* an error must carry its code */
        return 0;
    }
    st_write_entry *ents = calloc(f.count + 1, sizeof *ents);
    size_t ne = 0;
    for (size_t i = 0; i < f.count; i++) {
        const st_tensor *t = &f.tensors[i];
        if (st_find(&f, t->name) != t) abort(); /* names are unique */
        if (t->data < f.buf || t->nbytes > f.size || t->data + t->nbytes > f.buf + f.size) abort();
        float *dst = malloc(t->numel * sizeof(float) + 1);
        if (dst) {
            ptm_status s = st_to_f32(t, dst, &err);
            if ((s == PTM_OK) != (t->dtype != ST_OTHER)) abort();
            free(dst);
        }
        if (ents && t->dtype != ST_OTHER) {
            st_write_entry *e = &ents[ne++];
            e->name = t->name;
            e->dtype = t->dtype;
            e->ndim = t->ndim;
            for (int d = 0; d < t->ndim; d++) e->shape[d] = t->shape[d];
            e->data = t->data; /* little-endian bytes: the host order on the machines we fuzz */
        }
    }
    const char *dir = fuzz_tmpdir();
    if (ents && dir) {
        char path[512];
        snprintf(path, sizeof path, "%s/roundtrip.safetensors", dir);
        if (st_write(path, ents, ne, &err) != PTM_OK) abort();
        st_file g;
        if (st_load(path, &g, &err) != PTM_OK) abort();
        if (g.count != ne) abort();
        for (size_t i = 0; i < ne; i++) {
            const st_tensor *t = st_find(&g, ents[i].name);
            if (!t || t->dtype != ents[i].dtype || t->ndim != ents[i].ndim) abort();
            if (memcmp(t->shape, ents[i].shape, sizeof(int64_t) * (size_t)t->ndim) != 0) abort();
            if (t->nbytes && memcmp(t->data, ents[i].data, t->nbytes) != 0) abort();
        }
        st_free(&g);
    }
    free(ents);
    st_free(&f);
    return 0;
}
