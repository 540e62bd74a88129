"""clgraph.In: Theano's description of a function input, for code written against it:
a default value (`In(x, value=0.5)`: the argument may be left out) and a keyword name
(`f(lr=0.1)`) of its own. Inputs are always copied to the device, so `mutable` and
`borrow` change nothing; a per-input `update` (Theano's old implicit state) is what
shared variables and `updates=` do, and is refused with that advice."""
from ..errors import ClgraphError
from ..graph.basic import Variable

__all__ = ["In", "unpack_inputs"]


class In:
    """In(variable, name=None, value=None, update=None, mutable=False, strict=False,
    allow_downcast=None, autoname=True, implicit=False, borrow=False, shared=False)."""

    def __init__(self, variable, name=None, value=None, update=None, mutable=False, strict=False,
                 allow_downcast=None, autoname=True, implicit=False, borrow=False, shared=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In: the input must be a symbolic variable, got {variable!r}")
        if update is not None or implicit or shared:
            raise ClgraphError(f"In({variable!r}): update=, implicit= and shared= (an input that carries state "
                               "between calls) are not offered; keep the state in a clgraph.shared variable and "
                               "pass its new value in function(..., updates=[(state, new_value)])")
        self.variable = variable
        self.name = name if name is not None else (variable.name if autoname else None)
        self.value = value
        self.strict, self.allow_downcast = bool(strict), allow_downcast

    def __repr__(self):
        return f"In({self.variable!r}, name={self.name!r}, value={self.value!r})"


def unpack_inputs(inputs):
    """(variables, {position: default value}, [keyword name per position],
    {position: allow_downcast}) of a list that may hold In objects."""
    if isinstance(inputs, (Variable, In)):
        inputs = [inputs]
    variables, defaults, names, downcast = [], {}, [], {}
    for k, item in enumerate(inputs):
        if isinstance(item, In):
            variables.append(item.variable)
            names.append(item.name)
            if item.value is not None:
                defaults[k] = item.value  # (converted as an argument would be: 0.5 for a float32 input)
            if item.allow_downcast is not None:
                downcast[k] = bool(item.allow_downcast)
        else:
            variables.append(item)
            names.append(getattr(item, "name", None))
    return variables, defaults, names, downcast
