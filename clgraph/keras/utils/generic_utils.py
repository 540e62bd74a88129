"""Keras 1 generic utilities: the training progress bar and name -> object lookup.

Progbar draws the Keras 1 bar

      32/1000 [>.............................] - ETA: 3s - loss: 0.6931 - acc: 0.5000

redrawn in place with '\\r' on a terminal (or a notebook). When stdout is a file or a
pipe it prints plain lines instead, and only occasionally (the final line of each bar, or
one line every `plain_interval` seconds), so a log file never fills with carriage returns.
"""
import sys
import time

import numpy as np


def _now():
    """Wall-clock seconds; one place, so tests can substitute a fake clock."""
    return time.time()


def _is_dynamic(stream):
    """True when `stream` can redraw a line in place (a terminal or a Jupyter kernel)."""
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules


def _format_value(avg):
    return " %.4f" % avg if abs(avg) > 1e-3 else " %.4e" % avg


class Progbar:
    """A Keras 1 progress bar over `target` steps (samples), with running averages.

    `update(current, values)`: `current` is the number of steps done so far; `values` is a
    list of (name, value) pairs, each averaged over the steps, weighted by the step size
    (the number of steps since the previous update). verbose=1 draws the bar, verbose=2
    prints one line when the target is reached, verbose=0 prints nothing.
    """

    plain_interval = 60.0  # seconds between plain (non-terminal) progress lines

    def __init__(self, target, width=30, verbose=1, interval=0.05):
        if target is not None and (not isinstance(target, (int, np.integer)) or target < 0):
            raise ValueError(f"Progbar: target must be a non-negative int or None, got {target!r}")
        self.target = None if target is None else int(target)
        self.width = int(width)
        self.verbose = verbose
        self.interval = interval
        self.sum_values = {}      # name -> [weighted sum, total weight]
        self.unique_values = []   # names in the order they first appeared
        self.seen_so_far = 0
        self.start = _now()
        self.last_update = 0.0
        self.last_plain = self.start
        self.total_width = 0
        self._dynamic = _is_dynamic(sys.stdout)

    def update(self, current, values=None, force=False):
        """Record progress up to `current` steps and redraw if it is time to."""
        step = current - self.seen_so_far
        for name, value in values or ():
            value = float(np.mean(value))
            if name not in self.sum_values:
                self.unique_values.append(name)
                # a value first seen on a zero-size step still shows as itself
                self.sum_values[name] = [value * step, step] if step > 0 else [value, 1]
            else:
                self.sum_values[name][0] += value * step
                self.sum_values[name][1] += step
        self.seen_so_far = current

        now = _now()
        done = self.target is not None and current >= self.target
        if self.verbose == 1:
            if self._dynamic:
                if force or done or now - self.last_update >= self.interval:
                    self._redraw(current, now, done)
                    self.last_update = now
            elif done or now - self.last_plain >= self.plain_interval:
                sys.stdout.write(self._bar(current) + self._info(current, now, done) + "\n")
                sys.stdout.flush()
                self.last_plain = self.last_update = now
        elif self.verbose == 2 and done:
            sys.stdout.write("%ds" % (now - self.start) + self._averages() + "\n")
            sys.stdout.flush()
            self.last_update = now

    def add(self, n, values=None):
        """Advance by `n` steps."""
        self.update(self.seen_so_far + n, values)

    # -- drawing -------------------------------------------------------------------------

    def _redraw(self, current, now, done):
        line = self._bar(current) + self._info(current, now, done)
        pad = max(0, self.total_width - len(line))  # blank out the rest of a longer old line
        self.total_width = len(line)
        sys.stdout.write("\r" + line + " " * pad + ("\n" if done else ""))
        sys.stdout.flush()

    def _bar(self, current):
        if self.target is None:
            return "%7d/Unknown" % current
        digits = len(str(self.target))
        bar = "%*d/%d [" % (digits, current, self.target)
        filled = int(self.width * min(current, self.target) / self.target) if self.target else self.width
        if filled > 0:
            bar += "=" * (filled - 1) + (">" if current < self.target else "=")
        return bar + "." * (self.width - filled) + "]"

    def _info(self, current, now, done):
        elapsed = now - self.start
        if done or self.target is None:
            info = " - %ds" % elapsed
        else:
            per_step = elapsed / current if current else 0.0
            info = " - ETA: %ds" % (per_step * (self.target - current))
        return info + self._averages()

    def _averages(self):
        out = ""
        for name in self.unique_values:
            total, weight = self.sum_values[name]
            out += " - %s:" % name + _format_value(total / max(1, weight))
        return out


def get_from_module(identifier, module_params, module_name, instantiate=False, kwargs=None, configs=False):
    """Resolve a Keras identifier: a name (looked up in `module_params`), a config dict
    ({'name': ..., **args} as Keras 1, or {'class_name': ..., 'config': {...}} as Keras 2;
    only with `configs`), or a callable, which is returned as it is. Anything else, and
    an unknown name (the error lists the known ones), raise a ValueError.

    With `instantiate`, a name is called with `kwargs` (Keras 1's get_from_module).
    """
    if not isinstance(identifier, (str, dict) if configs else str) and not callable(identifier):
        raise ValueError(f"Could not interpret {module_name} identifier {identifier!r}: expected a name"
                         f"{', a config dict' if configs else ''} or a callable")
    if isinstance(identifier, str):
        found = module_params.get(identifier)
        if found is None:
            known = ", ".join(sorted(k for k in module_params if not k.startswith("_")))
            raise ValueError(f"Unknown {module_name} {identifier!r}; known {module_name}s: {known}")
        if instantiate and callable(found):
            return found(**(kwargs or {}))
        return found
    if isinstance(identifier, dict):
        config = dict(identifier)
        if "class_name" in config:
            name, args = config["class_name"], dict(config.get("config") or {})
        elif "name" in config:
            name, args = config.pop("name"), config
        else:
            raise ValueError(f"A {module_name} config dict needs a 'name' or 'class_name' key, got "
                             f"{sorted(identifier)}")
        cls = get_from_module(name, module_params, module_name)
        args.pop("name", None)
        return cls(**args)
    return identifier
