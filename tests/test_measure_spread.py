"""tools/measure_spread.py: which cells it tags for comparison by tolerance (its runs are not repeated here)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("measure_spread", ROOT / "tools" / "measure_spread.py")
measure_spread = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measure_spread)
tagged = measure_spread.compared_by_tolerance

STORED = ["test loss 154.9, KL 22.5\n"]


def test_a_cell_no_run_moves_is_compared_exactly():
    assert not tagged(STORED, set(), [])


def test_a_cell_another_numerics_setting_moves_is_tagged():
    assert tagged(STORED, {"numerics"}, [["test loss 155.3, KL 22.6\n"]])
    assert tagged(STORED, {"numerics", "seeds"}, [["test loss 155.3, KL 22.6\n"], ["test loss 151.0, KL 23.0\n"]])


def test_numbers_that_move_only_with_the_seed_are_tagged_too():
    # trained live: another CPU's rounding can move them as a seed does, even where these settings did not
    assert tagged(STORED, {"seeds"}, [["test loss 156.2, KL 21.9\n"], ["test loss 153.1, KL 22.5\n"]])


def test_words_that_change_with_the_seed_leave_the_cell_exact():
    assert not tagged(["the closest digit is a 3\n"], {"seeds"}, [["the closest digit is an 8\n"]])


def test_the_settings_include_one_that_moves_convolutions():
    # oneDNN chooses its convolution kernels by the CPU: none of the ATen or MKL settings changes them
    assert any("ONEDNN_MAX_CPU_ISA" in env for env in measure_spread.NUMERICS.values())
