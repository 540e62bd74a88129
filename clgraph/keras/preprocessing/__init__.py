"""Keras 1's data preprocessing: sequence (padding, skip-grams), text (tokenising)."""
