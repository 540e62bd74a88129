"""The Theano scan tutorial with clgraph: A ** k by repeated multiplication (only the
last step kept), a polynomial evaluated from its coefficients, and a tanh RNN trained by
gradient descent through the loop (backpropagation through time is the gradient of the
scan, itself a reverse scan on the device). Each result is checked against numpy.

    python examples/scan_tutorial.py [--epochs 400]
"""
import argparse

import numpy as np

import clgraph
import clgraph.tensor as T


def powers():
    k = T.iscalar("k")
    A = T.vector("A")
    # the step: prior_result * A; outputs_info the initial value, A a non-sequence
    result, updates = clgraph.scan(fn=lambda prior_result, A: prior_result * A, outputs_info=T.ones_like(A),
                                   non_sequences=A, n_steps=k)
    final_result = result[-1]   # scan returns every step; keep the last
    power = clgraph.function(inputs=[A, k], outputs=final_result, updates=updates)
    a = np.arange(10, dtype="float32")
    got = power(a, 2)
    print("A ** 2 for A = 0..9:", got)
    np.testing.assert_allclose(got, a ** 2)
    got = power(a / 4, 5)
    print("(A / 4) ** 5:", np.round(got, 4))
    np.testing.assert_allclose(got, (a / 4) ** 5, rtol=1e-6)


def polynomial():
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    max_coefficients_supported = 10000
    # one term per coefficient: coefficient * x ** power, the powers another sequence
    components, updates = clgraph.scan(fn=lambda coefficient, power, free_variable: coefficient *
                                       (free_variable ** power),
                                       outputs_info=None,
                                       sequences=[coefficients, T.arange(max_coefficients_supported,
                                                                         dtype="float32")],
                                       non_sequences=x)
    polynomial = components.sum()
    calculate_polynomial = clgraph.function(inputs=[coefficients, x], outputs=polynomial)
    test_coefficients = np.asarray([1, 0, 2], dtype="float32")
    test_value = 3
    got = calculate_polynomial(test_coefficients, test_value)
    want = 1.0 * (3 ** 0) + 0.0 * (3 ** 1) + 2.0 * (3 ** 2)
    print(f"1 + 0 x + 2 x^2 at x = 3: {float(got)} (numpy: {want})")
    assert abs(float(got) - want) < 1e-4


def rnn(epochs, seed=0):
    """h_t = tanh(x_t . W + h_{t-1} . U + b), y = h_T . V: learn y = tanh(2 mean(x[:, 0])
    - mean(x[:, 1])) over the whole sequence (the last input alone says little about it),
    with plain gradient descent on the whole training set."""
    rng = np.random.default_rng(seed)
    n, steps, n_in, n_hidden = 200, 12, 3, 16
    X = rng.normal(size=(steps, n, n_in)).astype("float32")
    Y = np.tanh(X[:, :, 0].mean(axis=0) * 2 - X[:, :, 1].mean(axis=0))[:, None].astype("float32")

    def shared(shape, scale, name):
        return clgraph.shared((rng.normal(size=shape) * scale).astype("float32"), name=name)
    W, U = shared((n_in, n_hidden), 0.5, "W"), shared((n_hidden, n_hidden), 0.2, "U")
    b, V = clgraph.shared(np.zeros(n_hidden, "float32"), name="b"), shared((n_hidden, 1), 0.2, "V")
    x, y, lr = T.tensor3("x"), T.matrix("y"), T.scalar("lr")
    h0 = T.zeros((x.shape[1], n_hidden))
    h, _ = clgraph.scan(lambda x_t, h_tm1, W, U, b: T.tanh(T.dot(x_t, W) + T.dot(h_tm1, U) + b),
                        sequences=x, outputs_info=h0, non_sequences=[W, U, b], name="rnn")
    prediction = T.dot(h[-1], V)
    cost = T.mean((prediction - y) ** 2)
    params = [W, U, b, V]
    grads = clgraph.grad(cost, params)
    train = clgraph.function([x, y, lr], cost, updates=[(p, p - lr * g) for p, g in zip(params, grads)])
    predict = clgraph.function([x], prediction)

    # the first gradient against finite differences of the cost
    cost_fn = clgraph.function([x, y], cost)
    g_U = clgraph.function([x, y], grads[1])(X, Y)
    u0, eps = U.get_value(), 1e-2
    for idx in [(0, 0), (3, 7)]:
        plus, minus = u0.copy(), u0.copy()
        plus[idx] += eps
        minus[idx] -= eps
        U.set_value(plus)
        c_plus = cost_fn(X, Y)
        U.set_value(minus)
        c_minus = cost_fn(X, Y)
        numeric = (c_plus - c_minus) / (2 * eps)
        print(f"d cost / d U{idx}: BPTT {g_U[idx]:+.5f}, finite differences {numeric:+.5f}")
        assert abs(g_U[idx] - numeric) < 2e-3 + 2e-2 * abs(numeric)
    U.set_value(u0)

    baseline = float(np.mean((Y - Y.mean()) ** 2))
    first = None
    for epoch in range(1, epochs + 1):
        c = float(train(X, Y, 0.2))
        first = c if first is None else first
        if epoch == 1 or epoch % max(1, epochs // 10) == 0:
            print(f"epoch {epoch:4d}  training cost {c:.5f}")
    final = float(np.mean((predict(X) - Y) ** 2))
    print(f"tanh RNN: cost {first:.4f} -> {final:.4f} (predicting the mean: {baseline:.4f})")
    step = [k.name for k in train.kernels if k.name.startswith("Scan{rnn}/")]
    print(f"forward step kernels: {step}")
    print(f"final rnn cost: {final:.5f}")
    return final, baseline


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=400)
    args = parser.parse_args()
    powers()
    polynomial()
    rnn(args.epochs)


if __name__ == "__main__":
    main()
