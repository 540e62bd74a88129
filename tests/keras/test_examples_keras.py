"""The Keras examples run end to end (small sizes) and reach their accuracy."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_example(name, *args):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_seed_mlp_example():
    out = run_example("seed_mlp.py", "--epochs", "2", "--samples", "1000")
    assert "dense_1 (Dense)" in out and "Total params: 5,634" in out
    assert "Epoch 2/2" in out and "epoch   2: loss" in out
    assert float(out.split("test accuracy:")[1].split()[0]) >= 0.9


def test_digits_mlp_example():
    out = run_example("digits_mlp.py", "--epochs", "6", "--verbose", "0")
    assert float(out.split("test accuracy:")[1].split("%")[0]) >= 96.0
