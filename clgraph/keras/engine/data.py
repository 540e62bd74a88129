"""Host-side data checks for fit/evaluate/predict, and the device copy of the data.

`standardize_arrays` turns what the user passed (an array, a list, a dict by name) into
one float/int array per model input or output, checked against the shapes the model
expects, with errors that name the layer and the argument. `DeviceData` keeps those
arrays in shared variables (uploaded once per fit, or once per epoch when shuffling),
so a compiled step reads its minibatch as a slice, `data[i * bs:(i + 1) * bs]`, through
`givens`: the samples never cross to the device batch by batch.
"""
import numpy as np

import clgraph

from .base_layer import layer_label

__all__ = ["standardize_arrays", "standardize_weights", "check_lengths", "DeviceData"]


def _describe_shape(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def standardize_arrays(data, names, shapes, owners, argument, kind, dtypes, check_last=None):
    """One array per name, checked and converted to `dtypes`.

    data: an array, a list of arrays or a dict {name: array}; shapes: the expected shapes
    (None = any size); owners: the layer each array feeds or comes from (for messages);
    kind: 'input' or 'target'; check_last: per name, False to skip the last axis check
    (sparse targets)."""
    if data is None:
        raise ValueError(f"{argument}: got None, expected {len(names)} array(s) for {names}")
    if isinstance(data, dict):
        unknown = [k for k in data if k not in names]
        if unknown:
            raise ValueError(f"{argument}: unknown {kind} name(s) {unknown}; the model's are {names}")
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"{argument}: no data for {kind}(s) {missing}")
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)):
        if len(data) != len(names):
            raise ValueError(f"{argument}: the model has {len(names)} {kind}(s) {names}, got a list of "
                             f"{len(data)} array(s)")
        arrays = list(data)
    else:
        if len(names) != 1:
            raise ValueError(f"{argument}: the model has {len(names)} {kind}s {names}; pass a list or a dict of "
                             "arrays")
        arrays = [data]
    out = []
    for k, (arr, name, shape, owner, dtype) in enumerate(zip(arrays, names, shapes, owners, dtypes)):
        arr = np.asarray(arr)
        where = f"{layer_label(owner)}"
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{where}: expected a numeric {kind} array ({argument}, {kind} {name!r}), got an array "
                            f"of dtype {arr.dtype}")
        if kind == "target" and arr.ndim == 1 and len(shape) == 2:
            arr = arr[:, None]  # Keras 1: a vector of targets is a column
        if arr.ndim != len(shape):
            raise ValueError(f"{where}: expected {kind} of rank {len(shape)} (shape {_describe_shape(shape)}), got "
                             f"array of shape {arr.shape} ({argument}, {kind} {name!r})")
        for axis, (want, got) in enumerate(zip(shape, arr.shape)):
            if axis == 0 or want is None:
                continue
            if axis == len(shape) - 1 and check_last is not None and not check_last[k]:
                continue
            if want != got:
                what = f"with {want} features " if axis == len(shape) - 1 and len(shape) == 2 else ""
                raise ValueError(f"{where}: expected {kind} {what}(shape {_describe_shape(shape)}), got array "
                                 f"of shape {arr.shape} ({argument}, {kind} {name!r})")
        out.append(np.ascontiguousarray(arr, dtype=dtype))
    return out


def check_lengths(inputs, targets=None, weights=None):
    """Every array must hold the same number of samples."""
    groups = [("input", inputs), ("target", targets or []), ("sample weight", weights or [])]
    counts = [(what, len(a)) for what, arrays in groups for a in arrays]
    if len({n for _, n in counts}) > 1:
        found = ", ".join(f"{what} {n}" for what, n in counts)
        raise ValueError(f"All input, target and sample weight arrays must have the same number of samples; "
                         f"found {found}")
    if counts and counts[0][1] == 0:
        raise ValueError("fit/evaluate/predict: the arrays hold no samples")


def standardize_weights(y, sample_weight, class_weight, mode, name, floatx):
    """The per-sample (or, with mode 'temporal', per-timestep) loss weights of one output:
    sample_weight if given, else class_weight[class of each sample], else ones."""
    if sample_weight is not None:
        w = np.asarray(sample_weight)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight for output {name!r}: expected numbers, got dtype {w.dtype}")
        want = 2 if mode == "temporal" else 1
        if w.ndim != want:
            extra = " (compile with sample_weight_mode='temporal' for 2D weights)" if w.ndim == 2 else ""
            raise ValueError(f"sample_weight for output {name!r}: expected {want}D weights, got shape "
                             f"{w.shape}{extra}")
        if len(w) != len(y):
            raise ValueError(f"sample_weight for output {name!r}: {len(w)} weights for {len(y)} samples")
        return w.astype(floatx)
    if class_weight:
        if y.ndim > 2:
            raise ValueError(f"class_weight for output {name!r}: not supported for targets of rank {y.ndim}")
        classes = y.argmax(axis=1) if y.shape[1] > 1 else y.reshape(len(y))
        classes = np.round(classes).astype(np.int64)
        missing = sorted(set(np.unique(classes).tolist()) - {int(c) for c in class_weight})
        if missing:
            raise ValueError(f"class_weight for output {name!r}: no weight for class(es) {missing}; the dict has "
                             f"{sorted(class_weight)}")
        table = {int(c): float(v) for c, v in class_weight.items()}
        w = np.array([table[c] for c in classes.tolist()], dtype=floatx)
    else:
        w = np.ones(len(y), dtype=floatx)
    if mode == "temporal":
        w = np.repeat(w[:, None], y.shape[1], axis=1)
    return w


class DeviceData:
    """One shared variable per placeholder; `givens(i, bs)` maps each placeholder to the
    i-th minibatch slice of its data. `load` uploads new arrays (and returns a token that
    tells whether they are still the ones loaded)."""

    def __init__(self, placeholders, name):
        self.placeholders = list(placeholders)
        self.shared = [clgraph.shared(np.zeros((1,) * p.ndim, p.dtype), name=f"{name}/{p.name}")
                       for p in self.placeholders]
        self.token = None
        self.size = 0

    def givens(self, index, batch_size):
        batch = slice(index * batch_size, (index + 1) * batch_size)
        return [(p, s[batch]) for p, s in zip(self.placeholders, self.shared)]

    def load(self, arrays):
        for s, a in zip(self.shared, arrays):
            s.set_value(a)
        self.size = len(arrays[0]) if arrays else 0
        self.token = object()
        return self.token

    def release(self):
        """Free the device copy (keeps tiny placeholders)."""
        for s, p in zip(self.shared, self.placeholders):
            s.set_value(np.zeros((1,) * p.ndim, p.dtype))
        self.token = None
        self.size = 0
