#!/usr/bin/env python3
"""Measure how far the printed numbers of the notebooks move with the seed and with the CPU's numerics.

    .venv/bin/python tools/measure_spread.py notebooks/01-autoencoders.ipynb   # report only
    .venv/bin/python tools/measure_spread.py --write notebooks/0[167]-*.ipynb  # and update tests/tolerances.json
    .venv/bin/python tools/measure_spread.py --write --tag notebooks/06-*.ipynb # also tag the varying cells
    .venv/bin/python tools/measure_spread.py --all --write                       # every notebook and solution

Each notebook is executed (in memory; the file is not rewritten) several times:

- with other seeds, when it has a cell tagged ``parameters`` that sets ``SEED``: a cell
  ``SEED = s`` is inserted after it, for s in SEEDS; and
- with seed 0 under each setting of NUMERICS: environment variables that change which floating-point
  kernels PyTorch (ATen), MKL and oneDNN use, the way another CPU does (AVX2 instead of AVX-512, no
  vectorization at all, MKL's most conservative code path, oneDNN's convolutions limited to AVX).

For every code cell it compares the printed text of all runs with the stored output. A cell whose text
is the same in every run is compared exactly by nbval and must not be tagged. A cell whose numbers
change under some numerics setting, or under another seed, must be tagged ``nbval-tolerance`` (``--tag``
does it): the numerics settings here are a few of the many a learner's CPU may have (an ARM machine has
none of them), and a number that moves with the seed comes from a computation (training) that another
CPU's rounding can move the same way, even where these settings happen not to. For each number it prints,
the largest deviation from the stored value across the seeds and across the numerics settings is
recorded in ``tests/tolerances.json``, with the tolerance

    0                                    if the number never moved (compared exactly), else
    1.5 * (largest deviation) + one unit in the number's last printed place,

so a run on any machine that is as typical as the measured ones passes, and a change to the recipe
that moves a result by more than the seed-to-seed spread fails. Runs use ``VAELIB_CLAIMS_LOG``: a
lesson claim (``vaelib.claims.expect``) that does not hold under some seed is reported, not raised.
A claim that fails under a numerics setting with seed 0 would fail CI on another machine: the tool
reports it as an error. A cell whose text (not only its numbers) changes under a numerics setting is an
error too; a cell that only other seeds move, and whose words change with the seed, stays exact.

Runs take roughly (1 + len(SEEDS) + len(NUMERICS)) times a notebook's run time; the notebooks with live
training about 15 minutes in all on one thread.

The shipped models' regeneration tolerances (``vaelib/registry.py``) are measured the same way:

    .venv/bin/python tools/measure_spread.py --models vae-2d ae-01   # retrain under each numerics setting

retrains each named registry entry with its recorded recipe (seed 0) under every setting of NUMERICS, in a
fresh process per run, and records the test loss in ``models/spread.json``;

    .venv/bin/python tools/measure_spread.py --model-seeds cvae-2d   # retrain with seeds 1 and 2

does the same with other seeds (``model_seed`` and ``TrainConfig.seed`` both replaced) on this machine. ``tests/test_pretrained.py`` checks that every tolerance is at least 1.5 times the
largest deviation measured either way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbtolerance

ROOT = nbtolerance.ROOT
SEEDS = (1, 2, 3, 4)
NUMERICS = {
    "ATen without vectorization": {"ATEN_CPU_CAPABILITY": "default"},
    "ATen AVX2, MKL AVX2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "MKL conditional reproducibility": {"MKL_CBWR": "COMPATIBLE"},
    # convolutions run in oneDNN, which picks its kernels by the CPU's instruction set, not by the two above
    "oneDNN AVX kernels": {"ONEDNN_MAX_CPU_ISA": "AVX"},
}
SAFETY = 1.5
RUNS_DIR = ROOT / "build" / "spread-runs"  # not committed (build/ is ignored)


def with_seed(notebook, seed: int):
    """A copy of ``notebook`` with ``SEED = seed`` inserted after its cell tagged ``parameters``."""
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for i, cell in enumerate(copy.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            injected = nbformat.v4.new_code_cell(f"SEED = {seed}  # injected by tools/measure_spread.py")
            copy.cells.insert(i + 1, injected)
            return copy
    raise ValueError("the notebook has no cell tagged 'parameters'")


def has_parameters(notebook) -> bool:
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in notebook.cells)


def run(notebook, path: Path, env: dict[str, str]) -> tuple[dict[str, list[str]], list[str], str | None]:
    """Execute a copy; return ({cell id: its texts}, failed claims, the error that stopped it or None)."""
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    with tempfile.NamedTemporaryFile("r", suffix=".log", encoding="utf-8") as log:
        full_env = {**os.environ, **env, "VAELIB_CLAIMS_LOG": log.name, "PYTHONHASHSEED": "0"}
        full_env.pop("VAELIB_STRICT_CLAIMS", None)
        client = NotebookClient(
            copy, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        error = None
        try:
            client.execute(env=full_env)
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1][:300]
        claims = [line.strip() for line in log.read().splitlines() if line.strip()]
    texts = {c.get("id"): nbtolerance.text_outputs(c.get("outputs", [])) for c in copy.cells if c.cell_type == "code"}
    return texts, claims, error


def compared_by_tolerance(stored: list[str], kinds: set[str], differing: list[list[str]]) -> bool:
    """Must a cell be tagged? ``stored``: its stored texts; ``kinds``: the kinds of run ("numerics", "seeds")
    whose texts differ from them; ``differing``: those texts. Yes if a numerics setting moves it; if only
    seeds move it, yes when its words stay the same (numbers that drift), no when its words change."""
    if not kinds:
        return False  # the same text in every run
    if "numerics" in kinds:
        return True
    words = [nbtolerance.split_numbers(t).skeleton for t in stored]
    return all([nbtolerance.split_numbers(t).skeleton for t in texts] == words for texts in differing)


def measure(path: Path, seeds=SEEDS, numerics=NUMERICS) -> dict:
    """Run one notebook under every seed and setting; return the per-cell analysis."""
    notebook = nbformat.read(path, as_version=4)
    sanitize = nbtolerance.sanitizer()
    stored = {
        c.get("id"): [sanitize(t) for t in nbtolerance.text_outputs(c.get("outputs", []))]
        for c in notebook.cells
        if c.cell_type == "code"
    }
    runs = {"this machine, seed 0": ("numerics", notebook, {})}
    for name, env in numerics.items():
        runs[name] = ("numerics", notebook, env)
    if has_parameters(notebook):
        for seed in seeds:
            runs[f"seed {seed}"] = ("seeds", with_seed(notebook, seed), {})
    report = {"runs": {}, "cells": {}, "errors": []}
    outputs = {}
    for name, (kind, nb, env) in runs.items():
        start = time.perf_counter()
        texts, claims, error = run(nb, path, env)
        report["runs"][name] = {
            "kind": kind,
            "env": env,
            "seconds": round(time.perf_counter() - start, 1),
            "failed_claims": claims,
            "error": error,
        }
        print(
            f"  {name}: {report['runs'][name]['seconds']} s, {len(claims)} claims not met"
            + (f", STOPPED: {error}" if error else ""),
            flush=True,
        )
        if error:
            report["errors"].append(f"{name}: execution stopped: {error}")
        if kind == "numerics" and claims:
            report["errors"] += [f"{name}: a claim fails with seed 0 under other numerics: {c}" for c in claims]
        outputs[name] = {cid: [sanitize(t) for t in ts] for cid, ts in texts.items()}
    RUNS_DIR.mkdir(parents=True, exist_ok=True)  # the raw texts of every run, to re-read without re-running
    (RUNS_DIR / f"{path.stem}.json").write_text(json.dumps({"runs": report["runs"], "outputs": outputs}, indent=1))
    for cid, ref_texts in stored.items():
        differing = {
            name: outputs[name][cid] for name in runs if cid in outputs[name] and outputs[name][cid] != ref_texts
        }  # a stopped run lacks later cells
        if not compared_by_tolerance(ref_texts, {runs[name][0] for name in differing}, list(differing.values())):
            continue  # nbval compares it exactly
        ref = [nbtolerance.split_numbers(t) for t in ref_texts]
        printed = [n for split in ref for n in split.numbers]
        deviation = {"seeds": [0.0] * len(printed), "numerics": [0.0] * len(printed)}
        for name, texts in differing.items():
            got = [nbtolerance.split_numbers(t) for t in texts]
            if [split.skeleton for split in got] != [split.skeleton for split in ref]:
                report["errors"].append(
                    f"cell {cid}: {name} printed different text (not only numbers): {' | '.join(texts)[:200]!r}"
                )
                continue
            kind = runs[name][0]
            for i, value in enumerate(float(n) for split in got for n in split.numbers):
                deviation[kind][i] = max(deviation[kind][i], abs(value - float(printed[i])))
        tolerances = [
            0.0 if max(a, b) == 0 else round(SAFETY * max(a, b) + nbtolerance.resolution(p), 6)
            for a, b, p in zip(deviation["seeds"], deviation["numerics"], printed)
        ]
        report["cells"][cid] = {
            "tolerances": tolerances,
            "seed_deviation": [round(d, 6) for d in deviation["seeds"]],
            "numerics_deviation": [round(d, 6) for d in deviation["numerics"]],
        }
    return report


def tag_cells(path: Path, varying: set[str]) -> bool:
    """Tag exactly the varying cells ``nbval-tolerance`` in the notebook file; return True if it changed."""
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        want = cell.get("id") in varying
        if want and nbtolerance.TAG not in tags:
            tags.append(nbtolerance.TAG)
            changed = True
        elif not want and nbtolerance.TAG in tags:
            tags.remove(nbtolerance.TAG)
            changed = True
        if not tags:
            del cell.metadata["tags"]
    if changed:
        nbformat.write(notebook, path)
    return changed


def write_tolerances(results: dict[str, dict], path: Path = nbtolerance.TOLERANCES_FILE) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {"notebooks": {}}
    data["about"] = (
        "Per printed number of every cell tagged nbval-tolerance: the tolerance nbval allows, and the "
        "largest deviation from the stored value measured across seeds and across numerics settings. "
        "Written by tools/measure_spread.py; see CONTRIBUTING.md."
    )
    data["rule"] = (
        f"0 if the number never moved, else {SAFETY} * largest deviation + one unit in the last printed place"
    )
    data["seeds"] = list(SEEDS)
    data["numerics"] = NUMERICS
    for name, report in results.items():
        data["notebooks"][name] = dict(report["cells"].items())
        data.setdefault("measured", {})[name] = {
            "date": date.today().isoformat(),
            "runs": {
                k: {kk: vv for kk, vv in v.items() if kk != "failed_claims"}
                | {"claims_not_met": len(v["failed_claims"])}
                for k, v in report["runs"].items()
            },
        }
    data["notebooks"] = {k: v for k, v in sorted(data["notebooks"].items()) if v}
    data["measured"] = dict(sorted(data["measured"].items()))
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")


MODEL_SPREAD_FILE = ROOT / "models" / "spread.json"


def retrain_in_subprocess(name: str, env: dict[str, str], seed: int = 0) -> dict:
    """Retrain one registry entry with its recipe in a fresh process with ``env``; its test loss and seconds.

    ``seed`` replaces both the entry's ``model_seed`` and its ``TrainConfig.seed`` (0: the recorded recipe).
    """
    import subprocess

    code = (
        "import json, sys, time; from dataclasses import replace; "
        "sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tools']; import train_models; "
        "from vaelib import pretrained; seed = int(sys.argv[3]); spec = pretrained.REGISTRY[sys.argv[2]]; "
        "pretrained.REGISTRY[sys.argv[2]] = replace(spec, model_seed=seed, "
        "train_config=replace(spec.train_config, seed=seed)) if seed else spec; "
        "start = time.perf_counter(); model, _ = train_models.train(sys.argv[2], progress=False); "
        "seconds = time.perf_counter() - start; "
        "print(json.dumps({'test_loss': pretrained.test_loss_of(sys.argv[2], model), 'seconds': seconds}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), name, str(seed)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_models(names: list[str], path: Path = MODEL_SPREAD_FILE) -> None:
    """Retrain ``names`` under every numerics setting; record the test losses in models/spread.json."""
    for name in names:
        for setting, env in NUMERICS.items():
            run = retrain_in_subprocess(name, env)
            data = json.loads(path.read_text())  # re-read: other runs may have written meanwhile
            entry = data["models"][name]
            entry.setdefault("numerics", {})[setting] = round(run["test_loss"], 3)
            print(
                f"{name}: {setting}: test loss {run['test_loss']:.3f} (shipped {entry['shipped']:.3f}), "
                f"{run['seconds']:.0f} s",
                flush=True,
            )
            path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")  # after every run: hours of work


def measure_model_seeds(names: list[str], seeds: tuple[int, ...] = (1, 2), path: Path = MODEL_SPREAD_FILE) -> None:
    """Retrain ``names`` with other seeds (this machine's numerics); record the test losses in models/spread.json."""
    for name in names:
        for seed in seeds:
            run = retrain_in_subprocess(name, {}, seed=seed)
            data = json.loads(path.read_text())  # re-read: other runs may have written meanwhile
            entry = data["models"].setdefault(name, {"shipped": None, "seeds": {}, "numerics": {}})
            entry["shipped"] = round(pretrained_test_loss(name), 3)
            entry["seeds"][str(seed)] = round(run["test_loss"], 3)
            print(
                f"{name}: seed {seed}: test loss {run['test_loss']:.3f} (shipped {entry['shipped']:.3f}), "
                f"{run['seconds']:.0f} s",
                flush=True,
            )
            path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def pretrained_test_loss(name: str) -> float:
    """The test loss the registry records for ``name``."""
    sys.path.insert(0, str(ROOT))
    from vaelib import pretrained

    return pretrained.entry(name).test_loss


def main(argv: list[str]) -> int:
    if argv[:1] == ["--models"]:
        measure_models(argv[1:])
        return 0
    if argv[:1] == ["--model-seeds"]:
        measure_model_seeds(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="every notebook and solution")
    parser.add_argument("--write", action="store_true", help="update tests/tolerances.json")
    parser.add_argument("--tag", action="store_true", help="tag the varying cells nbval-tolerance (untag the others)")
    args = parser.parse_args(argv)
    paths = (
        sorted(p for p in ROOT.glob("notebooks/**/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if args.all
        else [p.resolve() for p in args.notebooks]
    )
    if not paths:
        parser.print_help()
        return 2
    results, errors = {}, []
    for path in paths:
        name = path.relative_to(ROOT).as_posix()
        print(f"{name}:", flush=True)
        report = measure(path)
        results[name] = report
        errors += [f"{name}: {e}" for e in report["errors"]]
        for cid, entry in report["cells"].items():
            moved = sum(t > 0 for t in entry["tolerances"])
            print(
                f"    cell {cid}: {moved} of {len(entry['tolerances'])} numbers move; "
                f"largest seed deviation {max(entry['seed_deviation'], default=0):.4g}, "
                f"largest numerics deviation {max(entry['numerics_deviation'], default=0):.4g}"
            )
        for run_name, info in report["runs"].items():
            for claim in info["failed_claims"]:
                print(f"    {run_name}: {claim}")
        if args.tag and tag_cells(path, set(report["cells"])):
            print(f"    tags updated in {name}")
    if args.write:
        write_tolerances(results)
        print(f"wrote {nbtolerance.TOLERANCES_FILE.relative_to(ROOT)}")
    for error in errors:
        print("ERROR:", error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
