"""_errors.py - PatchTSMixerError and the helpers that raise it from a ptm_status and the
library's ptm_error (or from a misuse caught before calling the library, status "arg").
"""
import ctypes

from . import _capi as C

_STATUS = {0: "ok", 1: "io", 2: "format", 3: "config", 4: "unsupported", 5: "tensor",
           6: "input", 7: "nomem", 8: "limit", 9: "arg", 10: "diverged"}


class PatchTSMixerError(RuntimeError):
    """An error reported by the C library (or a misuse caught before calling it).

    Attributes: code (the ptm_status number), status ("io", "format", "config", "unsupported",
    "tensor", "input", "nomem", "limit", "arg", "diverged"), file, field, text (what was found
    and what was expected); str(e) is the library's one-line message "file: field: text".
    """

    def __init__(self, code, message, file="", field="", text=""):
        super().__init__(message)
        self.code = code
        self.status = _STATUS.get(code, "error")
        self.file = file
        self.field = field
        self.text = text


def _raise(code, err):
    buf = ctypes.create_string_buffer(2048)
    msg = C.ptm_error_message(ctypes.byref(err), buf, len(buf)).decode("utf-8", "replace")
    dec = lambda b: b.decode("utf-8", "replace")  # noqa: E731
    raise PatchTSMixerError(code, msg, dec(err.file), dec(err.field), dec(err.text))


def _check(code, err):
    if code != 0:
        _raise(code, err)


def _usage(text, field=""):
    err = C.PtmError()
    err.code = 9
    err.field = field.encode()[:255]
    err.text = text.encode()[:767]
    _raise(9, err)
