#!/usr/bin/env python3
"""Regenerate the shipped model weights in models/ from their recorded recipes (vaelib.pretrained).

    python tools/train_models.py vae-2d          # retrain one model, write models/vae-2d.safetensors
    python tools/train_models.py --list          # the registry: names, recipes, recorded test losses
    python tools/train_models.py --threads 1 ae-2d   # same recipe on 1 thread (same weights, slower)
    python tools/train_models.py --readme        # rewrite the tables in models/README.md

For each name it trains from scratch with the exact configuration in ``vaelib.pretrained.REGISTRY``,
writes ``models/<name>.safetensors`` and prints its SHA-256, its test loss (nats per test image) and
the training time. Compare them with the registry entry (and models/README.md); on the machine that
made the shipped files the SHA-256 usually matches bit for bit, elsewhere the test loss agrees within
the entry's tolerance (measured: models/spread.json). Maintainer machinery: learners only load models.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "tools"))

import markers  # noqa: E402

from vaelib import fit, load_mnist, pretrained, save_model  # noqa: E402
from vaelib.checkpoints import CheckpointError  # noqa: E402
from vaelib.classifier import fit_classifier  # noqa: E402
from vaelib.training import History  # noqa: E402

MODELS_README = ROOT / "models" / "README.md"


def train(
    name: str,
    progress: bool = True,
    train_x: torch.Tensor | None = None,
    test_x: torch.Tensor | None = None,
    num_threads: int | None = None,
) -> tuple[torch.nn.Module, History | list]:
    """Train the model ``name`` from scratch with its recorded recipe; return it and its history.

    ``train_x`` defaults to MNIST's pixels (the recorded subset of the training split). ``test_x``, if
    given, is evaluated after every epoch. A classifier returns its per-epoch losses instead of a History. ``num_threads`` overrides the recipe's thread count (on the CPUs tried
    the weights came out bit-identical at 1 and 2 threads: only speed changes).
    """
    spec = pretrained.entry(name)
    data = load_mnist("train", subset=spec.train_subset)
    train_x = data.pixels if train_x is None else train_x
    model = spec.untrained_model()
    config = replace(spec.train_config, progress=progress)
    if num_threads is not None:
        config = replace(config, num_threads=num_threads)
    if spec.kind == "Classifier":  # a digit classifier: cross-entropy on the labels
        return model, fit_classifier(model, train_x, data.labels, config)
    if getattr(model, "conditional", False):  # a conditional VAE (notebook 11) also reads the digit labels
        test_labels = None if test_x is None else load_mnist("test").labels[: len(test_x)]
        return model, fit(model, train_x, config, test_x, labels=data.labels, test_labels=test_labels)
    return model, fit(model, train_x, config, test_x)


def save(name: str, model: torch.nn.Module, models_dir: str | Path | None = None) -> Path:
    """Write ``model`` to ``models_dir/<name>.safetensors`` with a canonical (sorted) header.

    safetensors writes its metadata in a random order; sorting it makes the same weights always give
    the same bytes, hence the same SHA-256.
    """
    spec = pretrained.entry(name)
    path = Path(models_dir or pretrained.DEFAULT_MODELS_DIR) / spec.file
    recipe = json.dumps(asdict(spec.train_config), sort_keys=True)
    save_model(model, path, extra={"name": name, "command": spec.command, "train_config": recipe})
    _canonicalize_header(path)
    return path


def _canonicalize_header(path: Path) -> None:
    """Rewrite a safetensors header with its metadata keys sorted (same length, same tensors)."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    if len(text) > n:
        raise CheckpointError(f"{path}: canonical header is longer than the original ({len(text)} > {n})")
    path.write_bytes(raw[:8] + text.ljust(n, b" ") + raw[8 + n :])


def make(
    name: str, models_dir: str | Path | None = None, progress: bool = True, num_threads: int | None = None
) -> dict[str, float | str]:
    """Retrain ``name`` from scratch, save it; return {"path", "sha256", "test_loss", "seconds", "cpu_seconds"}.

    ``seconds`` is the wall time of training alone (MNIST loading and the test evaluation excluded);
    ``cpu_seconds`` the CPU time this process spent on it, the fair clock on a shared machine.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    model, _ = train(name, progress=progress, num_threads=num_threads)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    path = save(name, model, models_dir)
    return {
        "path": str(path),
        "sha256": pretrained.sha256_of(path),
        "test_loss": pretrained.test_loss_of(name, model),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def readme_table() -> str:
    """The markdown table of every registry entry, as models/README.md shows it."""
    rows = [
        "| name | model | data | epochs | seconds | test loss (nats per image) | SHA-256 | command |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for spec in pretrained.REGISTRY.values():
        c, t = spec.model_config, spec.train_config
        sizes = getattr(c, "summary", None) or "-".join(  # a ConvConfig describes itself (notebook 10)
            str(n) for n in (c.input_dim, *c.hidden_dims, getattr(c, "latent_dim", None) or c.num_classes)
        )
        pixels = "dynamically binarized" if t.binarize else "grey levels"
        data = f"MNIST train ({spec.train_subset or 60000:,} images), {pixels}"
        loss = {
            "VAE": "negative ELBO",
            "Autoencoder": "reconstruction NLL",
            "Classifier": "cross-entropy",
            "ConditionalVAE": "negative ELBO given the label",
            "ConvVAE": "negative ELBO",
        }[spec.kind]
        extra = f", beta = {t.beta:g}" if spec.kind == "VAE" and t.beta != 1 else ""
        rows.append(
            f"| `{spec.name}` | {spec.kind} {sizes}{extra} | {data} | {t.num_epochs} | {spec.seconds:.0f} "
            f"| {spec.test_loss:.2f} ({loss}; +/- {spec.tolerance:g} on regeneration) | `{spec.sha256}` | `{spec.command}` |"
        )
    return "\n".join(rows)


def spread_table(path: Path = ROOT / "models" / "spread.json") -> str:
    """The measured spread behind every tolerance (models/spread.json) as a markdown table."""
    spread = json.loads(path.read_text())["models"]
    settings = sorted({s for record in spread.values() for s in record["numerics"]})
    rows = [
        "| name | shipped (seed 0) | other seeds | "
        + " | ".join(f"seed 0, {s}" for s in settings)
        + " | largest deviation | tolerance |",
        "| --- | --- | --- | " + " | ".join("---" for _ in settings) + " | --- | --- |",
    ]
    for name, record in spread.items():
        values = [*record["seeds"].values(), *record["numerics"].values()]
        largest = max((abs(v - record["shipped"]) for v in values), default=float("nan"))
        seeds = ", ".join(f"{v:.2f}" for v in record["seeds"].values())
        numerics = " | ".join(f"{record['numerics'][s]:.2f}" if s in record["numerics"] else "" for s in settings)
        rows.append(
            f"| `{name}` | {record['shipped']:.2f} | {seeds} | {numerics} | {largest:.2f} | "
            f"{pretrained.entry(name).tolerance:g} |"
        )
    return "\n".join(rows)


def write_readme(path: Path = MODELS_README) -> bool:
    """Replace the generated tables in models/README.md; return True if it changed."""
    changed = markers.write_section(path, "models", readme_table())
    return markers.write_section(path, "spread", spread_table()) or changed


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--list":
        for spec in pretrained.REGISTRY.values():
            print(f"{spec.name}: {spec.kind} {spec.model_config} {spec.train_config}")
            print(f"    test loss {spec.test_loss:.2f} nats (+/- {spec.tolerance}), sha256 {spec.sha256}")
        return 0
    if argv[0] == "--readme":
        print("models/README.md " + ("updated" if write_readme() else "already up to date"))
        return 0
    num_threads = None
    if argv[0] == "--threads":
        if len(argv) < 3 or not argv[1].isdigit() or int(argv[1]) < 1:
            print("usage: python tools/train_models.py --threads N NAME [NAME ...]")
            return 2
        num_threads, argv = int(argv[1]), argv[2:]
    specs = [pretrained.entry(name) for name in argv]  # unknown names fail before any training
    for spec in specs:
        result = make(spec.name, num_threads=num_threads)
        same = "matches" if result["sha256"] == spec.sha256 else "differs from"
        print(f"{spec.name}: wrote {result['path']}")
        print(f"    sha256    {result['sha256']} ({same} the registry)")
        print(
            f"    test loss {result['test_loss']:.3f} nats per test image "
            f"(registry {spec.test_loss:.3f} +/- {spec.tolerance})"
        )
        print(
            f"    trained in {result['seconds']:.1f} s (wall), {result['cpu_seconds']:.1f} s of process CPU time",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
