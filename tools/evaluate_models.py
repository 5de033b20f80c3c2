#!/usr/bin/env python3
"""Measure the shipped binarized models (notebooks 08, 10) on the test set; write results/evaluation.json.

    .venv/bin/python tools/evaluate_models.py                 # every model below (about 40 min, 1 thread)
    .venv/bin/python tools/evaluate_models.py vae-binarized   # only these
    .venv/bin/python tools/evaluate_models.py --table         # print the README results table
    .venv/bin/python tools/evaluate_models.py --readme        # write it between the README's results markers

Protocol (the same for every model): the 10,000 MNIST test images binarized once, each pixel a
Bernoulli draw with its grey level as probability (``vaelib.binarize`` with seed 0); the negative
ELBO with one reparameterized sample per image (seed 1) and the analytic KL; the importance-weighted
bound L_k of Burda et al. (2015) for each k listed below (generator seed k); active units with
threshold 0.01 and the KL of each latent unit (the README table also counts the units with KL above
0.1 nats). Numbers are means over the test set in nats per image. Models are loaded with
``vaelib.pretrained.load_pretrained`` (SHA-256 checked); train them with ``tools/train_models.py``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import markers

from vaelib import evaluate, losses, pretrained

RESULTS = evaluate.RESULTS_FILE
BINARIZE_SEED, ELBO_SEED = 0, 1
KL_THRESHOLD = 0.1  # nats: a unit that carries less is (nearly) collapsed to the prior
KS = {"vae-binarized": (1, 10, 100, 1000, 5000)}  # the k-sweep of notebook 08
KS.update({f"vae-beta-{beta}": (1000,) for beta in ("0.25", "0.5", "1", "2", "4", "8")})
KS.update({"conv-vae-binarized": (1000,), "vae-binarized-equal-cpu": (1000,)})  # notebook 10: equal CPU time
KS.update({"vae-best": (5000,)})  # notebook 09: the best model, k = 5000 as in Burda et al.


def measure(name: str, x: torch.Tensor) -> dict:
    """All test-set numbers of one shipped model."""
    model = pretrained.load_pretrained(name)
    spec = pretrained.entry(name)
    terms = evaluate.negative_elbo_terms(model, x, torch.Generator().manual_seed(ELBO_SEED))
    mu, log_sigma = evaluate.encode_all(model, x)
    count, _ = evaluate.active_units(mu)
    record = {
        "name": name,
        "architecture": getattr(spec.model_config, "summary", None)  # a ConvConfig describes itself (notebook 10)
        or "-".join(str(d) for d in (784, *spec.model_config.hidden_dims, spec.model_config.latent_dim)),
        "beta": spec.train_config.beta,
        "epochs": spec.train_config.num_epochs,
        "train_seconds": spec.seconds,
        "train_command": spec.command,
        "negative_elbo": terms.total.mean().item(),
        "reconstruction": terms.reconstruction.mean().item(),
        "kl": terms.kl.mean().item(),
        "kl_per_dimension": losses.kl_per_dimension(mu, log_sigma).mean(0).tolist(),
        "active_units": count,
        "iwae_negative_log_px": {},
        "iwae_seconds": {},
    }
    for k in KS[name]:
        start = time.perf_counter()
        bound = evaluate.importance_weighted_bound(model, x, k, torch.Generator().manual_seed(k))
        record["iwae_negative_log_px"][str(k)] = -bound.mean().item()
        record["iwae_seconds"][str(k)] = round(time.perf_counter() - start, 1)
        print(f"{name}: k={k}: -L_k = {-bound.mean().item():.3f} nats", flush=True)
    record["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # process so far
    return record


def units_carrying(kl_per_dimension: list[float], threshold: float = KL_THRESHOLD) -> int:
    """How many latent units carry more than ``threshold`` nats (their KL term, averaged over the test set)."""
    return sum(kl > threshold for kl in kl_per_dimension)


def table(results: dict) -> str:
    """The README results table (markdown), one row per model."""
    lines = [
        "| model | architecture | parameters | data | epochs | training s | CPU s | beta | test -ELBO (nats) | test -log p(x) ≈ -L_k (nats) | active units (Cov > 0.01) | units with KL > 0.1 nats | reproduce |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(results.values(), key=lambda r: r["name"] != "vae-best"):  # the best model first
        k = max(r["iwae_negative_log_px"], key=int)
        spec = pretrained.entry(r["name"])  # parameters and CPU seconds are facts of the registry entry
        parameters = sum(p.numel() for p in spec.untrained_model().parameters())
        cpu = "–" if spec.cpu_seconds is None else f"{spec.cpu_seconds:.0f}"
        lines.append(
            f"| `{r['name']}` | {r['architecture']} | {parameters:,} | dyn. binarized | {r['epochs']} | {r['train_seconds']:.0f} | {cpu} | "
            f"{r['beta']:g} | {r['negative_elbo']:.2f} | {r['iwae_negative_log_px'][k]:.2f} (k={k}) | "
            f"{r['active_units']}/{len(r['kl_per_dimension'])} | "
            f"{units_carrying(r['kl_per_dimension'])}/{len(r['kl_per_dimension'])} | `{r['train_command']}`; "
            f"`python tools/evaluate_models.py {r['name']}` |"
        )
    return "\n".join(lines)


README = Path(__file__).resolve().parent.parent / "README.md"


def readme_section(results: dict) -> str:
    """The text between the README's results markers: protocol, table, comparison."""
    return (
        "Every shipped model, measured by `python tools/evaluate_models.py` on the 10,000 MNIST test images\n"
        "binarized once (seed 0). Numbers are nats per test image, lower is better. The negative ELBO is the\n"
        "beta = 1 objective whatever beta the model was trained with, with the closed-form KL and one sample\n"
        "for the reconstruction; -log p(x) is estimated by -L_k, the\n"
        "importance-weighted bound of Burda et al. (2015) with k samples per image, which approaches\n"
        "-log p(x) from above as k grows. All models are trained with `vaelib.fit` on dynamically binarized\n"
        "MNIST (a fresh binarization of the 60,000 training images every epoch), Adam, batch 128, one thread.\n"
        "At the top, the course's best model, `vae-best` (notebook 09): the 784-200-200-50 VAE trained for\n"
        "about 14 minutes of one-thread CPU with a learning rate of 2e-3 (500 warm-up steps, then cosine\n"
        "decay to 0) and a KL warm-up over the first 10 epochs. All the others use learning rate 1e-3 and\n"
        "no schedule. All but one are 784-200-200-50 VAEs (ReLU); `conv-vae-binarized` is the\n"
        "convolutional VAE of notebook 10 (two stride-2 convolutions with 16 and 32 channels, K = 50), and\n"
        "`vae-binarized-equal-cpu` the 784-200-200-50 VAE trained for as many epochs as fit in the same CPU\n"
        "time (notebook 10 compares them). Training seconds are wall time on a shared 2-core machine, where\n"
        "other jobs slow a run down by a varying factor; CPU s is the CPU time of the training process, the\n"
        "fair clock there, measured for the newer models. For comparison, Burda et al. (2015, table 1)\n"
        "report 86.76 nats for the 784-200-200-50 layer sizes (tanh units, batch 20) trained as a VAE for\n"
        "3280 epochs (notebooks 08 and 09 discuss the difference).\n\n"
        "Two counts of the latent units in use: *active units* (Burda et al.: the posterior mean of the unit\n"
        "varies across test images with variance above 0.01) and *units with KL > 0.1 nats* (the unit's KL\n"
        "term, averaged over the test images, exceeds 0.1 nats: it carries information). They agree when the\n"
        "used and unused units are clearly apart, as for the 25-epoch model; after 10 epochs some units are\n"
        "still collapsing, with activities above 0.01 but less than 0.1 nats each (often only hundredths), so\n"
        "the 10-epoch counts, the active-unit counts above all, include units on their way out.\n\n"
        "The test -ELBO here differs slightly from the test loss in `models/README.md` "
        f"({results['vae-binarized']['negative_elbo']:.2f} against {pretrained.entry('vae-binarized').test_loss:.2f}\n"
        "nats for `vae-binarized`): that one binarizes the test images afresh, batch by batch, from the seeded\n"
        "generator that also draws the noise, so both the binary images and the noise differ from the fixed\n"
        "test set and noise seed used here.\n\n" + table(results)
    )


def write_readme(results: dict, path: Path = README) -> bool:
    """Replace the results section of README.md; return whether it changed."""
    return markers.write_section(path, "results", readme_section(results))


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv == ["--table"]:
        print(table(evaluate.shipped_results(RESULTS)))
        return 0
    if argv == ["--readme"]:
        print("README.md " + ("updated" if write_readme(evaluate.shipped_results(RESULTS)) else "already up to date"))
        return 0
    names = argv or list(KS)
    unknown = [n for n in names if n not in KS]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; known: {list(KS)}")
    torch.set_num_threads(1)  # the machine is shared; 1 thread keeps timings comparable
    x = evaluate.binarized_test_set(BINARIZE_SEED)
    for name in names:
        record = measure(name, x)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # re-read: merge, not overwrite
        results[name] = record
        results = {n: results[n] for n in KS if n in results}  # stable order
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
