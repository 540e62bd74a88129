"""The Keras 1 progress bar: exact output on a terminal and in a log file, with a fake clock."""
import sys

import pytest

from clgraph.keras.utils import generic_utils
from clgraph.keras.utils.generic_utils import Progbar


@pytest.fixture
def clock(monkeypatch):
    """A settable clock in place of time.time() inside the progress bar."""
    now = [100.0]
    monkeypatch.setattr(generic_utils, "_now", lambda: now[0])
    return now


@pytest.fixture
def tty(monkeypatch, capsys):
    """stdout (capsys' stream, which is in place only once the test runs) claims a terminal."""
    return lambda: monkeypatch.setattr(sys.stdout, "isatty", lambda: True)


@pytest.fixture
def notty(monkeypatch, capsys):
    return lambda: monkeypatch.setattr(sys.stdout, "isatty", lambda: False)


def drive(bar, clock):
    """Three updates: 32/1000 at 1 s, 500 at 2 s (plus a throttled one), 1000 at 4.6 s."""
    clock[0] = 101.0
    bar.update(32, [("loss", 0.6931), ("acc", 0.5)])
    clock[0] = 102.0
    bar.update(500, [("loss", 0.5), ("acc", 1.0)])
    clock[0] = 102.01  # within `interval` of the previous draw: not redrawn on a terminal
    bar.update(500, [])
    clock[0] = 104.6
    bar.update(1000, [("loss", 0.1), ("acc", 1.0)])


# running averages weighted by the step sizes 32, 468, 500
LOSS_500 = (0.6931 * 32 + 0.5 * 468) / 500           # 0.51236
LOSS_1000 = (0.6931 * 32 + 0.5 * 468 + 0.1 * 500) / 1000  # 0.30618
FINAL = "1000/1000 [" + "=" * 30 + "] - 4s - loss: %.4f - acc: 0.9840" % LOSS_1000


def test_terminal_redraws_in_place(clock, tty, capsys):
    tty()
    bar = Progbar(1000)
    drive(bar, clock)
    line1 = "  32/1000 [" + "." * 30 + "] - ETA: 30s - loss: 0.6931 - acc: 0.5000"
    line2 = " 500/1000 [" + "=" * 14 + ">" + "." * 15 + "] - ETA: 2s - loss: %.4f - acc: 0.9680" % LOSS_500
    # what is left of a longer previous line is blanked out
    pad2, pad3 = " " * (len(line1) - len(line2)), " " * (len(line2) - len(FINAL))
    assert (len(pad2), len(pad3)) == (1, 5)
    assert capsys.readouterr().out == "\r" + line1 + "\r" + line2 + pad2 + "\r" + FINAL + pad3 + "\n"
    assert "%.4f" % LOSS_500 == "0.5124"


def test_log_file_gets_only_the_final_line(clock, notty, capsys):
    notty()
    bar = Progbar(1000)
    drive(bar, clock)
    out = capsys.readouterr().out
    assert out == FINAL + "\n"
    assert "\r" not in out and "\b" not in out


def test_log_file_gets_an_occasional_line_on_long_runs(clock, notty, capsys):
    notty()
    bar = Progbar(100, width=10)
    clock[0] = 100.0 + Progbar.plain_interval + 1  # a long time since the start
    bar.add(20, [("loss", 2e-4)])
    clock[0] += 1
    bar.add(20, [("loss", 2e-4)])  # too soon after the previous line
    assert capsys.readouterr().out == " 20/100 [=>........] - ETA: 244s - loss: 2.0000e-04\n"


def test_verbose_2_prints_one_summary_line_and_verbose_0_nothing(clock, tty, capsys):
    tty()
    drive(Progbar(1000, verbose=2), clock)
    assert capsys.readouterr().out == "4s - loss: %.4f - acc: 0.9840\n" % LOSS_1000
    drive(Progbar(1000, verbose=0), clock)
    assert capsys.readouterr().out == ""


def test_add_and_unknown_target(clock, tty, capsys):
    tty()
    bar = Progbar(None)
    bar.add(7, [("loss", 1.0)])
    clock[0] = 103.0
    bar.add(3, [("loss", 2.0)])
    out = capsys.readouterr().out
    assert out == "\r      7/Unknown - 0s - loss: 1.0000\r     10/Unknown - 3s - loss: 1.3000"
    assert bar.seen_so_far == 10
    with pytest.raises(ValueError, match="target must be a non-negative int"):
        Progbar(-1)
