"""Saving and loading: architecture as JSON, weights (and optimizer state) in HDF5.

Weights file layout (Keras 1): attribute 'layer_names' on the file; one group per layer,
named after it, with an attribute 'weight_names' and one dataset per weight, in order.
`save` puts the same under a group 'model_weights', the architecture in the attribute
'model_config' and the compile arguments in 'training_config', and the optimizer state
under 'optimizer_weights'. Every write goes to a temporary file in the target's folder
that replaces the target only when complete, so a failure leaves the old file intact.
Loading checks every layer's weight count and shapes before changing anything.
"""
import json
import os
import tempfile

import numpy as np

from .. import optimizers
from .base_layer import layer_label

__all__ = ["model_config", "save_weights", "load_weights", "save_model", "load_model", "model_from_json",
           "model_from_config"]

KERAS_VERSION = "1.2.2"


def _h5py():
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency of clgraph.keras
        raise ImportError("saving and loading weights needs h5py: pip install h5py") from None
    return h5py


def model_config(model):
    return {"class_name": type(model).__name__, "config": model.get_config(), "keras_version": KERAS_VERSION,
            "backend": "clgraph"}


def _atomic_write(filepath, overwrite, write):
    """Run write(h5file) on a temporary file, then move it over `filepath`."""
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(filepath) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            write(f)
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _strings(values):
    return np.array([v.encode("utf8") for v in values], dtype="S") if values else np.zeros((0,), dtype="S1")


def _decode(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _write_weights(group, model):
    layers = model.layers
    group.attrs["layer_names"] = _strings([layer.name for layer in layers])
    group.attrs["backend"] = "clgraph"
    group.attrs["keras_version"] = KERAS_VERSION
    for layer in layers:
        g = group.create_group(layer.name)
        weights = layer.weights
        names = [w.name or f"param_{k}" for k, w in enumerate(weights)]
        names = [n if names.count(n) == 1 else f"{n}_{k}" for k, n in enumerate(names)]
        g.attrs["weight_names"] = _strings(names)
        for name, w in zip(names, weights):
            g.create_dataset(name, data=w.get_value())


def save_weights(model, filepath, overwrite=True):
    _atomic_write(filepath, overwrite, lambda f: _write_weights(f, model))


def _read_weights(group):
    """[(layer name, [arrays])] for the layers of the file that have weights."""
    found = []
    for name in _decode(group.attrs["layer_names"]):
        g = group[name]
        arrays = [np.asarray(g[w]) for w in _decode(g.attrs["weight_names"])]
        if arrays:
            found.append((name, arrays))
    return found


def _shapes(arrays):
    return [tuple(a.shape) for a in arrays]


def _assign(model, pairs, filepath):
    """pairs: [(layer, saved name, arrays)]; check all, then set all."""
    for layer, saved_name, arrays in pairs:
        expected = [tuple(w.get_value().shape) for w in layer.weights]
        if expected != _shapes(arrays):
            raise ValueError(f"load_weights({filepath!r}): {layer_label(layer)} expects weights of shapes "
                             f"{expected}, but the file's layer '{saved_name}' holds {_shapes(arrays)}")
    for layer, _, arrays in pairs:
        for w, a in zip(layer.weights, arrays):
            w.set_value(a.astype(w.dtype))


def _load_from_group(model, group, filepath, by_name=False):
    saved = _read_weights(group)
    layers = [layer for layer in model.layers if layer.weights]
    if by_name:
        by = dict(saved)
        pairs = [(layer, layer.name, by[layer.name]) for layer in layers if layer.name in by]
    else:
        for k in range(max(len(layers), len(saved))):
            if k >= len(layers):
                raise ValueError(f"load_weights({filepath!r}): the file holds weights for {len(saved)} layers, the "
                                 f"model has {len(layers)} layers with weights; the file's layer '{saved[k][0]}' "
                                 f"(shapes {_shapes(saved[k][1])}) has no counterpart")
            if k >= len(saved):
                layer = layers[k]
                raise ValueError(f"load_weights({filepath!r}): the file holds weights for {len(saved)} layers, the "
                                 f"model has {len(layers)} layers with weights; {layer_label(layer)} (shapes "
                                 f"{[tuple(w.get_value().shape) for w in layer.weights]}) has none in the file")
        pairs = [(layer, name, arrays) for layer, (name, arrays) in zip(layers, saved)]
    _assign(model, pairs, filepath)


def load_weights(model, filepath, by_name=False):
    h5py = _h5py()
    with h5py.File(os.fspath(filepath), "r") as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        _load_from_group(model, group, filepath, by_name)


def save_model(model, filepath, overwrite=True):
    """Architecture, weights and (if compiled) the compile arguments and optimizer state."""
    def write(f):
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = "clgraph"
        f.attrs["model_config"] = json.dumps(model_config(model)).encode("utf8")
        _write_weights(f.create_group("model_weights"), model)
        if getattr(model, "_compiled", False):
            f.attrs["training_config"] = json.dumps(_training_config(model)).encode("utf8")
            values = model.optimizer.get_weights() if model._train_function is not None else []
            g = f.create_group("optimizer_weights")
            names = [f"{w.name or 'param'}_{k}" for k, w in enumerate(model.optimizer.weights)] if values else []
            g.attrs["weight_names"] = _strings(names)
            for name, value in zip(names, values):
                g.create_dataset(name, data=value)
    _atomic_write(filepath, overwrite, write)


def _name(fn):
    return fn if isinstance(fn, str) else getattr(fn, "__name__", str(fn))


def _training_config(model):
    loss = model.loss
    loss = {k: _name(v) for k, v in loss.items()} if isinstance(loss, dict) else \
        [_name(v) for v in loss] if isinstance(loss, (list, tuple)) else _name(loss)
    metrics = model.metrics
    if isinstance(metrics, dict):
        metrics = {k: [_name(m) for m in (v if isinstance(v, (list, tuple)) else [v])] for k, v in metrics.items()}
    elif metrics is not None:
        metrics = [_name(m) for m in metrics]
    return {"optimizer_config": {"class_name": type(model.optimizer).__name__,
                                 "config": model.optimizer.get_config()},
            "loss": loss, "metrics": metrics, "sample_weight_mode": model.sample_weight_mode,
            "loss_weights": model.loss_weights}


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A model from its config; with safe_mode (the default) no code named or stored in
    the config is run (a Lambda layer then needs custom_objects, or safe_mode=False)."""
    from .loading import loading
    from .topology import layer_from_config
    with loading(custom_objects, safe_mode):
        return layer_from_config(config, custom_objects)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model with the architecture `to_json()` wrote (new weights); no code is run
    unless safe_mode=False."""
    return model_from_config(json.loads(json_string), custom_objects, safe_mode)


def load_model(filepath, custom_objects=None, safe_mode=True):
    """The model `save` wrote: architecture, weights, and compiled as it was, with the
    optimizer state restored before the first training step. No code from the file is
    run unless safe_mode=False (a Lambda layer's function)."""
    h5py = _h5py()
    with h5py.File(os.fspath(filepath), "r") as f:
        if "model_config" not in f.attrs:
            raise ValueError(f"load_model({filepath!r}): no model found in the file (it holds no 'model_config'; "
                             "was it written by save_weights? Then build the model and call load_weights)")
        config = json.loads(_attr_text(f.attrs["model_config"]))
        model = model_from_config(config, custom_objects, safe_mode)
        _load_from_group(model, f["model_weights"], filepath)
        if "training_config" in f.attrs:
            training = json.loads(_attr_text(f.attrs["training_config"]))
            optimizer = optimizers.optimizer_from_config(training["optimizer_config"], custom_objects)
            custom = custom_objects or {}

            def resolve(v):
                if isinstance(v, dict):
                    return {k: resolve(x) for k, x in v.items()}
                if isinstance(v, list):
                    return [resolve(x) for x in v]
                return custom.get(v, v)
            model.compile(optimizer=optimizer, loss=resolve(training["loss"]), metrics=resolve(training["metrics"]),
                          loss_weights=training["loss_weights"], sample_weight_mode=training["sample_weight_mode"])
            if "optimizer_weights" in f:
                g = f["optimizer_weights"]
                values = [np.asarray(g[n]) for n in _decode(g.attrs["weight_names"])]
                if values:
                    model._pending_optimizer_weights = values
    return model


def _attr_text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)
