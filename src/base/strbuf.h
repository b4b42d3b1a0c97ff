/* strbuf.h - a growing NUL-terminated text buffer for the writers (config.json, safetensors
 * headers). Out of memory or size overflow sets oom and makes every later call a no-op, so a
 * writer checks once at the end. Start from a zeroed struct; free(b.p) when done. */
#ifndef PTMI_STRBUF_H
#define PTMI_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *p; /* the text, NUL-terminated (NULL until the first append) */
    size_t len, cap;
    int oom;
} ptmi_strbuf;

void ptmi_sb_addn(ptmi_strbuf *b, const char *s, size_t n);
void ptmi_sb_add(ptmi_strbuf *b, const char *s);
void ptmi_sb_int(ptmi_strbuf *b, long long v);
void ptmi_sb_u64(ptmi_strbuf *b, uint64_t v);
/* a JSON string literal for s (valid UTF-8, checked by the caller): '"' and '\\' escaped,
 * control characters as \u00XX */
void ptmi_sb_json_string(ptmi_strbuf *b, const char *s);

#endif
