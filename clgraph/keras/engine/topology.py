"""Container: a graph of layer calls from input tensors to output tensors.

Built from the `_keras_history` of its outputs, it keeps the calls (nodes) in an order
where every input comes first, and can re-run them on new variables in either learning
phase (`run_graph`): that is how a model gets separate training and inference graphs
over the same weights. A Container is itself a Layer, so models nest.
"""
from .. import backend as K
from .base_layer import LAYERS, Layer, layer_label, to_list
from .input_layer import InputLayer

__all__ = ["Container", "layer_from_config"]


def _key(tensor):
    return tensor._keras_history


class Container(Layer):
    """Keras 1: Container(input, output, name=None); Keras 2 spells them inputs/outputs."""

    def __init__(self, input=None, output=None, name=None, inputs=None, outputs=None):  # noqa: A002
        inputs = inputs if inputs is not None else input
        outputs = outputs if outputs is not None else output
        if inputs is None or outputs is None:
            raise TypeError(f"{type(self).__name__}: give the input and output tensors "
                            f"({type(self).__name__}(input=x, output=y))")
        super().__init__(name=name)
        self._init_graph(inputs, outputs)

    # -- the graph ---------------------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        what = type(self).__name__
        inputs, outputs = to_list(inputs), to_list(outputs)
        for t in inputs + outputs:
            if getattr(t, "_keras_history", None) is None:
                raise TypeError(f"{what} '{self.name}': {t!r} is not a Keras tensor (the output of Input() or of "
                                "a layer)")
        for t in inputs:
            if not isinstance(t._keras_history[0], InputLayer):
                raise TypeError(f"{what} '{self.name}': model inputs must come from Input(); "
                                f"{t!r} is an output of {layer_label(t._keras_history[0])}")
        input_keys = [_key(t) for t in inputs]
        nodes, layers, done = [], [], set()

        def visit(key, path):
            layer, node_index, _ = key
            if (layer, node_index) in done:
                return
            if isinstance(layer, InputLayer) and key not in input_keys:
                raise ValueError(f"{what} '{self.name}': graph disconnected: the output depends on input "
                                 f"'{layer.name}', which is not among the model inputs "
                                 f"{[k[0].name for k in input_keys]}")
            if (layer, node_index) in path:
                raise ValueError(f"{what} '{self.name}': the graph has a cycle through {layer_label(layer)}")
            for inbound in layer.inbound_nodes[node_index].inbound:
                visit(inbound, path | {(layer, node_index)})
            done.add((layer, node_index))
            nodes.append((layer, node_index))
            if layer not in layers:
                layers.append(layer)

        for k in input_keys:
            visit(k, frozenset())
        for t in outputs:
            visit(_key(t), frozenset())
        names = [layer.name for layer in layers]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(f"{what} '{self.name}': the layer name {n!r} is used by {names.count(n)} "
                                 "layers; names must be unique within a model")
        self.inputs, self.outputs = inputs, outputs
        self.input_layers = [t._keras_history[0] for t in inputs]
        self.output_layers = [t._keras_history[0] for t in outputs]
        self.input_names = [layer.name for layer in self.input_layers]
        self.output_names = [layer.name for layer in self.output_layers]
        self.internal_input_shapes = [t._keras_shape for t in inputs]
        self.internal_output_shapes = [t._keras_shape for t in outputs]
        self._nodes, self._layers = nodes, layers
        self.input_consumers = [self._first_consumer(k) for k in input_keys]
        if len(inputs) == 1:
            self.batch_input_shape = self.internal_input_shapes[0]
            self.input_dtype = inputs[0].dtype
        self.built = True

    def _first_consumer(self, key):
        """The first layer of this model that reads the input `key` (for error messages)."""
        for layer, node_index in self._nodes:
            if key in layer.inbound_nodes[node_index].inbound:
                return layer
        return key[0]

    @property
    def layers(self):
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{type(self).__name__} '{self.name}' has no layer named {name!r}; layers: "
                         f"{[la.name for la in self.layers]}")

    def run_graph(self, inputs, masks=None):
        """The outputs (and their masks) of the layer calls applied to `inputs` (variables
        standing for the model inputs), in the current learning phase."""
        masks = masks if masks is not None else [None] * len(inputs)
        env = {_key(t): (v, m) for t, v, m in zip(self.inputs, inputs, masks)}
        for layer, node_index in self._nodes:
            node = layer.inbound_nodes[node_index]
            if not node.inbound:
                continue
            xs = [env[k][0] for k in node.inbound]
            ms = [env[k][1] for k in node.inbound]
            x, m = (xs, ms) if node.list_input else (xs[0], ms[0])
            outs = layer.call(x, m)
            out_masks = layer.compute_mask(x, m)
            outs = to_list(outs)
            out_masks = to_list(out_masks) if out_masks is not None else [None] * len(outs)
            if layer.activity_regularizer is not None:
                for o in outs:
                    batch = o.shape[0].astype(K.floatx())
                    K.add_loss(layer.activity_regularizer(o) / batch)
            for k, (o, om) in enumerate(zip(outs, out_masks)):
                env[(layer, node_index, k)] = (o, om)
        results = [env[_key(t)] for t in self.outputs]
        return [r[0] for r in results], [r[1] for r in results]

    # -- as a layer ----------------------------------------------------------------------------
    def call(self, x, mask=None):
        outs, masks = self.run_graph(to_list(x), to_list(mask) if mask is not None else None)
        self._last_masks = masks
        return outs[0] if len(outs) == 1 else outs

    def compute_mask(self, x, mask=None):
        masks = getattr(self, "_last_masks", None)
        if masks is None or all(m is None for m in masks):
            return None
        return masks[0] if len(masks) == 1 else masks

    def compute_output_shape(self, input_shape):
        shapes = {_key(t): tuple(s) for t, s in zip(self.inputs, to_list(input_shape) if len(self.inputs) > 1
                                                   else [input_shape])}
        for layer, node_index in self._nodes:
            node = layer.inbound_nodes[node_index]
            if not node.inbound:
                continue
            ins = [shapes[k] for k in node.inbound]
            out = layer.compute_output_shape(ins if node.list_input else ins[0])
            out = [out] if not node.list_input and len(node.output_tensors) == 1 else list(out)
            for k, s in enumerate(out):
                shapes[(layer, node_index, k)] = tuple(s)
        outs = [shapes[_key(t)] for t in self.outputs]
        return outs[0] if len(outs) == 1 else outs

    def reset_states(self):
        """Zero the states of the stateful layers (Keras 1's model.reset_states())."""
        for layer in self.layers:
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    # -- weights ---------------------------------------------------------------------------------
    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return _unique(w for layer in self.layers if layer.trainable for w in layer.trainable_weights)

    @trainable_weights.setter
    def trainable_weights(self, value):
        if value:
            raise AttributeError("a model's weights are its layers' weights; set them on the layers")

    @property
    def non_trainable_weights(self):
        found = []
        for layer in self.layers:
            found += layer.weights if not (layer.trainable and self.trainable) else layer.non_trainable_weights
        return _unique(found)

    @non_trainable_weights.setter
    def non_trainable_weights(self, value):
        if value:
            raise AttributeError("a model's weights are its layers' weights; set them on the layers")

    @property
    def weights(self):
        return _unique(w for layer in self.layers for w in layer.weights)

    def weight_penalty(self):
        terms = [p for p in (layer.weight_penalty() for layer in self.layers) if p is not None]
        return sum(terms[1:], terms[0]) if terms else None

    @property
    def constraints(self):
        found = {}
        for layer in self.layers:
            found.update(layer.constraints)
        return found

    @constraints.setter
    def constraints(self, value):
        if value:
            raise AttributeError("a model's constraints are its layers' constraints")

    def set_weights(self, weights):
        """Set every weight of every layer (in the order of get_weights); all shapes are
        checked before anything changes."""
        params = self.weights

        def owner(p):
            return next((la for la in self.layers if any(p is q for q in la.weights)), self)
        K.set_values(params, weights,
                     lambda n: f"{type(self).__name__} '{self.name}': set_weights got a list of {n} arrays, the "
                               f"model has {len(params)} weights",
                     lambda p, expected, got: f"{layer_label(owner(p))}: weight {p.name!r} has shape {expected}, "
                                              f"set_weights got an array of shape {got}")

    # -- configuration -----------------------------------------------------------------------------
    def get_config(self):
        """Keras 1's functional-model config: layers with their inbound nodes, inputs, outputs."""
        own = {}
        for layer, node_index in self._nodes:   # node indices renumbered within this model
            own.setdefault(layer, []).append(node_index)

        def ref(key):
            layer, node_index, tensor_index = key
            return [layer.name, own[layer].index(node_index), tensor_index, {}]

        layer_configs = []
        for layer in self.layers:
            inbound = [[ref(k) for k in layer.inbound_nodes[ni].inbound] for ni in own[layer]
                       if layer.inbound_nodes[ni].inbound]
            layer_configs.append({"name": layer.name, "class_name": type(layer).__name__,
                                  "config": layer.get_config(), "inbound_nodes": inbound})
        return {"name": self.name, "layers": layer_configs,
                "input_layers": [ref(_key(t))[:3] for t in self.inputs],
                "output_layers": [ref(_key(t))[:3] for t in self.outputs]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        created, pending = {}, []
        for conf in config["layers"]:
            layer = layer_from_config(conf, custom_objects)
            created[conf["name"]] = layer
            pending += [(layer, nodes) for nodes in conf.get("inbound_nodes", [])]

        def tensor(ref):
            layer = created[ref[0]]
            if ref[1] >= len(layer.inbound_nodes):
                return None
            return layer.inbound_nodes[ref[1]].output_tensors[ref[2]]

        while pending:  # call each layer once its inputs exist
            progress = []
            for layer, refs in pending:
                ins = [tensor(r) for r in refs]
                if all(t is not None for t in ins):
                    list_input = len(ins) > 1 or isinstance(layer, _list_input_layers())
                    layer(ins if list_input else ins[0])
                    progress.append((layer, refs))
            if not progress:
                raise ValueError(f"{cls.__name__}.from_config: cannot connect the layers "
                                 f"{sorted({la.name for la, _ in pending})}: their inputs never appear")
            pending = [p for p in pending if p not in progress]
        inputs = [tensor(r) for r in config["input_layers"]]
        outputs = [tensor(r) for r in config["output_layers"]]
        return cls(inputs, outputs, name=config.get("name"))


def _list_input_layers():
    from .merge import Merge
    return (Merge,)


def _unique(items):
    seen, out = set(), []
    for w in items:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def layer_from_config(config, custom_objects=None):
    """A layer (or model) from {'class_name': ..., 'config': ...}. Only registered Layer
    classes (and `custom_objects`) can be created: nothing in the config is evaluated."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"layer_from_config: expected a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or LAYERS.get(name)
    if cls is None:
        raise ValueError(f"Unknown layer class {name!r} in the model config; known: {', '.join(sorted(LAYERS))} "
                         "(pass custom classes with custom_objects={'Name': cls})")
    conf = config.get("config") or {}
    if issubclass(cls, Container):
        return cls.from_config(conf, custom_objects)
    return cls.from_config(dict(conf))
