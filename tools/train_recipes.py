#!/usr/bin/env python3
"""Train the recipe comparisons of notebook 09 and record them in results/recipes.json.

    .venv/bin/python tools/train_recipes.py --list                    # the recipes this script knows
    .venv/bin/python tools/train_recipes.py g4-iwae5 --seeds 0 1 2   # train and evaluate, one run per seed

Each run: a 784-200-200-50 ReLU VAE (``vaelib.VAE`` with ``seed``) trained by ``vaelib.fit`` on all
60,000 training images, dynamically binarized, batch 128, Adam, on one torch thread, for the recipe's
epochs; ``cpu_seconds`` is the process CPU time of ``fit``. Then the protocol of
tools/evaluate_models.py on the 10,000 test images binarized once with seed 0: the one-sample negative
ELBO with analytic KL (seed 1), -L_1000 (generator seed 1000), active units (Cov > 0.01), the units
whose KL exceeds 0.1 nats and each unit's mean KL. The record goes into ``runs`` under
``<recipe>-s<seed>``, replacing an earlier run of that name; other runs are left as they are.
A run of k = 50 took about 31 CPU minutes on this kind of machine (shared), its evaluation about 4 more.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import vaelib
from vaelib import evaluate, losses
from vaelib.paths import RESULTS_DIR

RECIPES_FILE = RESULTS_DIR / "recipes.json"
ARCHITECTURE = vaelib.ModelConfig(input_dim=784, hidden_dims=(200, 200), latent_dim=50)
BASE = vaelib.TrainConfig(num_epochs=10, batch_size=128, lr=1e-3, binarize=True, num_threads=1, progress=False)
RECIPES = {  # name -> (description, changes to BASE)
    "g4-vae1": ("plain ELBO, one sample per image, Adam lr 1e-3, constant", {}),
    "g4-vae5": ("ELBO with its reconstruction term averaged over 5 samples per image", {"elbo_samples": 5}),
    "g4-iwae5": ("IWAE objective with k = 5, Adam lr 1e-3, constant", {"iwae_samples": 5}),
    "g4-iwae50": ("IWAE objective with k = 50, Adam lr 1e-3, constant", {"iwae_samples": 50}),
}
KL_THRESHOLD = 0.1  # nats


def run(recipe: str, seed: int, x_test: torch.Tensor, train_pixels: torch.Tensor) -> dict:
    """Train one seed of a recipe and measure it on the binarized test set."""
    description, changes = RECIPES[recipe]
    config = vaelib.TrainConfig(**{**BASE.__dict__, **changes, "seed": seed})
    model = vaelib.VAE(ARCHITECTURE, seed=seed)
    epoch_cpu = []
    start = time.process_time()
    vaelib.fit(model, train_pixels, config, after_epoch=lambda m, r: epoch_cpu.append(time.process_time() - start))
    cpu_seconds = time.process_time() - start
    terms = evaluate.negative_elbo_terms(model, x_test, torch.Generator().manual_seed(1))  # all three: no_grad
    mu, log_sigma = evaluate.encode_all(model, x_test)
    bound = evaluate.importance_weighted_bound(model, x_test, 1000, torch.Generator().manual_seed(1000))
    kl = losses.kl_per_dimension(mu, log_sigma).mean(0)
    return {
        "description": description,
        "seed": seed,
        "lr": config.lr,
        "lr_schedule": config.lr_schedule,
        "lr_warmup_steps": config.lr_warmup_steps,
        "kl_warmup_steps": config.kl_warmup_steps,
        "free_bits": config.free_bits,
        "iwae_samples": config.iwae_samples or 1,
        "elbo_samples": config.elbo_samples,
        "epochs": config.num_epochs,
        "cpu_seconds": round(cpu_seconds, 2),
        "cpu_seconds_first_epoch": round(epoch_cpu[0], 2),
        "finished": True,
        "test_negative_log_px_k1000": round(-bound.mean().item(), 3),
        "test_negative_elbo": round(terms.total.mean().item(), 3),
        "active_units": evaluate.active_units(mu)[0],
        "units_kl_above_0.1": int((kl > KL_THRESHOLD).sum()),
        "kl_per_dimension": [round(v, 4) for v in kl.tolist()],
        "command": f"python tools/train_recipes.py {recipe} --seeds {seed}",
    }


def record(name: str, result: dict) -> None:
    """Write one run into results/recipes.json, re-reading the file first (runs may finish in parallel)."""
    with open(RECIPES_FILE, "r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # released when the file closes
        data = json.load(file)
        data["runs"][name] = result
        file.seek(0)
        file.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        file.truncate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipes", nargs="*", help="recipe names (see --list)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--list", action="store_true", help="print the recipes and exit")
    args = parser.parse_args()
    unknown = [r for r in args.recipes if r not in RECIPES]
    if args.list or not args.recipes or unknown:
        if unknown:
            print(f"unknown recipe(s): {', '.join(unknown)}", file=sys.stderr)
        for name, (description, changes) in RECIPES.items():
            print(f"{name:10s} {description} {changes or ''}")
        sys.exit(1 if unknown else 0)
    torch.set_num_threads(1)  # (import vaelib has fixed glibc's mmap threshold: vaelib.allocator)
    train_pixels = vaelib.load_mnist("train").pixels
    x_test = evaluate.binarized_test_set(seed=0)
    for recipe in args.recipes:
        for seed in args.seeds:
            result = run(recipe, seed, x_test, train_pixels)
            record(f"{recipe}-s{seed}", result)
            print(
                f"{recipe}-s{seed}: -L_1000 = {result['test_negative_log_px_k1000']:.2f}, "
                f"-ELBO = {result['test_negative_elbo']:.2f}, active units {result['active_units']}, "
                f"{result['cpu_seconds']:.0f} CPU s",
                flush=True,
            )


if __name__ == "__main__":
    main()
