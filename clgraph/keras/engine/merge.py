"""Merge: combine several Keras tensors into one (Keras 1's `Merge` / `merge`, and
Keras 2's Add, Multiply, Average, Maximum, Concatenate with their functions)."""
import clgraph.tensor as T

from .base_layer import Layer, layer_label

__all__ = ["Merge", "merge", "Add", "Multiply", "Average", "Maximum", "Concatenate", "add", "multiply",
           "average", "maximum", "concatenate"]

_MODES = ("sum", "mul", "ave", "max", "concat")


class Merge(Layer):
    """mode: 'sum', 'mul', 'ave', 'max' (same shapes) or 'concat' (along concat_axis)."""

    def __init__(self, mode="sum", concat_axis=-1, **kwargs):
        if mode not in _MODES:
            raise ValueError(f"Merge: unknown mode {mode!r}; modes: {', '.join(_MODES)}")
        super().__init__(**kwargs)
        self.mode, self.concat_axis = mode, int(concat_axis)

    def assert_input_compatibility(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{layer_label(self)}: expects a list of at least 2 inputs, got {input_shape!r}")
        if self.mode == "concat":
            ranks = {len(s) for s in input_shape}
            axis = self.concat_axis % len(input_shape[0])
            rest = {tuple(d for k, d in enumerate(s) if k != axis) for s in input_shape}
            if len(ranks) != 1 or len(rest) != 1:
                raise ValueError(f"{layer_label(self)}: 'concat' needs inputs whose shapes match except on the "
                                 f"concatenation axis {self.concat_axis}, got {input_shape}")
        elif len({tuple(s) for s in input_shape}) != 1:
            raise ValueError(f"{layer_label(self)}: mode {self.mode!r} needs inputs of one shape, got {input_shape}")

    def call(self, inputs, mask=None):
        if self.mode == "concat":
            return T.concatenate(inputs, axis=self.concat_axis)
        out = inputs[0]
        for x in inputs[1:]:
            if self.mode in ("sum", "ave"):
                out = out + x
            elif self.mode == "mul":
                out = out * x
            else:
                out = T.maximum(out, x)
        return out / len(inputs) if self.mode == "ave" else out

    def get_output_shape_for(self, input_shape):
        if self.mode != "concat":
            return input_shape[0]
        axis = self.concat_axis % len(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if any(s is None for s in sizes) else sum(sizes)
        return tuple(out)

    def compute_mask(self, x, mask=None):
        return None

    def get_config(self):
        return dict(super().get_config(), mode=self.mode, concat_axis=self.concat_axis)


def merge(inputs, mode="sum", concat_axis=-1, name=None):
    """Keras 1 functional merge: `merge([a, b], mode='concat')` -> a Keras tensor."""
    return Merge(mode=mode, concat_axis=concat_axis, name=name)(list(inputs))


class _FixedMerge(Merge):
    """A Merge whose mode is fixed by the subclass (Keras 2's merge layers)."""
    _mode = "sum"

    def __init__(self, **kwargs):
        if self._mode == "concat":
            kwargs["concat_axis"] = kwargs.pop("axis", -1)
        super().__init__(mode=self._mode, **kwargs)

    def get_config(self):
        config_ = super().get_config()
        config_.pop("mode")
        axis = config_.pop("concat_axis")
        if self._mode == "concat":
            config_["axis"] = axis
        return config_


class Add(_FixedMerge):
    """Keras 2: the sum of the inputs."""
    _mode = "sum"


class Multiply(_FixedMerge):
    """Keras 2: the product of the inputs."""
    _mode = "mul"


class Average(_FixedMerge):
    """Keras 2: the mean of the inputs."""
    _mode = "ave"


class Maximum(_FixedMerge):
    """Keras 2: the elementwise maximum of the inputs."""
    _mode = "max"


class Concatenate(_FixedMerge):
    """Keras 2: the inputs joined along `axis` (default -1)."""
    _mode = "concat"


def add(inputs, **kwargs):
    return Add(**kwargs)(list(inputs))


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(list(inputs))


def average(inputs, **kwargs):
    return Average(**kwargs)(list(inputs))


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(list(inputs))


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(list(inputs))
