/* common.h - internal helpers shared by every source file of the library.
 *
 * Error reporting: every fallible internal function returns ptm_status and fills a
 * caller-owned ptm_error through ptmi_err(). Nothing here prints or exits.
 * Size arithmetic: ptmi_mul_size / ptmi_add_size check for overflow before use.
 */
#ifndef PTMI_COMMON_H
#define PTMI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "patchtsmixer.h"

#if defined(__GNUC__) || defined(__clang__)
#define PTMI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PTMI_PRINTF(a, b)
#endif

/* Fill *err (if not NULL) and return code. file/field may be NULL.
 * text is a printf format. Returns code so callers can `return ptmi_err(...)`.
 * file, field and the formatted text are stored through ptmi_escape: names and values quoted
 * from hostile files never put a raw control character into a message. */
ptm_status ptmi_err(ptm_error *err, ptm_status code, const char *file, const char *field,
                    const char *fmt, ...) PTMI_PRINTF(5, 6);

/* Length of the well-formed UTF-8 sequence at s (n >= 1 bytes available): 1 for ASCII, 2 to 4,
 * or 0 (a NUL byte, a stray continuation byte, an overlong form, a surrogate, beyond
 * U+10FFFF, cut short). */
size_t ptmi_utf8_seq_len(const unsigned char *s, size_t n);
/* Copy src (at most src_len bytes, stopping at a NUL; NULL = "") into dst (n bytes, always
 * NUL-terminated, cut before what does not fit) with every control character as a visible
 * escape: \n \r \t, other bytes below 0x20, 0x7f (so ESC, which starts terminal sequences,
 * becomes \x1b) and bytes that are not valid UTF-8 as \xHH, the C1 controls U+0080..U+009F as
 * \u00HH. Other text, valid UTF-8 included, is copied as is. Returns dst. */
char *ptmi_escape(char *dst, size_t n, const char *src, size_t src_len);

/* Overflow-checked size arithmetic: return 0 on success, -1 on overflow. */
static inline int ptmi_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}
static inline int ptmi_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return -1;
    *out = a + b;
    return 0;
}

/* Open path for reading without ever blocking: open(O_RDONLY | O_NONBLOCK | O_CLOEXEC |
 * O_NOCTTY), fstat, and refuse (PTM_ERR_IO, naming the file and what it is: a FIFO, a
 * directory, a character device, ...) anything but a regular file; O_NONBLOCK is then
 * cleared. On success *fd is open (the caller closes it) and *st holds its fstat; on failure
 * *fd is -1. Every file the library reads goes through here. */
struct stat;
ptm_status ptmi_open_read(const char *path, int *fd, struct stat *st, ptm_error *err);

/* Read exactly n bytes at offset off of fd into dst (pread, retried on EINTR and short
 * reads). Returns 0, or -1 with errno (EIO-like 0 when the file ended early: errno = 0). */
int ptmi_pread_full(int fd, void *dst, size_t n, uint64_t off);

/* Read a whole file into a malloc'd buffer (with one extra NUL byte not counted in *size).
 * max_size bounds what is accepted (0 = no bound beyond memory). */
ptm_status ptmi_read_file(const char *path, size_t max_size, unsigned char **buf, size_t *size,
                          ptm_error *err);

/* Join dir and name into out (out_size bytes). Returns PTM_ERR_ARG if it does not fit. */
ptm_status ptmi_path_join(char *out, size_t out_size, const char *dir, const char *name,
                          ptm_error *err);

#endif
