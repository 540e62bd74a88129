"""ImageDataGenerator (Keras 1's real-time augmentation): the affine sampling against
exact cases (shifts, quarter turns, fill modes), the random transforms' effects,
standardisation, flow(), and training with fit_generator from it."""
import numpy as np
import pytest

from clgraph.keras.layers import Dense, Flatten
from clgraph.keras.models import Sequential
from clgraph.keras.optimizers import Adam
from clgraph.keras.preprocessing.image import ImageDataGenerator, apply_transform


def img(rng, c=2, h=5, w=6):
    return rng.normal(size=(c, h, w))


def shift(tx, ty):
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=float)


def test_an_integer_shift_moves_the_image_and_fills(rng):
    x = img(rng)
    got = apply_transform(x, shift(2, 0), channel_axis=0, fill_mode="constant", cval=-9)
    np.testing.assert_array_equal(got[:, :3], x[:, 2:])
    assert (got[:, 3:] == -9).all()
    nearest = apply_transform(x, shift(0, -1), 0, "nearest")
    np.testing.assert_array_equal(nearest[:, :, 1:], x[:, :, :-1])
    np.testing.assert_array_equal(nearest[:, :, 0], x[:, :, 0])
    wrap = apply_transform(x, shift(0, 2), 0, "wrap")
    np.testing.assert_array_equal(wrap, np.roll(x, -2, axis=2))
    reflect = apply_transform(x, shift(0, -2), 0, "reflect")
    np.testing.assert_array_equal(reflect[:, :, :2], x[:, :, 1::-1])   # b a | a b c ...


def test_a_quarter_turn_about_the_centre_of_a_square_image(rng):
    from clgraph.keras.preprocessing.image import transform_matrix_offset_center
    x = rng.normal(size=(1, 5, 5))
    turn = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=float)
    got = apply_transform(x, np.array([[0, -1, 4], [1, 0, 0], [0, 0, 1]], dtype=float), 0, "constant")
    # output (i, j) reads input (4 - j, i): a quarter turn of the picture
    np.testing.assert_array_equal(got[0], np.rot90(x[0], k=-1))
    assert transform_matrix_offset_center(turn, 5, 5).shape == (3, 3)


def test_flips_shifts_and_channel_order(rng):
    x = rng.normal(size=(200, 4, 4, 3))             # 'tf': channels last
    gen = ImageDataGenerator(horizontal_flip=True, dim_ordering="tf", seed=1)
    flipped = sum(not np.array_equal(gen.random_transform(im), im) for im in x)
    assert 70 < flipped < 130                        # each image with probability one half
    assert all(np.array_equal(np.flip(im, 1), out) or np.array_equal(im, out)
               for im, out in zip(x[:20], (gen.random_transform(im) for im in x[:20])))
    moved = ImageDataGenerator(width_shift_range=0.5, fill_mode="constant", cval=7.0, dim_ordering="th", seed=2)
    out = moved.random_transform(np.zeros((3, 6, 6)))
    assert out.shape == (3, 6, 6)
    rot = ImageDataGenerator(rotation_range=40, zoom_range=0.2, shear_range=0.3, channel_shift_range=0.1,
                             dim_ordering="th", seed=3)
    assert rot.random_transform(img(rng, 3, 8, 8)).shape == (3, 8, 8)
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=[0.5, 1, 2])


def test_standardisation_and_fit(rng):
    X = rng.normal(loc=3.0, scale=2.0, size=(100, 3, 4, 4))
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, dim_ordering="th")
    with pytest.raises(ValueError, match="fit"):
        gen.standardize(X[0])
    gen.fit(X)
    out = np.stack([gen.standardize(x) for x in X])
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-3)
    sample = ImageDataGenerator(samplewise_center=True, rescale=0.5, dim_ordering="th")
    one = sample.standardize(X[0])
    np.testing.assert_allclose(one.mean(axis=0), 0, atol=1e-9)
    zca = ImageDataGenerator(featurewise_center=True, zca_whitening=True, dim_ordering="th")
    zca.fit(X[:, :1, :2, :2])
    white = np.stack([zca.standardize(x).ravel() for x in X[:, :1, :2, :2]])
    np.testing.assert_allclose(white.T @ white / len(white), np.eye(4), atol=1e-3)   # (the centred second moment)


def test_flow_batches_and_fit_generator(rng):
    X = rng.normal(size=(50, 1, 4, 4)).astype("float32")
    y = (X.mean(axis=(1, 2, 3)) > 0).astype("float32")[:, None]
    gen = ImageDataGenerator(horizontal_flip=True, dim_ordering="th", seed=0)
    it = gen.flow(X, y, batch_size=16, shuffle=True, seed=0)
    sizes = [len(next(it)[0]) for _ in range(4)]
    assert sizes == [16, 16, 16, 2]                  # one pass, then a new shuffled one
    xb, yb = next(it)
    assert xb.dtype == np.float32 and xb.shape == (16, 1, 4, 4) and yb.shape == (16, 1)
    model = Sequential([Flatten(input_shape=(1, 4, 4)), Dense(1, activation="sigmoid")])
    model.compile(Adam(lr=0.05), "binary_crossentropy", metrics=["accuracy"])
    before = model.evaluate(X, y, verbose=0)[0]
    model.fit_generator(gen.flow(X, y, batch_size=10, seed=1), samples_per_epoch=50, nb_epoch=15, verbose=0)
    assert model.evaluate(X, y, verbose=0)[0] < 0.8 * before   # a flip keeps the label: it learns
