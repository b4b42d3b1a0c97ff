#!/usr/bin/python3
"""dev/exp_poly.py - the polynomial of exp512 / exp256 (src/kernels/simd512.h, simd256.h).

exp(x) = 2^n e^r, n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (ln 2 in two parts);
e^r is a polynomial of degree 6 (7 coefficients, c0 = 1 exactly), fitted to e^r by weighted least
squares in relative error on 200 Chebyshev nodes (close to minimax). Prints the coefficients
and the worst relative error of the float evaluation (Horner in float32, emulated) against exp
over the softmax range [-87, 0].

    /usr/bin/python3 dev/exp_poly.py
"""
import numpy as np

DEG = 6
H = np.log(2.0) / 2.0


def fit():
    t = np.cos(np.pi * (np.arange(200) + 0.5) / 200) * H
    y = np.exp(t) - 1.0  # c0 = 1 fixed
    V = np.vander(t, DEG + 1, increasing=True)[:, 1:]
    w = 1.0 / np.exp(t)
    c, *_ = np.linalg.lstsq(V * w[:, None], y * w, rcond=None)
    return [1.0] + list(c)


def main():
    c = [np.float32(v) for v in fit()]
    f32 = np.float32
    x = np.linspace(-87.0, 0.0, 3000001).astype(np.float32)
    n = np.round(x.astype(np.float64) * (1.0 / np.log(2.0))).astype(np.float32)
    r = (x.astype(np.float64) - n.astype(np.float64) * f32(0.693359375)).astype(np.float32)
    r = (r.astype(np.float64) - n.astype(np.float64) * f32(-2.12194440e-4)).astype(np.float32)
    p = np.full_like(r, c[DEG])
    for j in range(DEG - 1, -1, -1):
        p = (p.astype(np.float64) * r + c[j]).astype(np.float32)  # FMA: rounded once
    got = np.ldexp(p.astype(np.float64), n.astype(np.int64))
    want = np.exp(x.astype(np.float64))
    print("/* worst relative error on [-87, 0]: %.3g */" % (np.abs(got - want) / want).max())
    for j in range(DEG + 1):
        print("c%d = %.9g" % (j, c[j]))


if __name__ == "__main__":
    main()
