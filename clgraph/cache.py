"""The on-disk cache of built OpenCL programs, under `config.cache_dir`/programs.

An entry is keyed by everything that can change a binary: the rendered source, the
build options, the platform, device and driver strings, and the clgraph and pyopencl
versions. It is a folder holding `binary`, `source.cl` (for reading) and `meta.json`
(the key's parts and the binary's sha256). Entries are written to a temporary folder
and renamed into place, so a crash never leaves half an entry; an entry whose
checksum or build fails is removed with a warning and rebuilt, never trusted.
No pickle: nothing in the cache can run code when it is read."""
import hashlib
import json
import os
import shutil
import tempfile
import warnings

from .config import config

__all__ = ["clear", "entry_key", "load", "store", "cache_root", "first_launch_marker", "stats"]

stats = {"hits": 0, "misses": 0, "corrupt": 0}


def cache_root():
    return os.path.join(config.cache_dir, "programs")


def entry_key(device, source, options):
    import pyopencl

    from . import __version__
    parts = {"source_sha256": hashlib.sha256(source.encode()).hexdigest(), "options": list(options),
             "device": list(device.key), "clgraph": __version__, "pyopencl": pyopencl.VERSION_TEXT}
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return key, parts


def first_launch_marker(device, source, options):
    """The file that records that a program's first call ran here (its kernels' code is
    in the driver's own cache since: runtime/parallel_compile.py), keyed as an entry."""
    return os.path.join(config.cache_dir, "first-launch", entry_key(device, source, options)[0])


def _entry_dir(key):
    return os.path.join(cache_root(), key[:2], key)


def load(key, parts):
    """The cached binary for `key`, or None (missing, or damaged and removed)."""
    folder = _entry_dir(key)
    try:
        with open(os.path.join(folder, "meta.json")) as fh:
            meta = json.load(fh)
        with open(os.path.join(folder, "binary"), "rb") as fh:
            binary = fh.read()
    except FileNotFoundError:
        stats["misses"] += 1
        return None
    except (OSError, ValueError) as exc:
        discard(key, f"unreadable ({exc})")
        return None
    if meta.get("parts") != parts or meta.get("binary_sha256") != hashlib.sha256(binary).hexdigest():
        discard(key, "its checksum or key does not match")
        return None
    stats["hits"] += 1
    return binary


def store(key, parts, binary, source):
    """Write an entry atomically (a failure to write only costs a rebuild later)."""
    folder = _entry_dir(key)
    if os.path.isdir(folder):
        return
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(folder))
        with open(os.path.join(tmp, "binary"), "wb") as fh:
            fh.write(binary)
        with open(os.path.join(tmp, "source.cl"), "w") as fh:
            fh.write(source)
        with open(os.path.join(tmp, "meta.json"), "w") as fh:
            json.dump({"parts": parts, "binary_sha256": hashlib.sha256(binary).hexdigest()}, fh, indent=1)
        try:
            os.rename(tmp, folder)
        except OSError:  # another process stored the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        warnings.warn(f"clgraph could not write its kernel cache in {cache_root()}: {exc}", stacklevel=3)


def discard(key, why):
    stats["corrupt"] += 1
    warnings.warn(f"clgraph: the cached program {key[:12]} is damaged ({why}); it is rebuilt", stacklevel=3)
    shutil.rmtree(_entry_dir(key), ignore_errors=True)


def clear():
    """Remove every cached program (of this cache_dir), the compiled templates and the
    first-launch markers."""
    shutil.rmtree(cache_root(), ignore_errors=True)
    for folder in ("mako", "first-launch"):
        shutil.rmtree(os.path.join(config.cache_dir, folder), ignore_errors=True)
