#!/usr/bin/env python3
"""Regenerate the shipped model weights in models/ from their recorded recipes (vaelib.pretrained).

    python tools/train_models.py vae-2d          # retrain one model, write models/vae-2d.safetensors
    python tools/train_models.py --list          # the registry: names, recipes, recorded test losses

For each name it trains from scratch with the exact configuration in ``vaelib.pretrained.REGISTRY``,
writes ``models/<name>.safetensors`` and prints its SHA-256, its test loss (nats per test image) and
the training time. Compare them with the registry entry (and models/README.md); on the machine that
made the shipped files the SHA-256 usually matches bit for bit, elsewhere the test loss agrees within
the entry's tolerance.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from vaelib import pretrained  # noqa: E402


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--list":
        for spec in pretrained.REGISTRY.values():
            print(f"{spec.name}: {spec.kind} {spec.model_config} {spec.train_config}")
            print(f"    test loss {spec.test_loss:.2f} nats (+/- {spec.tolerance}), sha256 {spec.sha256}")
        return 0
    for name in argv:
        spec = pretrained.entry(name)  # unknown names fail before any training
        result = pretrained.make(name)
        same = "matches" if result["sha256"] == spec.sha256 else "differs from"
        print(f"{name}: wrote {result['path']}")
        print(f"    sha256    {result['sha256']} ({same} the registry)")
        print(f"    test loss {result['test_loss']:.3f} nats per test image (registry {spec.test_loss:.3f} +/- {spec.tolerance})")
        print(f"    trained in {result['seconds']:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
