"""model.summary(): one row per layer with its output shape and parameter count."""

__all__ = ["print_summary"]


def _row(fields, positions, line_length):
    line = ""
    for field, stop in zip(fields, positions):
        line = (line + str(field))[:int(stop * line_length) - 1]
        line += " " * (int(stop * line_length) - len(line))
    return line.rstrip()


def print_summary(model, line_length=100, positions=(.33, .55, .67, 1.), print_fn=print):
    """Keras 1's table: Layer (type), Output Shape, Param #, Connected to."""
    sequential = type(model).__name__ == "Sequential"
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if sequential else ["Connected to"])
    positions = positions[:len(header)]
    print_fn("_" * line_length)
    print_fn(_row(header, positions, line_length))
    print_fn("=" * line_length)
    own = {(layer, ni) for layer, ni in model._nodes}
    layers = model.layers
    for k, layer in enumerate(layers):
        nodes = [node for ni, node in enumerate(layer.inbound_nodes) if (layer, ni) in own]
        shape = nodes[0].output_shapes if nodes else "multiple"
        shape = shape[0] if isinstance(shape, list) and len(shape) == 1 else shape
        sources = [f"{src.name}[{ni}][{ti}]" for node in nodes for src, ni, ti in node.inbound]
        fields = [f"{layer.name} ({type(layer).__name__})", shape, layer.count_params()]
        if not sequential:
            fields.append(sources[0] if sources else "")
        print_fn(_row(fields, positions, line_length))
        for extra in sources[1:]:
            print_fn(_row(["", "", "", extra], positions, line_length))
        print_fn(("=" if k == len(layers) - 1 else "_") * line_length)
    trainable = sum(int(w.get_value().size) for w in model.trainable_weights)
    total = sum(int(w.get_value().size) for w in model.weights)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)
