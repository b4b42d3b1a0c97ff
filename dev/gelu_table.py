#!/usr/bin/python3
"""dev/gelu_table.py - the coefficient table of the AVX-512 GELU (src/kernels/simd512.h, gelu512).

GELU(x) = max(x, 0) - D(|x|) with D(a) = a Phi(-a) = a erfc(a / sqrt 2) / 2, which falls from
its peak (0.17 at a = 0.75) to 6e-9 at a = 6. D on [0, 6) is cut into 32 intervals of width
w = 3/16; on interval i, a = w (i + 1/2 + t), t in [-1/2, 1/2], and D is a polynomial of degree
4 in t, fitted by least squares on 64 Chebyshev nodes (close to minimax). Beyond 6, a is clamped
(D(6) = 6e-9). Prints the table as C initializers, and the worst error of the float evaluation
(the kernel's operations, emulated in float32; w is 1 / float(16/3), the kernel's scale) against the exact GELU, as |err| / (1 + |GELU|).

    /usr/bin/python3 dev/gelu_table.py
"""
import math

import numpy as np

N, DEG = 32, 4
S = float(np.float32(16.0 / 3.0))  # the kernel's scale, a float
W = 1.0 / S  # interval width, 3/16 up to the rounding of S


def D(a):
    return a * 0.5 * math.erfc(a / math.sqrt(2.0))


def fit():
    nodes = np.cos(np.pi * (np.arange(64) + 0.5) / 64) / 2.0  # t in (-1/2, 1/2)
    V = np.vander(nodes, DEG + 1, increasing=True)
    tab = np.zeros((DEG + 1, N))
    for i in range(N):
        y = np.array([D(W * (i + 0.5 + t)) for t in nodes])
        c, *_ = np.linalg.lstsq(V, y, rcond=None)
        tab[:, i] = c
    return tab.astype(np.float32)


def gelu_kernel(x, tab):
    """the kernel's steps in float32"""
    f32 = np.float32
    a = np.minimum(np.abs(x), f32(5.9999995))
    u = (a.astype(np.float64) * S - 0.5).astype(np.float32)  # one FMA: rounded once
    magic = f32(12582912.0)  # 1.5 * 2^23: u + magic rounds u to an integer
    n = ((u + magic).astype(np.float32) - magic).astype(np.float32)
    idx = n.astype(np.int64) & 31
    t = (u - n).astype(np.float32)
    p = tab[DEG][idx]
    for j in range(DEG - 1, -1, -1):
        p = (p * t + tab[j][idx]).astype(np.float32)
    return (np.maximum(x, f32(0.0)) - p).astype(np.float32)


def main():
    tab = fit()
    x = np.linspace(-12.0, 12.0, 2000001).astype(np.float32)
    exact = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x.astype(np.float64)])
    got = gelu_kernel(x, tab).astype(np.float64)
    err = np.abs(got - exact) / (1.0 + np.abs(exact))
    print("/* worst |err| / (1 + |GELU|) on [-12, 12]: %.3g */" % err.max())
    for j in range(DEG + 1):
        vals = ", ".join("%.9gf" % v for v in tab[j])
        print("{%s}," % vals)


if __name__ == "__main__":
    main()
