"""Lambda(function, output_shape=None, arguments=None): a layer that applies a Python
function to its input, in this process.

Saving a Lambda stores the function: by name when it is a module-level function, as
marshalled bytecode (Keras 1's format) when it is a lambda or a nested function.
Loading either means running code named or stored in the file, so a loader refuses it
unless told otherwise: `model_from_json(..., safe_mode=False)` / `load_model(...,
safe_mode=False)` for a file you trust, or `custom_objects={'name': function}` for a
named function (then nothing from the file is run)."""
import base64
import importlib
import marshal
import types

from ..engine.base_layer import Layer
from ..engine.loading import loading_options

__all__ = ["Lambda"]


class Lambda(Layer):
    """Keras 1's Lambda: `Lambda(lambda x: x ** 2)`, `Lambda(f, output_shape=(10,))` or
    `output_shape=callable(input_shape)`; `arguments`: keyword arguments of the call."""

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        if not callable(function):
            raise TypeError(f"Lambda: the function must be callable, got {function!r}")
        super().__init__(**kwargs)
        self.function = function
        self.arguments = dict(arguments or {})
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape

    def call(self, x, mask=None):
        return self.function(x, **self.arguments)

    def get_output_shape_for(self, input_shape):
        shape = self._output_shape
        if shape is None:
            return input_shape
        if callable(shape):
            out = shape(input_shape)
            return tuple(out) if not isinstance(out, list) else out
        return (input_shape[0],) + shape

    compute_output_shape = get_output_shape_for

    def get_config(self):
        function, function_type = _dump(self.function)
        shape, shape_type = (None, "raw") if self._output_shape is None else \
            (_dump(self._output_shape) if callable(self._output_shape) else (list(self._output_shape), "raw"))
        return dict(super().get_config(), function=function, function_type=function_type,
                    output_shape=shape, output_shape_type=shape_type, arguments=self.arguments)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.get("name", "lambda")
        function = _load(config.pop("function"), config.pop("function_type", "lambda"), name)
        shape_type = config.pop("output_shape_type", "raw")
        shape = config.pop("output_shape", None)
        if shape is not None and shape_type != "raw":
            shape = _load(shape, shape_type, name)
        return cls(function, output_shape=shape, **config)


def _dump(fn):
    """(stored form, 'function' | 'lambda')."""
    if isinstance(fn, types.FunctionType) and "<" not in fn.__qualname__ and fn.__module__ != "__main__":
        return f"{fn.__module__}.{fn.__qualname__}", "function"
    if not isinstance(fn, types.FunctionType):
        raise ValueError(f"Lambda: cannot save {fn!r}; use a function or a lambda")
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    return [code, fn.__defaults__, None], "lambda"


def _load(stored, kind, layer_name):
    custom, safe_mode = loading_options()
    if kind == "function":
        short = stored.rsplit(".", 1)[-1]
        for key in (stored, short):
            if key in custom:
                return custom[key]
    if safe_mode:
        what = f"the function {stored!r} (importing its module)" if kind == "function" else \
            "Python bytecode stored in the file"
        raise ValueError(f"Lambda layer {layer_name!r}: loading it would run {what}; a file you trust loads with "
                         "safe_mode=False (model_from_json / load_model), or pass the function as "
                         "custom_objects={'name': function}")
    if kind == "function":
        module, _, qualname = stored.rpartition(".")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj
    code, defaults, _ = stored
    return types.FunctionType(marshal.loads(base64.b64decode(code)), globals(), None,
                              tuple(defaults) if defaults else None)

