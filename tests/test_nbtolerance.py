"""Tests of the number-by-number comparison that nbval uses for cells tagged nbval-tolerance
(tools/nbtolerance.py, plugged into nbval by tests/nbval_settings.py)."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("nbtolerance", ROOT / "tools" / "nbtolerance.py")
nbtolerance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbtolerance)


def stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def result(text):
    return nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1)


def test_numbers_and_the_text_between_them():
    split = nbtolerance.split_numbers("epoch 2: test loss  155.3, KL -0.25 [1.7e-3]\n")
    assert split.numbers == ("2", "155.3", "-0.25", "1.7e-3")
    assert split.skeleton == ("epoch", ":testloss", ",KL", "[", "]")
    assert nbtolerance.split_numbers("[4.03 4.4 ]").skeleton == nbtolerance.split_numbers("[4.03 4.38]").skeleton


def test_streams_are_merged_by_name_as_nbval_does():
    outputs = [stream("a 1\n"), result("r 2"), stream("b 3\n")]
    assert nbtolerance.text_outputs(outputs) == ["a 1\nb 3\n", "r 2"]


@pytest.mark.parametrize(
    "number, unit", [("155", 1.0), ("154.9", 0.1), ("0.020", 0.001), ("2.5e-03", 1e-4), ("-18.10", 0.01)]
)
def test_resolution_is_one_unit_in_the_last_printed_place(number, unit):
    assert nbtolerance.resolution(number) == pytest.approx(unit)


def test_numbers_within_their_tolerances_pass_and_take_the_stored_text():
    ref = [stream("test loss 154.9 nats, 53% in gaps\n")]
    test = [stream("test loss  155.3 nats, 55% in gaps\n")]
    outputs, problems = nbtolerance.reconcile_outputs(test, ref, [1.0, 3.0])
    assert problems == [] and outputs[0]["text"] == ref[0]["text"]


def test_a_number_outside_its_tolerance_fails_and_says_which():
    ref = [stream("test loss 154.9 nats, 53% in gaps\n")]
    test = [stream("test loss 155.3 nats, 58% in gaps\n")]
    outputs, problems = nbtolerance.reconcile_outputs(test, ref, [1.0, 3.0])
    assert outputs is test and len(problems) == 1
    assert "number 1: 58 here, 53 stored" in problems[0] and "tolerance 3" in problems[0]


def test_a_tolerance_of_zero_means_exact():
    ref, test = [result("20 of 20 dimensions")], [result("19 of 20 dimensions")]
    _, problems = nbtolerance.reconcile_outputs(test, ref, [0.0, 0.0])
    assert problems and "number 0" in problems[0]


def test_changed_words_fail_whatever_the_numbers():
    ref, test = [stream("loss 154.9 nats\n")], [stream("loss 154.9 bits\n")]
    _, problems = nbtolerance.reconcile_outputs(test, ref, [1.0])
    assert problems and "text around the numbers differs" in problems[0]


def test_missing_or_extra_numbers_or_outputs_fail():
    assert nbtolerance.reconcile_outputs([stream("1 2\n")], [stream("1\n")], [1.0])[1]
    assert nbtolerance.reconcile_outputs([stream("1\n"), stream("2\n")], [stream("1\n")], [1.0])[1]
    _, problems = nbtolerance.reconcile_outputs([stream("1 2\n")], [stream("1 2\n")], [1.0])  # only one tolerance
    assert problems and "tolerances.json" in problems[0]


def test_numbers_in_several_outputs_are_counted_across_them():
    ref = [stream("a 1.0\n"), result("b 2.0 c 3.0")]
    test = [stream("a 1.4\n"), result("b 2.0 c 9.0")]
    _, problems = nbtolerance.reconcile_outputs(test, ref, [0.5, 0.0, 1.0])
    assert len(problems) == 1 and problems[0].startswith("number 2:")


def test_sanitized_parts_are_not_compared():
    ref, test = [stream("took 12.3 s (wall); loss 5.0\n")], [stream("took 48.0 s (wall); loss 5.0\n")]
    hide_time = lambda s: s.replace("12.3 s", "T s").replace("48.0 s", "T s")
    _, problems = nbtolerance.reconcile_outputs(test, ref, [0.0], sanitize=hide_time)
    assert problems == []


def test_every_tagged_cell_has_one_tolerance_per_stored_number_and_no_other_cell_has_any():
    """The list of cells not compared exactly: each has its measured tolerances (tests/tolerances.json)."""
    tolerances = nbtolerance.load_tolerances()
    sanitize = nbtolerance.sanitizer()
    tagged = {}
    for path in sorted(p for p in ROOT.glob("notebooks/**/*.ipynb") if ".ipynb_checkpoints" not in p.parts):
        name = path.relative_to(ROOT).as_posix()
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            source = cell.get("source", "")
            tags = cell.get("metadata", {}).get("tags", [])
            assert not ({"nbval-ignore-output", "nbval-skip", "raises-exception"} & set(tags)), (name, cell.get("id"))
            assert "NBVAL_IGNORE_OUTPUT" not in source and "NBVAL_SKIP" not in source, (name, cell.get("id"))
            if nbtolerance.is_tolerance_cell(cell):
                entry = tolerances.get(name, {}).get(cell["id"])
                assert entry is not None, f"{name} cell {cell['id']}: tagged, but no tolerances recorded"
                numbers = nbtolerance.numbers_of(cell.get("outputs", []), sanitize)
                assert len(entry["tolerances"]) == len(numbers), f"{name} cell {cell['id']}: re-measure"
                assert len(entry["seed_deviation"]) == len(entry["numerics_deviation"]) == len(numbers)
                tagged.setdefault(name, set()).add(cell["id"])
    for name, cells in tolerances.items():
        assert set(cells) == tagged.get(name, set()), f"{name}: tolerances recorded for cells that are not tagged"


def test_each_tolerance_follows_the_recorded_rule():
    sanitize = nbtolerance.sanitizer()
    for name, cells in nbtolerance.load_tolerances().items():
        notebook = nbformat.read(ROOT / name, as_version=4)
        stored = {c.get("id"): nbtolerance.numbers_of(c.get("outputs", []), sanitize) for c in notebook.cells}
        for cell_id, entry in cells.items():
            for tolerance, a, b, printed in zip(
                entry["tolerances"], entry["seed_deviation"], entry["numerics_deviation"], stored[cell_id]
            ):
                moved = max(a, b)
                expected = 0.0 if moved == 0 else 1.5 * moved + nbtolerance.resolution(printed)
                assert tolerance == pytest.approx(expected, abs=1e-6), (name, cell_id, printed)


def test_readme_states_how_many_cells_are_compared_by_tolerance():
    count = sum(len(cells) for cells in nbtolerance.load_tolerances().values())
    readme = (ROOT / "README.md").read_text()
    assert f"**{count} cells**" in readme, f"README.md should say that {count} cells are compared by tolerance"


def _run_nbval_on(tmp_path, stored_text, tolerance):
    """Strict nbval, with this repository's conftest, on a one-cell notebook tagged nbval-tolerance."""
    import os
    import subprocess
    import sys

    cell = nbformat.v4.new_code_cell('print("test loss 10.0 nats")', execution_count=1)
    cell.outputs = [stream(stored_text)]
    cell.metadata["tags"] = [nbtolerance.TAG]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    path = tmp_path / "planted.ipynb"
    nbformat.write(notebook, path)
    tolerances = {"notebooks": {path.resolve().as_posix(): {cell["id"]: {"tolerances": [tolerance]}}}}
    (tmp_path / "tolerances.json").write_text(json.dumps(tolerances))
    env = {
        **os.environ,
        "VAELIB_TOLERANCES_FILE": str(tmp_path / "tolerances.json"),
        "PYTHONPATH": str(ROOT / "tests") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "--nbval",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-q",
            str(path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_nbval_accepts_a_number_within_tolerance_and_rejects_one_outside(tmp_path):
    """The plug-in really is active in nbval: a planted out-of-tolerance stored number fails the cell."""
    within = _run_nbval_on(tmp_path, "test loss 10.3 nats\n", 0.5)
    assert within.returncode == 0, within.stdout + within.stderr
    outside = _run_nbval_on(tmp_path, "test loss 11.0 nats\n", 0.5)
    assert outside.returncode != 0 and "number 0: 10.0 here, 11.0 stored" in outside.stdout, outside.stdout
