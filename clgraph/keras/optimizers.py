"""Keras 1.2 optimizers: each turns (params, constraints, loss) into update pairs.

`opt.get_updates(params, constraints, loss)` returns a list of (shared, expression) pairs
that `clgraph.function(..., updates=...)` applies on the device, so one training step is
one compiled call. The formulas are Keras 1.2's. Hyperparameters that Keras keeps as
backend variables (lr, momentum, decay, rho, beta_1, beta_2) are float32 shared scalars:
`opt.lr.set_value(np.float32(0.01))` changes the rate of an already compiled step.
The optimizer's state (iterations, moments, accumulators) is created by get_updates with
each parameter's shape and dtype, and listed in `opt.weights` for saving and loading.
"""
import numpy as np

import clgraph
import clgraph.tensor as T

from .backend import set_values

_EPSILON = 1e-7  # Keras 1's K.epsilon(), used where Keras 2 code passes epsilon=None


def _scalar(value, name):
    """A float32 shared scalar for a hyperparameter or counter."""
    return clgraph.shared(np.float32(value), name=name)


def _nonneg(owner, name, value):
    if not value >= 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}")
    return value


def _pop_lr(owner, lr, kwargs):
    """Keras 2 spells lr `learning_rate`; accept either (not both)."""
    if "learning_rate" in kwargs:
        learning_rate = kwargs.pop("learning_rate")
        if "lr" in kwargs:
            raise TypeError(f"{owner}: give lr or learning_rate, not both")
        return learning_rate
    return kwargs.pop("lr", lr)


def clip_norm(g, c, n):
    """Scale `g` by c / n when the joint gradient norm `n` reaches `c` (Keras 1)."""
    if c <= 0:
        return g
    return T.switch(n >= c, g * c / n, g)


class Optimizer:
    """Base class. kwargs: clipnorm (clip all gradients jointly when their global L2 norm
    exceeds it) and clipvalue (clip each gradient element to [-clipvalue, clipvalue])."""

    def __init__(self, **kwargs):
        allowed = {"clipnorm", "clipvalue"}
        for k in kwargs:
            if k not in allowed:
                raise TypeError(f"Unexpected keyword argument passed to optimizer {type(self).__name__}: "
                                f"{k!r} (allowed: clipnorm, clipvalue and the optimizer's own arguments)")
        for k, v in kwargs.items():
            _nonneg(type(self).__name__, k, v)
        self.__dict__.update(kwargs)
        self.updates = []
        self.weights = []

    def _hyperparameters(self, kwargs, **values):
        """The common constructor part: lr (or Keras 2's learning_rate) and the other
        hyperparameters as float32 shared scalars named '<Optimizer>/<name>', checked
        non-negative, the iteration counter, and the base class's kwargs (clipnorm,
        clipvalue)."""
        name = type(self).__name__
        values["lr"] = _pop_lr(name, values["lr"], kwargs)
        Optimizer.__init__(self, **kwargs)
        self.iterations = _scalar(0., f"{name}/iterations")
        for key, value in values.items():
            setattr(self, key, _scalar(_nonneg(name, key, value), f"{name}/{key}"))
        self.initial_decay = values.get("decay", 0.)

    # -- gradients and updates -------------------------------------------------------------

    def get_gradients(self, loss, params):
        """d loss / d params, clipped by clipnorm (jointly) and clipvalue as configured."""
        grads = clgraph.grad(loss, list(params))
        if getattr(self, "clipnorm", 0) > 0:
            norm = T.sqrt(sum(T.sum(T.sqr(g)) for g in grads))
            grads = [clip_norm(g, self.clipnorm, norm) for g in grads]
        if getattr(self, "clipvalue", 0) > 0:
            grads = [T.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def get_updates(self, params, constraints=None, loss=None):
        """Keras 1 signature; returns a list of (shared, new value) pairs."""
        raise NotImplementedError(f"{type(self).__name__}.get_updates")

    def _begin(self, params, constraints, loss):
        """Shared preamble: accept Keras 2's (loss, params) order, compute the gradients,
        count the iteration and apply the time decay of lr (Keras 1: lr / (1 + decay * it))."""
        if isinstance(params, T.TensorVariable) and isinstance(constraints, (list, tuple)):
            params, constraints, loss = constraints, {}, params  # Keras 2 order: (loss, params)
        if loss is None:
            raise TypeError(f"{type(self).__name__}.get_updates(params, constraints, loss): loss is missing")
        params = list(params)
        self._constraints = dict(constraints or {})
        grads = self.get_gradients(loss, params)
        self.updates = [(self.iterations, self.iterations + 1)]
        lr = self.lr
        if self.initial_decay > 0:
            lr = lr * (1. / (1. + self.decay * self.iterations))
        return params, grads, lr

    def _zeros(self, params, name):
        return [clgraph.shared(np.zeros(p.get_value().shape, p.dtype),
                               name=f"{type(self).__name__}/{name}/{p.name or i}")
                for i, p in enumerate(params)]

    def _param_update(self, p, new_p):
        """The update of a parameter, through its constraint if it has one."""
        c = self._constraints.get(p, getattr(p, "constraint", None))
        if c is not None:
            new_p = c(new_p)
        self.updates.append(_checked(self, p, new_p))

    # -- state ------------------------------------------------------------------------------

    def get_weights(self):
        """The optimizer state (iterations, moments, ...) as numpy arrays."""
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Restore the state saved by get_weights (call after get_updates); all shapes are
        checked before anything changes."""
        name = type(self).__name__
        set_values(self.weights, weights,
                   lambda n: f"{name}.set_weights: got {n} arrays, the optimizer has {len(self.weights)} state "
                             f"variables (was get_updates called?)",
                   lambda var, expected, got: f"{name}.set_weights: state {var.name!r} has shape {expected}, "
                                              f"got an array of shape {got}")

    get_state = get_weights
    set_state = set_weights

    # -- config -----------------------------------------------------------------------------

    def get_config(self):
        config = {}
        for k in ("clipnorm", "clipvalue"):
            if hasattr(self, k):
                config[k] = self.__dict__[k]
        return config

    def _hyper_config(self, *names):
        config = Optimizer.get_config(self)
        config.update({n: float(getattr(self, n).get_value()) for n in names})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("name", None)
        return cls(**config)


def _checked(opt, var, expr):
    """An update pair, refusing one that would change the variable's dtype."""
    if expr.dtype != var.dtype:
        raise TypeError(f"{type(opt).__name__}: the update of {var!r} has dtype {expr.dtype}, "
                        f"expected {var.dtype}")
    return (var, expr)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, time decay of lr and Nesterov momentum."""

    def __init__(self, lr=0.01, momentum=0., decay=0., nesterov=False, **kwargs):
        self._hyperparameters(kwargs, lr=lr, momentum=momentum, decay=decay)
        self.nesterov = bool(nesterov)

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, lr = self._begin(params, constraints, loss)
        moments = self._zeros(params, "moment")
        self.weights = [self.iterations] + moments
        for p, g, m in zip(params, grads, moments):
            v = self.momentum * m - lr * g  # velocity
            self.updates.append(_checked(self, m, v))
            new_p = p + self.momentum * v - lr * g if self.nesterov else p + v
            self._param_update(p, new_p)
        return self.updates

    def get_config(self):
        return dict(self._hyper_config("lr", "momentum", "decay"), nesterov=self.nesterov)


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of recent gradients."""

    def __init__(self, lr=0.001, rho=0.9, epsilon=1e-8, decay=0., **kwargs):
        self._hyperparameters(kwargs, lr=lr, rho=rho, decay=decay)
        self.epsilon = _EPSILON if epsilon is None else epsilon

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, lr = self._begin(params, constraints, loss)
        accumulators = self._zeros(params, "accumulator")
        self.weights = [self.iterations] + accumulators
        for p, g, a in zip(params, grads, accumulators):
            new_a = self.rho * a + (1. - self.rho) * T.sqr(g)
            self.updates.append(_checked(self, a, new_a))
            self._param_update(p, p - lr * g / (T.sqrt(new_a) + self.epsilon))
        return self.updates

    def get_config(self):
        return dict(self._hyper_config("lr", "rho", "decay"), epsilon=self.epsilon)


class Adagrad(Optimizer):
    """Per-element learning rates scaled by the accumulated squared gradients."""

    def __init__(self, lr=0.01, epsilon=1e-8, decay=0., **kwargs):
        self._hyperparameters(kwargs, lr=lr, decay=decay)
        self.epsilon = _EPSILON if epsilon is None else epsilon

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, lr = self._begin(params, constraints, loss)
        accumulators = self._zeros(params, "accumulator")
        self.weights = [self.iterations] + accumulators
        for p, g, a in zip(params, grads, accumulators):
            new_a = a + T.sqr(g)
            self.updates.append(_checked(self, a, new_a))
            self._param_update(p, p - lr * g / (T.sqrt(new_a) + self.epsilon))
        return self.updates

    def get_config(self):
        return dict(self._hyper_config("lr", "decay"), epsilon=self.epsilon)


class Adadelta(Optimizer):
    """Adagrad with a decaying window and a unit-correcting ratio of running RMS values."""

    def __init__(self, lr=1.0, rho=0.95, epsilon=1e-8, decay=0., **kwargs):
        self._hyperparameters(kwargs, lr=lr, rho=rho, decay=decay)
        self.epsilon = _EPSILON if epsilon is None else epsilon

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, lr = self._begin(params, constraints, loss)
        accumulators = self._zeros(params, "accumulator")
        delta_accumulators = self._zeros(params, "delta_accumulator")
        self.weights = [self.iterations] + accumulators + delta_accumulators
        for p, g, a, d_a in zip(params, grads, accumulators, delta_accumulators):
            new_a = self.rho * a + (1. - self.rho) * T.sqr(g)
            self.updates.append(_checked(self, a, new_a))
            update = g * T.sqrt(d_a + self.epsilon) / T.sqrt(new_a + self.epsilon)
            self._param_update(p, p - lr * update)
            new_d_a = self.rho * d_a + (1. - self.rho) * T.sqr(update)
            self.updates.append(_checked(self, d_a, new_d_a))
        return self.updates

    def get_config(self):
        return dict(self._hyper_config("lr", "rho", "decay"), epsilon=self.epsilon)


class Adam(Optimizer):
    """Adaptive moment estimation with bias-corrected step size (Kingma & Ba)."""

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0., **kwargs):
        self._hyperparameters(kwargs, lr=lr, beta_1=beta_1, beta_2=beta_2, decay=decay)
        self.epsilon = _EPSILON if epsilon is None else epsilon

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, lr = self._begin(params, constraints, loss)
        t = self.iterations + 1
        lr_t = lr * (T.sqrt(1. - T.pow(self.beta_2, t)) / (1. - T.pow(self.beta_1, t)))
        ms, vs = self._zeros(params, "m"), self._zeros(params, "v")
        self.weights = [self.iterations] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs):
            m_t = self.beta_1 * m + (1. - self.beta_1) * g
            v_t = self.beta_2 * v + (1. - self.beta_2) * T.sqr(g)
            self.updates.append(_checked(self, m, m_t))
            self.updates.append(_checked(self, v, v_t))
            self._param_update(p, p - lr_t * m_t / (T.sqrt(v_t) + self.epsilon))
        return self.updates

    def get_config(self):
        return dict(self._hyper_config("lr", "beta_1", "beta_2", "decay"), epsilon=self.epsilon)


class Adamax(Adam):
    """Adam with the infinity norm in place of the second moment."""

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0., **kwargs):
        super().__init__(lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, decay=decay, **kwargs)

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, lr = self._begin(params, constraints, loss)
        t = self.iterations + 1
        lr_t = lr / (1. - T.pow(self.beta_1, t))
        ms, us = self._zeros(params, "m"), self._zeros(params, "u")
        self.weights = [self.iterations] + ms + us
        for p, g, m, u in zip(params, grads, ms, us):
            m_t = self.beta_1 * m + (1. - self.beta_1) * g
            u_t = T.maximum(self.beta_2 * u, abs(g))
            self.updates.append(_checked(self, m, m_t))
            self.updates.append(_checked(self, u, u_t))
            self._param_update(p, p - lr_t * m_t / (u_t + self.epsilon))
        return self.updates


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Keras 1's warming momentum schedule."""

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule_decay=0.004, **kwargs):
        self._hyperparameters(kwargs, lr=lr, beta_1=beta_1, beta_2=beta_2)  # no time decay of lr
        self.m_schedule = _scalar(1., "Nadam/m_schedule")
        self.epsilon = _EPSILON if epsilon is None else epsilon
        self.schedule_decay = schedule_decay

    def get_updates(self, params, constraints=None, loss=None):
        params, grads, _ = self._begin(params, constraints, loss)
        t = self.iterations + 1
        momentum_t = self.beta_1 * (1. - 0.5 * T.pow(np.float32(0.96), t * self.schedule_decay))
        momentum_t_1 = self.beta_1 * (1. - 0.5 * T.pow(np.float32(0.96), (t + 1) * self.schedule_decay))
        m_schedule_new = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_t * momentum_t_1
        self.updates.append(_checked(self, self.m_schedule, m_schedule_new))
        ms, vs = self._zeros(params, "m"), self._zeros(params, "v")
        self.weights = [self.iterations, self.m_schedule] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs):
            g_prime = g / (1. - m_schedule_new)
            m_t = self.beta_1 * m + (1. - self.beta_1) * g
            m_t_prime = m_t / (1. - m_schedule_next)
            v_t = self.beta_2 * v + (1. - self.beta_2) * T.sqr(g)
            v_t_prime = v_t / (1. - T.pow(self.beta_2, t))
            m_t_bar = (1. - momentum_t) * g_prime + momentum_t_1 * m_t_prime
            self.updates.append(_checked(self, m, m_t))
            self.updates.append(_checked(self, v, v_t))
            self._param_update(p, p - self.lr * m_t_bar / (T.sqrt(v_t_prime) + self.epsilon))
        return self.updates

    def get_config(self):
        return dict(self._hyper_config("lr", "beta_1", "beta_2"), epsilon=self.epsilon,
                    schedule_decay=self.schedule_decay)


# Keras 1 lowercase aliases.
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam

_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta, "adam": Adam,
            "adamax": Adamax, "nadam": Nadam}


def _lookup(name, custom_objects=None):
    """The optimizer class for a name, in any case ('sgd', 'SGD'), or a custom object."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}; known optimizers: {', '.join(sorted(_BY_NAME))}")
    return cls


def optimizer_from_config(config, custom_objects=None):
    """An optimizer from {'class_name': ..., 'config': {...}} (what a saved model stores)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"An optimizer config must be a dict with 'class_name' and 'config', got {config!r}")
    return _lookup(config["class_name"], custom_objects).from_config(config.get("config") or {})


def get(identifier, kwargs=None):
    """An optimizer from a name ('sgd', 'Adam', ...), a config dict, or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            return optimizer_from_config(identifier)
        config = dict(identifier)
        return _lookup(config.pop("name", None)).from_config(config)
    if isinstance(identifier, str):
        return _lookup(identifier)(**(kwargs or {}))
    raise ValueError(f"Could not interpret optimizer identifier {identifier!r}: expected a name "
                     f"({', '.join(sorted(_BY_NAME))}), a config dict or an Optimizer instance")
