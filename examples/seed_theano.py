"""The seed tutorial, in clgraph: a compiled expression, its derivative, shared
variables with givens, and a counter updated on the device.

    python examples/seed_theano.py
"""
import numpy as np

import clgraph
import clgraph.tensor as T


def main():
    dev = clgraph.device()
    print(f"device: {dev.name} ({dev.platform_name})")

    x = T.scalar("x")
    y = 2 * x ** 2 + 5 * x
    f = clgraph.function([x], y)
    print(f"y = 2*x**2 + 5*x at x=2: {f(2)}")  # 18.0

    dy = clgraph.grad(y, x)
    print(f"dy/dx at x=2: {clgraph.function([x], dy)(2)}")  # 13.0

    xv = clgraph.shared(np.float32(10), name="xv")
    g = clgraph.function([], 2 * x, givens=[(x, xv)])
    print(f"2*x with x given by shared 10: {g()}")  # 20.0

    c = clgraph.shared(np.int32(0), name="counter")
    inc = clgraph.function([], c, updates=[(c, c + 1)])
    before = [int(inc()) for _ in range(3)]
    print(f"counter before each call: {before}, after: {c.get_value()}")  # [0, 1, 2], 3

    print(f"\nthe OpenCL C that computed y ({len(f.kernels)} kernel, from {f.kernels[0].template}):")
    print(f.kernels[0].source)


if __name__ == "__main__":
    main()
