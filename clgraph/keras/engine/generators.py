"""Training and evaluation from Python generators, as Keras 1's fit_generator,
evaluate_generator and predict_generator (Keras 2's steps_per_epoch / epochs /
validation_steps / steps too). Each item is (x, y) or (x, y, sample_weight) (x alone
for predict_generator); the generator runs in this thread (clgraph's calls are
asynchronous already: max_q_size, nb_worker and pickle_safe are accepted and unused)."""
import numpy as np

__all__ = ["GeneratorMethods"]


def _next_batch(generator, caller, with_targets=True):
    try:
        item = next(generator)
    except StopIteration:
        raise ValueError(f"{caller}: the generator stopped before the epoch's samples were drawn (a Keras "
                         "generator loops forever)") from None
    if not with_targets:
        return (item[0] if isinstance(item, tuple) else item), None, None
    if not isinstance(item, tuple) or len(item) not in (2, 3):
        raise ValueError(f"{caller}: the generator must yield (x, y) or (x, y, sample_weight) tuples, got "
                         f"{type(item).__name__}")
    return item if len(item) == 3 else (item[0], item[1], None)


def _size(x):
    first = x[0] if isinstance(x, (list, tuple)) else next(iter(x.values())) if isinstance(x, dict) else x
    return len(first)


def _epoch(generator, samples, steps, caller, with_targets=True):
    """(batch number, x, y, sample_weight, size) of one epoch's batches: `steps` of them
    (Keras 2), or until `samples` samples are drawn (Keras 1)."""
    if steps is None and samples is None:
        raise ValueError(f"{caller}: give samples_per_epoch / val_samples (Keras 1) or steps (Keras 2)")
    seen = b = 0
    while (b < steps) if steps is not None else (seen < samples):
        x, y, w = _next_batch(generator, caller, with_targets)
        size = _size(x)
        yield b, x, y, w, size
        seen, b = seen + size, b + 1


class GeneratorMethods:
    """Mixed into Model."""

    def fit_generator(self, generator, samples_per_epoch=None, nb_epoch=1, verbose=1, callbacks=None,
                      validation_data=None, nb_val_samples=None, class_weight=None, max_q_size=10, nb_worker=1,
                      pickle_safe=False, initial_epoch=0, steps_per_epoch=None, epochs=None, validation_steps=None,
                      workers=None, use_multiprocessing=None, max_queue_size=None, shuffle=None):
        from .training import _batch_hooks
        nb_epoch = epochs if epochs is not None else nb_epoch
        if steps_per_epoch is None and samples_per_epoch is None:
            raise ValueError("fit_generator: give samples_per_epoch (Keras 1) or steps_per_epoch (Keras 2)")
        labels = list(self.metrics_names)
        validate = validation_data is not None
        callback_list = self._training_callbacks(callbacks, verbose, validate, nb_epoch=nb_epoch, epochs=nb_epoch,
                                                 nb_sample=samples_per_epoch, samples=samples_per_epoch,
                                                 steps=steps_per_epoch)
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, nb_epoch):
            callback_list.on_epoch_begin(epoch)
            for b, x, y, w, size in _epoch(generator, samples_per_epoch, steps_per_epoch, "fit_generator"):
                _batch_hooks(callback_list, labels, b, size,
                             lambda: np.atleast_1d(self.train_on_batch(x, y, w, class_weight)))
                if self.stop_training:
                    break
            logs = {}
            if validate:
                if hasattr(validation_data, "__next__"):
                    values = self.evaluate_generator(validation_data, nb_val_samples, steps=validation_steps)
                else:
                    values = self.evaluate(*validation_data, verbose=0)
                logs.update(("val_" + label, float(v)) for label, v in zip(labels, np.atleast_1d(values)))
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def evaluate_generator(self, generator, val_samples=None, max_q_size=10, nb_worker=1, pickle_safe=False,
                           steps=None, workers=None, use_multiprocessing=None, max_queue_size=None):
        """The loss (and metrics) averaged over the batches, weighted by their sizes."""
        totals, seen = None, 0
        for _, x, y, w, size in _epoch(generator, val_samples, steps, "evaluate_generator"):
            outs = np.atleast_1d(np.asarray(self.test_on_batch(x, y, w), dtype=np.float64)) * size
            totals = outs if totals is None else totals + outs
            seen += size
        result = [float(t) / seen for t in totals]
        return result[0] if len(result) == 1 else result

    def predict_generator(self, generator, val_samples=None, max_q_size=10, nb_worker=1, pickle_safe=False,
                          steps=None, workers=None, use_multiprocessing=None, max_queue_size=None, verbose=0):
        """The outputs for the generator's inputs, in order."""
        parts = []
        for _, x, _, _, _ in _epoch(generator, val_samples, steps, "predict_generator", with_targets=False):
            out = self.predict_on_batch(x)
            parts.append(out if isinstance(out, list) else [out])
        results = [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]
        return results[0] if len(results) == 1 else results
