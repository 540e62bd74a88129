"""Keras 1's clgraph.keras.preprocessing.image: ImageDataGenerator (real-time data
augmentation on the host) and its flow() iterator, for fit_generator.

Transforms are Keras 1's: a random rotation, shift, shear and zoom composed into one
affine map about the image centre, applied with nearest-neighbour sampling (Keras'
order=0) and a fill mode for points outside ('constant', 'nearest', 'reflect',
'wrap'); channel shifts; flips; rescale; sample-wise and feature-wise centring and
normalisation; ZCA whitening. numpy only (Keras used scipy.ndimage)."""
import numpy as np

__all__ = ["ImageDataGenerator", "NumpyArrayIterator", "apply_transform", "transform_matrix_offset_center"]


def transform_matrix_offset_center(matrix, x, y):
    """`matrix` (3x3, homogeneous) about the centre of an x-by-y image."""
    ox, oy = float(x) / 2 + 0.5, float(y) / 2 + 0.5
    offset = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    reset = np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    return offset @ matrix @ reset


def _fill(index, n, mode):
    """Indices along an axis of length n for `mode`, and where they fall outside."""
    if mode == "nearest":
        return np.clip(index, 0, n - 1), None
    if mode == "wrap":
        return np.mod(index, n), None
    if mode == "reflect":  # d c b a | a b c d | d c b a, as scipy.ndimage's 'reflect'
        period = np.mod(index, 2 * n)
        return np.where(period < n, period, 2 * n - 1 - period), None
    outside = (index < 0) | (index >= n)
    return np.clip(index, 0, n - 1), outside


def apply_transform(x, transform_matrix, channel_axis=0, fill_mode="nearest", cval=0.):
    """x (an image with a channel axis) under the affine map: output pixel (i, j) takes
    the input at matrix @ (i, j, 1), rounded to the nearest pixel."""
    if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
        raise ValueError(f"ImageDataGenerator: fill_mode must be constant, nearest, reflect or wrap, got "
                         f"{fill_mode!r}")
    img = np.rollaxis(x, channel_axis, 0)
    _, h, w = img.shape
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    src = transform_matrix[:2, :2] @ np.stack([rows.ravel(), cols.ravel()]) + transform_matrix[:2, 2:3]
    r = np.floor(src[0] + 0.5).astype(np.int64)
    c = np.floor(src[1] + 0.5).astype(np.int64)
    r, out_r = _fill(r, h, fill_mode)
    c, out_c = _fill(c, w, fill_mode)
    out = img[:, r, c].reshape(img.shape)
    if fill_mode == "constant":
        outside = (out_r | out_c).reshape(h, w)
        out = np.where(outside[None], cval, out).astype(img.dtype)
    return np.rollaxis(out, 0, channel_axis + 1)


class ImageDataGenerator:
    """Keras 1's arguments: featurewise_center, samplewise_center,
    featurewise_std_normalization, samplewise_std_normalization, zca_whitening,
    rotation_range (degrees), width_shift_range, height_shift_range (fractions),
    shear_range (radians), zoom_range (float or [lo, hi]), channel_shift_range,
    fill_mode, cval, horizontal_flip, vertical_flip, rescale, dim_ordering ('th', 'tf'
    or 'default'), seed for the generator's own random numbers."""

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, rotation_range=0., width_shift_range=0.,
                 height_shift_range=0., shear_range=0., zoom_range=0., channel_shift_range=0., fill_mode="nearest",
                 cval=0., horizontal_flip=False, vertical_flip=False, rescale=None, dim_ordering="default",
                 seed=None, data_format=None):
        from .. import backend as K
        ordering = data_format or dim_ordering
        ordering = K.image_dim_ordering() if ordering == "default" else K.normalize_dim_ordering(ordering)
        self.__dict__.update(featurewise_center=featurewise_center, samplewise_center=samplewise_center,
                             featurewise_std_normalization=featurewise_std_normalization,
                             samplewise_std_normalization=samplewise_std_normalization, zca_whitening=zca_whitening,
                             rotation_range=rotation_range, width_shift_range=width_shift_range,
                             height_shift_range=height_shift_range, shear_range=shear_range,
                             channel_shift_range=channel_shift_range, fill_mode=fill_mode, cval=cval,
                             horizontal_flip=horizontal_flip, vertical_flip=vertical_flip, rescale=rescale)
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if ordering == "th" else (3, 1, 2)
        if np.isscalar(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"ImageDataGenerator: zoom_range must be a float or [lower, upper], got {zoom_range!r}")
        self.mean = self.std = self.principal_components = None
        self.rng = np.random.RandomState(seed)

    # -- per image ---------------------------------------------------------------------------
    def standardize(self, x):
        """Rescale and normalise one image (axes without the sample axis)."""
        channel = self.channel_axis - 1
        if self.rescale:
            x = x * self.rescale
        if self.samplewise_center:
            x = x - np.mean(x, axis=channel, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (np.std(x, axis=channel, keepdims=True) + 1e-7)
        if self.featurewise_center:
            self._fitted("featurewise_center")
            x = x - self.mean
        if self.featurewise_std_normalization:
            self._fitted("featurewise_std_normalization")
            x = x / (self.std + 1e-7)
        if self.zca_whitening:
            self._fitted("zca_whitening", self.principal_components)
            x = (x.reshape(1, -1) @ self.principal_components).reshape(x.shape)
        return x

    def _fitted(self, what, value=False):
        if (self.mean if value is False else value) is None:
            raise ValueError(f"ImageDataGenerator: {what} needs statistics of the data: call .fit(X) first")

    def random_transform(self, x):
        """One image (axes without the sample axis) under a random augmentation."""
        rows, cols, channel = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        rng = self.rng
        theta = np.pi / 180 * rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = rng.uniform(-self.height_shift_range, self.height_shift_range) * x.shape[rows] \
            if self.height_shift_range else 0
        ty = rng.uniform(-self.width_shift_range, self.width_shift_range) * x.shape[cols] \
            if self.width_shift_range else 0
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        zx, zy = (1, 1) if self.zoom_range == [1, 1] else rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        rotation = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
        translation = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        shearing = np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
        zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        matrix = rotation @ translation @ shearing @ zoom
        if not np.allclose(matrix, np.eye(3)):
            matrix = transform_matrix_offset_center(matrix, x.shape[rows], x.shape[cols])
            x = apply_transform(x, matrix, channel, self.fill_mode, self.cval)
        if self.channel_shift_range:
            shifted = np.rollaxis(x, channel, 0)
            lo, hi = np.min(x), np.max(x)
            shifted = np.stack([np.clip(c + rng.uniform(-self.channel_shift_range, self.channel_shift_range), lo, hi)
                                for c in shifted])
            x = np.rollaxis(shifted, 0, channel + 1)
        if self.horizontal_flip and rng.random_sample() < 0.5:
            x = np.flip(x, axis=cols)
        if self.vertical_flip and rng.random_sample() < 0.5:
            x = np.flip(x, axis=rows)
        return x

    # -- data statistics and iteration ----------------------------------------------------------
    def fit(self, X, augment=False, rounds=1, seed=None):
        """The feature-wise mean, std and ZCA components of X (4-D)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: expected 4-D images, got shape {X.shape}")
        if seed is not None:
            self.rng = np.random.RandomState(seed)
        if augment:
            X = np.concatenate([np.stack([self.random_transform(x) for x in X]) for _ in range(rounds)])
        keep = [self.row_axis, self.col_axis]
        if self.featurewise_center or self.featurewise_std_normalization or self.zca_whitening:
            self.mean = np.mean(X, axis=tuple([0] + keep), keepdims=True)[0]
        if self.featurewise_std_normalization:
            self.std = np.std(X, axis=tuple([0] + keep), keepdims=True)[0]
        if self.zca_whitening:  # (of the centred data when featurewise_center is set, as Keras)
            flat = (X - self.mean if self.featurewise_center else X).reshape(len(X), -1)
            sigma = flat.T @ flat / flat.shape[0]
            u, s, _ = np.linalg.svd(sigma)
            self.principal_components = u @ np.diag(1. / np.sqrt(s + 1e-6)) @ u.T

    def flow(self, X, y=None, batch_size=32, shuffle=True, seed=None):
        return NumpyArrayIterator(X, y, self, batch_size, shuffle, seed)


class NumpyArrayIterator:
    """(x_batch, y_batch) forever (x_batch alone without y), augmented and
    standardised, reshuffled every pass when shuffle is set."""

    def __init__(self, X, y, generator, batch_size=32, shuffle=False, seed=None):
        self.X = np.asarray(X)
        if self.X.ndim != 4:
            raise ValueError(f"flow: expected 4-D images, got shape {self.X.shape}")
        if y is not None and len(X) != len(y):
            raise ValueError(f"flow: X and y have different lengths ({len(X)}, {len(y)})")
        self.y = None if y is None else np.asarray(y)
        self.generator, self.batch_size, self.shuffle = generator, int(batch_size), shuffle
        self.rng = np.random.RandomState(seed)
        self._order, self._pos = np.arange(len(self.X)), len(self.X)

    def __iter__(self):
        return self

    def __next__(self):
        n = len(self.X)
        if self._pos >= n:
            self._order = self.rng.permutation(n) if self.shuffle else np.arange(n)
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.batch_size]
        self._pos += len(idx)
        gen = self.generator
        batch = np.stack([gen.standardize(gen.random_transform(self.X[k].astype(np.float64))) for k in idx])
        batch = batch.astype(self.X.dtype if self.X.dtype.kind == "f" else "float32")
        return batch if self.y is None else (batch, self.y[idx])

    next = __next__  # (Keras 1's Python 2 name)
