"""tools/train_recipes.py and the records it writes into results/recipes.json (notebook 09's comparisons)."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest
import torch

import vaelib
from vaelib import evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import train_recipes

RUNS = json.loads(train_recipes.RECIPES_FILE.read_text())["runs"]


@pytest.mark.parametrize("name", sorted(train_recipes.RECIPES))
def test_every_recipe_is_a_valid_train_config(name):
    _, changes = train_recipes.RECIPES[name]
    config = vaelib.TrainConfig(**{**train_recipes.BASE.__dict__, **changes})
    assert config.binarize and config.num_threads == 1 and config.num_epochs == 10


@pytest.mark.parametrize("name", sorted(RUNS))
def test_recorded_runs_are_consistent(name):
    run = RUNS[name]
    if not run["finished"]:
        return
    kl = run["kl_per_dimension"]
    assert len(kl) == 50 and min(kl) >= 0
    assert run["units_kl_above_0.1"] == sum(v > 0.1 for v in kl)
    assert run["test_negative_log_px_k1000"] < run["test_negative_elbo"] + 0.5  # L_1000 is the tighter bound
    assert 0 <= run["active_units"] <= 50 and run["cpu_seconds"] > 0
    if "command" in run:  # written by tools/train_recipes.py: the record says what the recipe was
        recipe = run["command"].split()[2]
        _, changes = train_recipes.RECIPES[recipe]
        assert name == f"{recipe}-s{run['seed']}"
        assert run["iwae_samples"] == changes.get("iwae_samples", 1)
        assert run["elbo_samples"] == changes.get("elbo_samples", 1)


def test_a_short_run_is_recorded_without_touching_other_runs(tmp_path, monkeypatch):
    file = tmp_path / "recipes.json"
    file.write_text(json.dumps({"about": "test", "runs": {"other": {"seed": 7}}}))
    monkeypatch.setattr(train_recipes, "RECIPES_FILE", file)
    monkeypatch.setattr(train_recipes, "BASE", dataclasses.replace(train_recipes.BASE, num_epochs=1))
    x_test = evaluate.binarized_test_set(seed=0)[:64]
    result = train_recipes.run("g4-iwae5", 3, x_test, vaelib.load_mnist("train").pixels[:256])
    train_recipes.record("g4-iwae5-s3", result)
    data = json.loads(file.read_text())
    assert data["runs"]["other"] == {"seed": 7} and data["about"] == "test"
    saved = data["runs"]["g4-iwae5-s3"]
    assert saved["iwae_samples"] == 5 and saved["seed"] == 3 and saved["epochs"] == 1
    assert saved["command"] == "python tools/train_recipes.py g4-iwae5 --seeds 3"
    assert torch.isfinite(torch.tensor([saved["test_negative_log_px_k1000"], saved["test_negative_elbo"]])).all()


def test_unknown_recipe_is_named(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["train_recipes.py", "g4-iwae7"])
    with pytest.raises(SystemExit) as exit_info:
        train_recipes.main()
    assert exit_info.value.code == 1 and "unknown recipe(s): g4-iwae7" in capsys.readouterr().err
