#!/usr/bin/env python3
"""Regenerate the shipped model weights in models/ from their recorded recipes (vaelib.pretrained).

    python tools/train_models.py vae-2d          # retrain one model, write models/vae-2d.safetensors
    python tools/train_models.py --list          # the registry: names, recipes, recorded test losses
    python tools/train_models.py --threads 1 ae-2d   # same recipe on 1 thread (same weights, slower)
    python tools/train_models.py --readme        # rewrite the table in models/README.md from the registry

For each name it trains from scratch with the exact configuration in ``vaelib.pretrained.REGISTRY``,
writes ``models/<name>.safetensors`` and prints its SHA-256, its test loss (nats per test image) and
the training time. Compare them with the registry entry (and models/README.md); on the machine that
made the shipped files the SHA-256 usually matches bit for bit, elsewhere the test loss agrees within
the entry's tolerance.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from vaelib import pretrained  # noqa: E402


START, END = "<!-- models:start -->", "<!-- models:end -->"


def readme_table() -> str:
    """The markdown table of every registry entry, as models/README.md shows it."""
    rows = [
        "| name | model | data | epochs | seconds | test loss (nats per image) | SHA-256 | command |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for spec in pretrained.REGISTRY.values():
        c, t = spec.model_config, spec.train_config
        sizes = "-".join(str(n) for n in (c.input_dim, *c.hidden_dims, c.latent_dim))
        pixels = "dynamically binarized" if t.binarize else "grey levels"
        data = f"MNIST train ({spec.train_subset or 60000:,} images), {pixels}"
        loss = "negative ELBO" if spec.kind == "VAE" else "reconstruction NLL"
        extra = f", beta = {t.beta:g}" if spec.kind == "VAE" and t.beta != 1 else ""
        rows.append(
            f"| `{spec.name}` | {spec.kind} {sizes}{extra} | {data} | {t.num_epochs} | {spec.seconds:.0f} "
            f"| {spec.test_loss:.2f} ({loss}; +/- {spec.tolerance:g} on regeneration) | `{spec.sha256}` | `{spec.command}` |"
        )
    return "\n".join(rows)


def write_readme(path: Path = ROOT / "models" / "README.md") -> bool:
    """Replace the table between the markers in models/README.md; return True if it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(START) + len(START), text.index(END)
    new = text[:start] + "\n" + readme_table() + "\n" + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


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
        name = spec.name
        result = pretrained.make(name, num_threads=num_threads)
        same = "matches" if result["sha256"] == spec.sha256 else "differs from"
        print(f"{name}: wrote {result['path']}")
        print(f"    sha256    {result['sha256']} ({same} the registry)")
        print(f"    test loss {result['test_loss']:.3f} nats per test image "
              f"(registry {spec.test_loss:.3f} +/- {spec.tolerance})")
        print(f"    trained in {result['seconds']:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
