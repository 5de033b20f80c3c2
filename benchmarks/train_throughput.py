#!/usr/bin/env python3
"""Training throughput of one VAE epoch, three ways, against the matrix-product floor of this machine.

    .venv/bin/python benchmarks/train_throughput.py              # 5 repetitions at 1 and 2 threads
    .venv/bin/python benchmarks/train_throughput.py --profile    # ... plus a torch.profiler table of fit
    .venv/bin/python benchmarks/train_throughput.py --reps 1 --examples 6000 --no-write   # quick check

One epoch of the 784-400-20 VAE (batch 128, Adam lr 1e-3, summed BCE + KL, all 60,000 MNIST training
images), timed three ways, alternating: (a) ``vaelib.fit``; (b) the conventional pattern of most
tutorials (per-item ``Dataset``, shuffling ``DataLoader``, sigmoid decoder, summed
``F.binary_cross_entropy``, default Adam); (c) the floor: the epoch's matrix-product FLOPs, counted by
``torch.utils.flop_counter.FlopCounterMode`` on real training steps, divided by the rate at which this
machine runs exactly those products. The test loss of every timed (a)/(b) run is checked afterwards,
untimed. Details: benchmarks/README.md. Results go to benchmarks/results/train_throughput.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

import vaelib

INPUT_DIM, HIDDEN_DIMS, LATENT_DIM = 784, (400,), 20
MODEL_CONFIG = vaelib.ModelConfig(input_dim=INPUT_DIM, hidden_dims=HIDDEN_DIMS, latent_dim=LATENT_DIM)
BATCH_SIZE, LR = 128, 1e-3
METHODS = ("a", "b", "c")
METHOD_NAMES = {
    "a": "(a) vaelib.fit",
    "b": "(b) conventional Dataset/DataLoader",
    "c": "(c) floor: matrix products only",
}


# ---------------------------------------------------------------- (c) the floor


def step_flops(batch: int, config: vaelib.ModelConfig = MODEL_CONFIG) -> int:
    """FLOPs of one real training step at ``batch`` examples, counted by torch's ``FlopCounterMode``.

    The step is ``vaelib.fit`` on one batch of ``batch`` random images (forward, loss, backward, Adam
    update), run under the counter. The counter counts only operators it has a formula for; in this step
    those are the matrix products: the forward ``addmm`` of every ``nn.Linear`` and, in the backward
    pass, the ``mm`` of its weight gradient and of its input gradient (autograd computes none for the
    first encoder layer, whose input is the data), each ``2·m·k·n`` (a multiply-add counts two).
    Activations, loss, bias gradients and the optimizer step are not counted. For 784-400-20 at batch
    128: 166,707,200 forward + 253,132,800 backward = 419,840,000, the same as the hand count this
    replaced (``2·b·in·out`` per layer for forward, weight gradient and input gradient, the last except
    for the first layer); 314,880,000 for the last batch of 96.
    """
    x = torch.rand(batch, config.input_dim, generator=torch.Generator().manual_seed(0))
    train = vaelib.TrainConfig(num_epochs=1, batch_size=batch, progress=False, num_threads=1)
    with FlopCounterMode(display=False) as counter:
        vaelib.fit(vaelib.VAE(config, seed=0), x, train)
    return counter.get_total_flops()


def epoch_flops(num_examples: int, batch_size: int = BATCH_SIZE) -> int:
    """:func:`step_flops` over one epoch: the full batches plus the last, partial one (60,000 = 468 x 128 + 96)."""
    full, rest = divmod(num_examples, batch_size)
    return full * step_flops(batch_size) + (step_flops(rest) if rest else 0)


def linear_layers(config: vaelib.ModelConfig = MODEL_CONFIG) -> list[tuple[int, int, bool]]:
    """``(in, out, needs input gradient)`` of the Linear layers of ``vaelib.VAE``, in call order.

    FlopCounterMode gives the shapes of the products it counts but not their transposes, so the floor
    takes its products from the model's layers; the tests check that they are, in order and shape,
    the products counted in a real step. Layers that read the data need no input gradient: the first
    encoder layer, or both heads when there is no hidden layer.
    """
    linears = [m for m in vaelib.VAE(config).modules() if isinstance(m, nn.Linear)]
    reads_data = 1 if config.hidden_dims else 2
    return [(m.in_features, m.out_features, i >= reads_data) for i, m in enumerate(linears)]


class MatmulWorkload:
    """The matrix products of one training step at one batch size, on preallocated tensors.

    The same calls, layouts and transposes as autograd makes for ``nn.Linear``: forward
    ``addmm(bias, x, W.t())``, then backward from the last layer, input gradient ``grad @ W`` and
    weight gradient ``grad.t() @ x``.
    """

    def __init__(self, layers: list[tuple[int, int, bool]], batch: int, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.items = [
            {
                "x": torch.rand(batch, n_in, generator=g),
                "w": torch.randn(n_out, n_in, generator=g) * 0.05,
                "bias": torch.randn(n_out, generator=g),
                "grad": torch.randn(batch, n_out, generator=g),
                "y": torch.empty(batch, n_out),
                "dw": torch.empty(n_out, n_in),
                "dx": torch.empty(batch, n_in) if input_grad else None,
            }
            for n_in, n_out, input_grad in layers
        ]

    def run(self) -> None:
        for t in self.items:
            torch.addmm(t["bias"], t["x"], t["w"].t(), out=t["y"])
        for t in reversed(self.items):
            if t["dx"] is not None:
                torch.mm(t["grad"], t["w"], out=t["dx"])
            torch.mm(t["grad"].t(), t["x"], out=t["dw"])


class Stopwatch:
    """Wall-clock and process CPU seconds of a ``with`` block (CPU time is less sensitive to other load)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def time_floor(num_examples: int, threads: int) -> Stopwatch:
    """Wall and CPU seconds to run every matrix product of one epoch of ``num_examples``."""
    full, rest = divmod(num_examples, BATCH_SIZE)
    layers = linear_layers()
    work_full = MatmulWorkload(layers, BATCH_SIZE)
    work_rest = MatmulWorkload(layers, rest) if rest else None
    with vaelib.training.torch_threads(threads), Stopwatch() as watch:
        for _ in range(full):
            work_full.run()
        if work_rest is not None:
            work_rest.run()
    return watch


# ---------------------------------------------------------------- (b) the conventional pattern


class ImageDataset(Dataset):
    """One image per index: what a map-style Dataset usually looks like."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


class ConventionalVAE(nn.Module):
    """784-400-20 VAE as tutorials write it: log-variance head, decoder ending in a sigmoid.

    ``head="log_sigma"`` makes the second encoder head output log sigma instead (logvar = 2 x the head),
    as vaelib's does: an untimed control that separates the effect of that choice from the loop's.
    """

    def __init__(self, head: str = "logvar"):
        super().__init__()
        if head not in ("logvar", "log_sigma"):
            raise ValueError(f"head must be 'logvar' or 'log_sigma', got {head!r}")
        self.head_scale = 1.0 if head == "logvar" else 2.0
        self.fc_hidden = nn.Linear(INPUT_DIM, HIDDEN_DIMS[0])
        self.fc_mu = nn.Linear(HIDDEN_DIMS[0], LATENT_DIM)
        self.fc_logvar = nn.Linear(HIDDEN_DIMS[0], LATENT_DIM)
        self.fc_dec_hidden = nn.Linear(LATENT_DIM, HIDDEN_DIMS[0])
        self.fc_out = nn.Linear(HIDDEN_DIMS[0], INPUT_DIM)

    def forward(self, x):
        h = F.relu(self.fc_hidden(x))
        mu, logvar = self.fc_mu(h), self.head_scale * self.fc_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        x_hat = torch.sigmoid(self.fc_out(F.relu(self.fc_dec_hidden(z))))
        return x_hat, mu, logvar


def conventional_loss(x_hat, x, mu, logvar):
    """Summed binary cross-entropy plus the closed-form KL, summed over the batch."""
    bce = F.binary_cross_entropy(x_hat, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kl


def conventional_train_epoch(model: ConventionalVAE, images: torch.Tensor, optimizer: torch.optim.Optimizer) -> float:
    """One epoch the conventional way; returns the mean training loss per image."""
    loader = DataLoader(ImageDataset(images), batch_size=BATCH_SIZE, shuffle=True)
    model.train()
    total = 0.0
    for x in loader:
        optimizer.zero_grad()
        x_hat, mu, logvar = model(x)
        loss = conventional_loss(x_hat, x, mu, logvar)
        loss.backward()
        total += loss.item()
        optimizer.step()
    return total / len(images)


@torch.no_grad()
def conventional_test_loss(model: ConventionalVAE, images: torch.Tensor) -> float:
    model.eval()
    total = 0.0
    for x in images.split(1000):
        x_hat, mu, logvar = model(x)
        total += conventional_loss(x_hat, x, mu, logvar).item()
    return total / len(images)


# ---------------------------------------------------------------- one timed run of each method


def run_vaelib(train_x, test_x, threads: int, seed: int, epochs: int = 1) -> tuple[Stopwatch, float]:
    model = vaelib.VAE(MODEL_CONFIG, seed=seed)
    config = vaelib.TrainConfig(
        num_epochs=epochs, batch_size=BATCH_SIZE, lr=LR, seed=seed, progress=False, num_threads=threads
    )
    with Stopwatch() as watch:
        vaelib.fit(model, train_x, config)
    with vaelib.training.torch_threads(threads):
        test_loss = vaelib.evaluate_loss(model, test_x, seed=seed)["loss"] if test_x is not None else float("nan")
    return watch, test_loss


def run_conventional(
    train_x, test_x, threads: int, seed: int, head: str = "logvar", epochs: int = 1
) -> tuple[Stopwatch, float]:
    torch.manual_seed(seed)
    model = ConventionalVAE(head)
    optimizer = torch.optim.Adam(model.parameters())  # default lr = 1e-3; one for all epochs, as in fit
    with vaelib.training.torch_threads(threads):
        with Stopwatch() as watch:
            for _ in range(epochs):
                conventional_train_epoch(model, train_x, optimizer)
        test_loss = conventional_test_loss(model, test_x) if test_x is not None else float("nan")
    return watch, test_loss


def run_seed(threads: int, rep: int) -> int:
    """The seed of repetition ``rep`` at ``threads`` threads: distinct for every run, so pooled losses are independent."""
    return 1000 * threads + rep


def measure(train_x, test_x, threads: int, reps: int, log=print) -> dict:
    """Alternate (a), (b), (c) ``reps`` times (rotating the order); return raw seconds and test losses."""
    n = train_x.shape[0]
    flops = epoch_flops(n)  # counted before the warm-up, so that nothing of the counter lingers in the timings
    warm = train_x[: min(n, 4096)]  # warm-up: allocator, MKL kernels, thread pool
    run_vaelib(warm, None, threads, 0)
    run_conventional(warm, None, threads, 0)
    time_floor(warm.shape[0], threads)
    seconds, cpu_seconds = {m: [] for m in METHODS}, {m: [] for m in METHODS}
    losses = {"a": [], "b": [], "b_log_sigma": []}
    for rep in range(reps):
        seed = run_seed(threads, rep)
        for method in METHODS[rep % 3 :] + METHODS[: rep % 3]:
            if method == "a":
                watch, loss = run_vaelib(train_x, test_x, threads, seed)
                losses["a"].append(loss)
            elif method == "b":
                watch, loss = run_conventional(train_x, test_x, threads, seed)
                losses["b"].append(loss)
            else:
                watch = time_floor(n, threads)
            seconds[method].append(watch.wall)
            cpu_seconds[method].append(watch.cpu)
            log(
                f"threads={threads} rep={rep + 1}/{reps} {METHOD_NAMES[method]}: {watch.wall:.2f} s wall, {watch.cpu:.2f} s CPU"
            )
        losses["b_log_sigma"].append(run_conventional(train_x, test_x, threads, seed, head="log_sigma")[1])  # untimed
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "losses": losses, "flops": flops, "examples": n}


def compare_longer(train_x, test_x, epochs: int, seeds: int, log=print) -> dict:
    """Test loss of (a) and (b) after ``epochs`` epochs, one run per seed (1 thread, untimed)."""
    losses = {"a": [], "b": []}
    for seed in range(100, 100 + seeds):  # distinct from the timed runs' seeds
        losses["a"].append(run_vaelib(train_x, test_x, 1, seed, epochs=epochs)[1])
        losses["b"].append(run_conventional(train_x, test_x, 1, seed, epochs=epochs)[1])
        log(f"{epochs} epochs, seed {seed}: (a) {losses['a'][-1]:.2f}, (b) {losses['b'][-1]:.2f} nats")
    return losses


# ---------------------------------------------------------------- profile of vaelib.fit


PROFILE_GROUPS = (  # (group, predicate on an op name); an op goes to the group of itself or its nearest ancestor
    ("matrix products (mm, addmm)", lambda name: name in ("aten::mm", "aten::addmm")),
    (
        "optimizer (Adam step, zero_grad)",
        lambda name: "Optimizer." in name or "_fused_adam" in name or "_foreach_" in name,
    ),
    ("input checks (isfinite, all)", lambda name: name in ("aten::isfinite", "aten::all", "aten::is_nonzero")),
    ("loss: BCE with logits", lambda name: "binary_cross_entropy" in name or "BinaryCrossEntropy" in name),
    ("data: randperm, index_select", lambda name: name in ("aten::index_select", "aten::randperm")),
    ("gradient accumulation (AccumulateGrad)", lambda name: "AccumulateGrad" in name),
)
OTHER_GROUP = "everything else (ReLU, KL, sampling, sums, autograd nodes)"


def group_of(event) -> str:
    """Profile group of a profiler event: the first group matching it or, failing that, an ancestor."""
    while event is not None:
        for group, matches in PROFILE_GROUPS:
            if matches(event.name):
                return group
        event = event.cpu_parent
    return OTHER_GROUP


def profile_fit(train_x, threads: int = 1) -> tuple[str, list[list[str]], float]:
    """Profile one epoch of vaelib.fit; return the op table, a grouped summary and the wall time."""
    from torch.profiler import ProfilerActivity, profile

    config = vaelib.TrainConfig(num_epochs=1, batch_size=BATCH_SIZE, progress=False, num_threads=threads)
    vaelib.fit(vaelib.VAE(MODEL_CONFIG, seed=1), train_x[:4096], config)  # warm-up
    model = vaelib.VAE(MODEL_CONFIG, seed=0)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        vaelib.fit(model, train_x, config)
        wall = time.perf_counter() - start
    groups: dict[str, float] = {}
    for event in prof.events():
        group = group_of(event)
        groups[group] = groups.get(group, 0.0) + event.self_cpu_time_total / 1e6
    rows = [[g, f"{s:.2f}", f"{100 * s / wall:.0f}%"] for g, s in sorted(groups.items(), key=lambda kv: -kv[1])]
    outside = wall - sum(groups.values())
    rows.append(
        ["outside aten ops (Python, autograd engine, profiler)", f"{outside:.2f}", f"{100 * outside / wall:.0f}%"]
    )
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), rows, wall


# ---------------------------------------------------------------- report


def loss_check(losses: dict, other: str = "b", other_name: str = "conventional") -> tuple[list[str], bool]:
    """Compare the test losses of (a) and ``other``: difference of means against its standard error."""
    a, b = losses["a"], losses[other]
    mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
    sd_a = statistics.stdev(a) if len(a) > 1 else float("nan")
    sd_b = statistics.stdev(b) if len(b) > 1 else float("nan")
    se = (sd_a**2 / len(a) + sd_b**2 / len(b)) ** 0.5
    diff = mean_a - mean_b
    ok = abs(diff) <= 3 * se if se == se else False
    return [
        f"- (a) vaelib.fit: {mean_a:.2f} ± {sd_a:.2f} nats (mean ± sd over {len(a)} runs)",
        f"- {other_name}: {mean_b:.2f} ± {sd_b:.2f} nats (mean ± sd over {len(b)} runs)",
        f"- difference (a) − {other_name}: {diff:+.2f} nats, standard error {se:.2f}: "
        + ("within seed noise (|difference| <= 3 standard errors)" if ok else "NOT within 3 standard errors"),
    ], ok


def report(results: dict[int, dict], command: str, profile=None, longer: tuple[int, dict] | None = None) -> str:
    threads = sorted(results)
    n, reps = results[threads[0]]["examples"], len(results[threads[0]]["seconds"]["a"])
    table, ratios, raw = [], [], []
    for t in threads:
        r = results[t]
        wall = {m: benchlib.summarize(r["seconds"][m]) for m in METHODS}
        med = {m: wall[m]["median"] for m in METHODS}
        cpu = {m: benchlib.summarize(r["cpu_seconds"][m])["median"] for m in METHODS}
        for m in METHODS:
            span = f"{wall[m]['min']:.2f} – {wall[m]['max']:.2f}"
            table.append([str(t), METHOD_NAMES[m], f"{med[m]:.2f}", span, f"{n / med[m]:,.0f}", f"{cpu[m]:.2f}"])
            raw.append(
                [
                    str(t),
                    METHOD_NAMES[m],
                    ", ".join(f"{s:.2f}" for s in r["seconds"][m]),
                    ", ".join(f"{s:.2f}" for s in r["cpu_seconds"][m]),
                ]
            )
        ab, ac, gflop = med["a"] / med["b"], med["a"] / med["c"], r["flops"] / 1e9
        target = lambda ok, t=t: ("met" if ok else "not met") if t == 1 else "–"
        ratios.append(
            [
                str(t),
                f"{ab:.2f}",
                target(ab <= 0.5),
                f"{ac:.2f}",
                target(ac <= 1.6),
                f"{cpu['a'] / cpu['b']:.2f}",
                f"{cpu['a'] / cpu['c']:.2f}",
                f"{gflop:.1f}",
                f"{gflop / med['c']:.1f}",
            ]
        )
    pooled = {k: [v for t in threads for v in results[t]["losses"][k]] for k in ("a", "b", "b_log_sigma")}
    title = "Training throughput: one epoch of the 784-400-20 VAE"
    lines = [
        *benchlib.machine_header(title, command, ", ".join(map(str, threads))),
        f"One epoch = {n:,} MNIST images, batch {BATCH_SIZE}, Adam lr {LR:g}, summed BCE + KL. Each method ran "
        f"{reps} times per thread count, alternating. Times are wall-clock seconds per epoch: median, and min – max "
        "over the repetitions; images/s = images per epoch / median seconds. a/b and a/c are ratios of medians "
        "(lower is better for vaelib; a/c = 1 would mean vaelib spends time on nothing but matrix products). "
        "CPU s is the process CPU time of the same runs (median): at 1 thread it is less sensitive than wall time "
        "to other processes sharing the machine; at 2 threads it includes the threads' spin-waiting.",
        "",
        *benchlib.markdown_table(
            ["threads", "method", "s/epoch (median)", "min – max", "images/s", "CPU s (median)"], table
        ),
        "",
        "## Ratios and targets",
        "",
        *benchlib.markdown_table(
            [
                "threads",
                "a/b",
                "target a/b <= 0.5",
                "a/c",
                "target a/c <= 1.6",
                "a/b (CPU s)",
                "a/c (CPU s)",
                "epoch GFLOP (matmul)",
                "matmul rate GFLOP/s",
            ],
            ratios,
        ),
        "",
        "The floor (c) counts the operations torch's FlopCounterMode finds in a real `vaelib.fit` step: its matrix "
        "products, 2·b·in·out per Linear layer for the forward product, the same for the weight gradient and for "
        "the input gradient (none for the first encoder layer, whose input is the data), summed over all batches "
        "including the last partial one; the rate is that count divided by the measured time of exactly those "
        "`addmm`/`mm` calls.",
        "",
        "## Same test loss?",
        "",
        "Test negative ELBO (nats per image, one sample, 10,000 test images) after the one timed epoch, each run "
        "with its own seed (1000 × threads + repetition index), pooled over thread counts:",
        "",
        *loss_check(pooled, "b", "(b) conventional")[0],
        "",
        "Control, untimed: the conventional loop with one change, its second encoder head outputs log sigma as "
        "vaelib's does (logvar = 2 × head) instead of log sigma² (same seeds):",
        "",
        *loss_check(pooled, "b_log_sigma", "(b′) conventional, log-sigma head")[0],
        "",
        "If (a) matches (b′) but not (b), the difference after one epoch comes from how the encoder's scale is "
        "parametrized (a modelling choice: the course uses log sigma throughout, see notebook 04), not from "
        "vaelib's training loop.",
    ]
    if longer is not None:
        lines += [
            "",
            f"After {longer[0]} epochs (untimed, 1 thread, one run per seed, seeds 100, 101, ...), "
            "the quantity a learner cares about:",
            "",
            *loss_check(longer[1], "b", "(b) conventional")[0],
        ]
    lines += [
        "",
        "## Raw seconds",
        "",
        *benchlib.markdown_table(["threads", "method", "wall s per repetition", "CPU s per repetition"], raw),
    ]
    if profile is not None:
        ops, groups, wall = profile
        lines += [
            "",
            f"## Profile of vaelib.fit, 1 thread, one epoch ({wall:.2f} s wall under the profiler)",
            "",
            "Self CPU time of the aten ops, grouped (the profiler adds its own overhead to every op):",
            "",
            *benchlib.markdown_table(["group", "self CPU s", "share of wall"], groups),
            "",
            "Top ops by self CPU time:",
            "",
            "```",
            ops.rstrip(),
            "```",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each method per thread count")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts to measure")
    parser.add_argument("--examples", type=int, default=None, help="train on a subset (quick checks)")
    parser.add_argument("--profile", action="store_true", help="also profile vaelib.fit at 1 thread")
    parser.add_argument(
        "--longer",
        type=int,
        nargs=2,
        metavar=("EPOCHS", "SEEDS"),
        default=None,
        help="also compare the test loss of (a) and (b) after EPOCHS epochs, SEEDS runs each",
    )
    parser.add_argument("--out", type=Path, default=benchlib.RESULTS_DIR / "train_throughput.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    if args.reps < 1 or any(t < 1 for t in args.threads):
        parser.error("--reps and --threads must be positive")
    if args.longer is not None and (args.longer[0] < 1 or args.longer[1] < 2):
        parser.error("--longer needs EPOCHS >= 1 and SEEDS >= 2 (a spread needs two runs)")
    train_x = vaelib.load_mnist("train", subset=args.examples).images
    test_x = vaelib.load_mnist("test").images
    command = " ".join(["python benchmarks/train_throughput.py", *(sys.argv[1:] if argv is None else argv)])
    results = {t: measure(train_x, test_x, t, args.reps) for t in args.threads}
    profile = profile_fit(train_x, threads=1) if args.profile else None
    longer = (args.longer[0], compare_longer(train_x, test_x, *args.longer)) if args.longer else None
    text = report(results, command, profile, longer)
    print(text)
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
