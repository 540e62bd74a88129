"""Keras 1's datasets: mnist, cifar10, imdb, reuters, downloaded once by get_file from
their canonical addresses and read without running code from the files (npz without
pickle where the format allows; the object arrays and CIFAR's pickled batches through
an unpickler that builds only lists, numbers, strings and numpy arrays)."""
