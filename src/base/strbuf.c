/* strbuf.c - the growing text buffer of strbuf.h. */
#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"

void ptmi_sb_addn(ptmi_strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    size_t need;
    if (ptmi_add_size(b->len, n, &need) || ptmi_add_size(need, 1, &need)) {
        b->oom = 1;
        return;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
            if (ptmi_mul_size(cap, 2, &cap)) {
                b->oom = 1;
                return;
            }
        }
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ptmi_sb_add(ptmi_strbuf *b, const char *s) {
    ptmi_sb_addn(b, s, strlen(s));
}

void ptmi_sb_int(ptmi_strbuf *b, long long v) {
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", v);
    ptmi_sb_addn(b, t, (size_t)n);
}

void ptmi_sb_u64(ptmi_strbuf *b, uint64_t v) {
    char t[32];
    int n = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    ptmi_sb_addn(b, t, (size_t)n);
}

void ptmi_sb_json_string(ptmi_strbuf *b, const char *s) {
    ptmi_sb_addn(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '"' || u == '\\') {
            char e[2] = {'\\', (char)u};
            ptmi_sb_addn(b, e, 2);
        } else if (u < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", (unsigned)u);
            ptmi_sb_addn(b, e, 6);
        } else {
            ptmi_sb_addn(b, c, 1);
        }
    }
    ptmi_sb_addn(b, "\"", 1);
}
