"""Keras 1 utilities: np_utils (to_categorical, ...) and generic_utils (Progbar)."""
