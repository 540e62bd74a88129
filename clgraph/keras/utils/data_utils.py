"""Keras 1's get_file: download a file once into a cache folder and return its path.

The cache is $CLGRAPH_DATA, else ~/.keras/<cache_subdir> (Keras' own folder, so files
it downloaded are found). A file already there is used when its hash matches (or no
hash is given). Without a network the download fails at once with an error that says
where to put the file by hand. Downloads go to a temporary file renamed into place,
so an interrupted one leaves nothing half-written under the final name."""
import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request

__all__ = ["get_file", "cache_dir", "file_hash"]

TIMEOUT_S = 30


def cache_dir(cache_subdir="datasets"):
    base = os.environ.get("CLGRAPH_DATA")
    return base if base else os.path.join(os.path.expanduser("~"), ".keras", cache_subdir)


def file_hash(path, algorithm="md5"):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _valid(path, md5_hash, file_hash_value, hash_algorithm):
    if md5_hash:
        return file_hash(path, "md5") == md5_hash
    if file_hash_value:
        algorithm = hash_algorithm if hash_algorithm != "auto" else ("sha256" if len(file_hash_value) == 64 else "md5")
        return file_hash(path, algorithm) == file_hash_value
    return True


def get_file(fname, origin, untar=False, md5_hash=None, cache_subdir="datasets", file_hash=None,
             hash_algorithm="auto", extract=False):
    """The local path of `fname`, downloaded from `origin` unless the cache has it."""
    folder = cache_dir(cache_subdir)
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, fname + ".tar.gz" if untar else fname)
    if not (os.path.exists(target) and _valid(target, md5_hash, file_hash, hash_algorithm)):
        _download(origin, target, fname)
        if not _valid(target, md5_hash, file_hash, hash_algorithm):
            os.remove(target)
            raise ValueError(f"get_file: {fname} downloaded from {origin} does not have the expected hash; the "
                             "copy was removed")
    if untar or extract:
        out = os.path.join(folder, fname) if untar else folder
        if untar and os.path.exists(out):
            return out
        with tarfile.open(target) as tar:
            _safe_extract(tar, folder)
        return out
    return target


def _download(origin, target, fname):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=os.path.basename(target) + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin, timeout=TIMEOUT_S) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError) as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise OSError(f"get_file: could not download {fname} from {origin} ({exc}); without a network, put the "
                      f"file at {target} (or set CLGRAPH_DATA to the folder that holds it)") from None


def _safe_extract(tar, folder):
    """Extract members that stay inside `folder` (no absolute paths, no .., no links
    out of it): a hostile archive cannot write elsewhere."""
    root = os.path.realpath(folder)
    for member in tar.getmembers():
        dest = os.path.realpath(os.path.join(folder, member.name))
        if not (dest == root or dest.startswith(root + os.sep)) or member.issym() or member.islnk() or \
                member.isdev():
            raise ValueError(f"get_file: the archive member {member.name!r} would leave {folder}; not extracted")
    tar.extractall(folder)
