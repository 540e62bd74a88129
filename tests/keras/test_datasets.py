"""get_file and the datasets, on small files in the datasets' own formats made here
(no network): the cache, hashes, the error without a network, archives that try to
leave their folder, and loaders that refuse pickled code."""
import io
import os
import pickle
import tarfile
import urllib.error

import numpy as np
import pytest

from clgraph.keras.datasets import cifar10, imdb, mnist, reuters
from clgraph.keras.datasets._safe_load import safe_unpickle
from clgraph.keras.utils import data_utils
from clgraph.keras.utils.data_utils import file_hash, get_file


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLGRAPH_DATA", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in the tests")
    monkeypatch.setattr(data_utils.urllib.request, "urlopen", offline)
    return tmp_path


def test_without_a_network_get_file_says_where_to_put_the_file(data_dir):
    with pytest.raises(OSError, match=f"put the file at {data_dir}.*mnist.npz"):
        mnist.load_data()
    assert not [p for p in os.listdir(data_dir) if p.endswith(".part")]   # nothing half-written left


def test_a_cached_file_is_used_and_its_hash_checked(data_dir):
    path = data_dir / "thing.bin"
    path.write_bytes(b"abc")
    assert get_file("thing.bin", origin="http://nowhere/thing.bin") == str(path)
    assert get_file("thing.bin", "http://nowhere", md5_hash=file_hash(str(path))) == str(path)
    with pytest.raises(OSError, match="could not download"):   # a wrong hash: downloaded again, offline
        get_file("thing.bin", "http://nowhere", md5_hash="0" * 32)


def test_mnist(data_dir, rng):
    arrays = {"x_train": rng.integers(0, 255, (6, 28, 28)).astype(np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 255, (2, 28, 28)).astype(np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    np.savez(data_dir / "mnist.npz", **arrays)
    (xtr, ytr), (xte, yte) = mnist.load_data()
    np.testing.assert_array_equal(xtr, arrays["x_train"])
    np.testing.assert_array_equal(yte, arrays["y_test"])


def _pickled_batch(rng, n):
    data = rng.integers(0, 255, (n, 3072)).astype(np.uint8)
    labels = list(rng.integers(0, 10, n))
    return {b"data": data, b"labels": [int(v) for v in labels]}


def test_cifar10_in_both_orderings(data_dir, rng):
    batches = {f"data_batch_{k}": _pickled_batch(rng, 4) for k in range(1, 6)}
    batches["test_batch"] = _pickled_batch(rng, 3)
    with tarfile.open(data_dir / "cifar-10-batches-py.tar.gz", "w:gz") as tar:
        for name, d in batches.items():
            blob = pickle.dumps(d, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    from clgraph.keras import backend as K
    old = K.image_dim_ordering()
    try:
        K.set_image_dim_ordering("th")
        (xtr, ytr), (xte, yte) = cifar10.load_data()
        assert xtr.shape == (20, 3, 32, 32) and ytr.shape == (20, 1) and xte.shape == (3, 3, 32, 32)
        np.testing.assert_array_equal(xtr[:4].reshape(4, -1), batches["data_batch_1"][b"data"])
        np.testing.assert_array_equal(yte[:, 0], batches["test_batch"][b"labels"])
        K.set_image_dim_ordering("tf")
        (xtr2, _), _ = cifar10.load_data()
        np.testing.assert_array_equal(xtr2, xtr.transpose(0, 2, 3, 1))
    finally:
        K.set_image_dim_ordering(old)


def _object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    for k, s in enumerate(seqs):
        out[k] = s
    return out


def test_imdb_word_indices_as_keras(data_dir):
    train = [[5, 1, 2], [7, 8], [3, 3, 3, 3, 9]]
    test = [[1], [6, 6]]
    np.savez(data_dir / "imdb.npz", x_train=_object_array(train), y_train=np.array([1, 0, 1]),
             x_test=_object_array(test), y_test=np.array([0, 1]))
    (xtr, ytr), (xte, yte) = imdb.load_data(seed=0)
    order = np.random.RandomState(0).permutation(3)
    assert [list(x) for x in xtr] == [[1] + [w + 3 for w in train[k]] for k in order]
    np.testing.assert_array_equal(ytr, np.array([1, 0, 1])[order])
    (xtr, _), _ = imdb.load_data(seed=0, nb_words=8, maxlen=5)       # rare words -> 2, long reviews dropped
    assert all(len(x) < 5 and all(w < 8 for w in x) for x in xtr)
    assert any(2 in x for x in xtr)


def test_reuters_split(data_dir):
    seqs = [[k, k + 1] for k in range(10)]
    np.savez(data_dir / "reuters.npz", x=_object_array(seqs), y=np.arange(10))
    (xtr, ytr), (xte, yte) = reuters.load_data(test_split=0.3, start_char=None, index_from=0)
    assert len(xtr) == 7 and len(xte) == 3
    assert sorted(tuple(x) for x in list(xtr) + list(xte)) == sorted(tuple(s) for s in seqs)


def test_loaders_refuse_code_in_a_file(data_dir):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system|nt.system"):
        safe_unpickle(pickle.dumps({b"data": Evil()}))
    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    np.savez(data_dir / "imdb.npz", x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    with pytest.raises(pickle.UnpicklingError):
        imdb.load_data()


def test_an_archive_that_leaves_its_folder_is_not_extracted(data_dir):
    with tarfile.open(data_dir / "bad.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="would leave"):
        get_file("bad", origin="http://nowhere", untar=True)
    assert not (data_dir.parent / "outside.txt").exists()
