#!/usr/bin/env python3
"""How much faster does a ConvVAE train with channels-last weights? Both layouts, alternating, in one run.

    .venv/bin/python benchmarks/conv_layout.py                 # 5 repetitions of 100 steps, 1 thread
    .venv/bin/python benchmarks/conv_layout.py --reps 2 --steps 40 --no-write   # quick check

``vaelib.conv.ConvVAE`` stores its convolution weights channels-last (``torch.channels_last``). This
script trains notebook 10's model (16-32 channels, K = 50, Gaussian likelihood with sigma = 0.1, batch 128,
grey-level digits) for ``--steps`` steps with that layout and with the ordinary one
(``model.to(memory_format=torch.contiguous_format)``), the same seed and data, alternating which goes
first, and reports the median seconds per step of each and their ratio. The two models compute the same
function up to float32 rounding (tests/test_conv.py); after a few hundred steps of training their
rounding differences have grown into slightly different models, as on another CPU. Results go to
benchmarks/results/conv_layout.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

import vaelib
from vaelib.conv import ConvConfig, ConvVAE

CONFIG = ConvConfig(latent_dim=50, channels=(16, 32), likelihood="gaussian", decoder_sigma=0.1)
LAYOUTS = {"channels-last (ConvVAE's)": torch.channels_last, "ordinary (contiguous)": torch.contiguous_format}


def seconds_per_step(layout, pixels: torch.Tensor, steps: int, threads: int) -> float:
    model = ConvVAE(CONFIG, seed=0).to(memory_format=layout)
    config = vaelib.TrainConfig(num_epochs=1, batch_size=128, seed=0, num_threads=threads, progress=False)
    start = time.perf_counter()
    vaelib.fit(model, pixels[: steps * 128], config)
    return (time.perf_counter() - start) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each layout (default 5)")
    parser.add_argument("--steps", type=int, default=100, help="training steps per repetition (default 100)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as notebook 10)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    pixels = vaelib.load_mnist("train").pixels
    seconds_per_step(torch.channels_last, pixels, 5, args.threads)  # warm-up: first calls allocate and load
    times = {name: [] for name in LAYOUTS}
    for rep in range(args.reps):
        order = list(LAYOUTS) if rep % 2 == 0 else list(reversed(LAYOUTS))
        for name in order:
            times[name].append(seconds_per_step(LAYOUTS[name], pixels, args.steps, args.threads))
    summaries = {name: benchlib.summarize(values) for name, values in times.items()}
    fast, slow = (s["median"] for s in summaries.values())
    rows = [
        [name, f"{1000 * s['median']:.1f}", f"{1000 * s['min']:.1f} to {1000 * s['max']:.1f}"]
        for name, s in summaries.items()
    ]
    command = "python benchmarks/conv_layout.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    lines = [
        *benchlib.machine_header("ConvVAE: channels-last against ordinary weights", command, str(args.threads)),
        f"{args.reps} repetitions of {args.steps} training steps each (batch 128, {CONFIG.summary}), alternating.",
        "",
        *benchlib.markdown_table(["weights", "ms per step (median)", "range"], rows),
        "",
        f"Ratio ordinary / channels-last: **{slow / fast:.2f}**.",
        "",
    ]
    print("\n".join(lines))
    if not args.no_write:
        (benchlib.RESULTS_DIR / "conv_layout.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
