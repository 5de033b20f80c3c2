"""Correctness of the benchmark scripts' helpers (no timing is asserted anywhere).

The FLOP count of the floor (benchmarks/train_throughput.py), which torch's FlopCounterMode makes on
a real training step, is checked against the count written out per layer, and the floor's products
against the ones that step performs; the parsing and table helpers against hand-made inputs.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import vaelib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import benchlib
import course_runtime
import train_throughput as tt

# ---------------------------------------------------------------- FLOP count and the floor's products


def formula_flops(input_dim: int, hidden_dims: tuple[int, ...], latent_dim: int, batch: int) -> int:
    """Matrix-product FLOPs of one step, per Linear layer ``in -> out``: 2·b·in·out for the forward
    product, the same for the weight gradient and for the input gradient, except for the layers whose
    input is the data (the first encoder layer, or both heads without a hidden layer)."""
    encoder = [input_dim, *hidden_dims]
    decoder = [latent_dim, *hidden_dims[::-1], input_dim]
    body = list(zip(encoder[:-1], encoder[1:]))
    heads = [(encoder[-1], latent_dim)] * 2
    layers = body + heads + list(zip(decoder[:-1], decoder[1:]))
    read_data = body[:1] or heads
    return sum(3 * 2 * batch * i * o for i, o in layers) - sum(2 * batch * i * o for i, o in read_data)


def counted_products(step) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    """The matrix products FlopCounterMode counts while ``step()`` runs: (op, shape of a, shape of b), in order."""
    seen = []

    def record(op, first):  # a flop formula receives the shapes of the op's arguments
        def formula(*shapes, out_shape=None, **kwargs):
            a, b = shapes[first : first + 2]
            seen.append((op, tuple(a), tuple(b)))
            return 0

        return formula

    mapping = {torch.ops.aten.addmm: record("addmm", 1), torch.ops.aten.mm: record("mm", 0)}
    with FlopCounterMode(display=False, custom_mapping=mapping):
        step()
    return seen


def test_the_course_vae_step_counts_419_840_000_flops():
    # in*out over the Linear layers: 784*400 + 2*(400*20) + 20*400 + 400*784 = 651,200; without the first
    # layer 337,600. Per example 2*651,200 (forward) + 2*651,200 (weight grads) + 2*337,600 (input grads).
    per_example = 2 * 651_200 + 2 * 651_200 + 2 * 337_600
    assert per_example * 128 == 419_840_000 == formula_flops(784, (400,), 20, 128)
    assert tt.step_flops(128) == 419_840_000
    assert tt.step_flops(96) == 96 * per_example
    assert tt.epoch_flops(60_000) == 60_000 * per_example == 196_800_000_000  # 468 batches of 128 + one of 96
    assert tt.epoch_flops(256) == 2 * 419_840_000


@pytest.mark.parametrize("hidden_dims, batch", [((5,), 3), ((5, 4), 4), ((), 2), ((5,), 1)])
def test_flop_counter_agrees_with_the_per_layer_formula(hidden_dims, batch):
    config = vaelib.ModelConfig(input_dim=6, hidden_dims=hidden_dims, latent_dim=2)
    assert tt.step_flops(batch, config) == formula_flops(6, hidden_dims, 2, batch)
    if hidden_dims == (5,):  # 6*5 + 5*2 + 5*2 + 2*5 + 5*6 = 90, without the first layer 60: 2*(90+90+60) = 480
        assert tt.step_flops(batch, config) == 480 * batch


TINY = {dims: vaelib.ModelConfig(input_dim=6, hidden_dims=dims, latent_dim=2) for dims in [(5, 4), ()]}


@pytest.mark.parametrize(
    "config, batch", [(tt.MODEL_CONFIG, 128), (tt.MODEL_CONFIG, 96), (TINY[5, 4], 3), (TINY[()], 2)]
)
def test_the_floor_performs_exactly_the_products_of_a_real_step(config, batch):
    x = torch.rand(batch, config.input_dim)
    train = vaelib.TrainConfig(num_epochs=1, batch_size=batch, progress=False)
    step = counted_products(lambda: vaelib.fit(vaelib.VAE(config), x, train))
    work = tt.MatmulWorkload(tt.linear_layers(config), batch)
    assert counted_products(work.run) == step  # same ops, same shapes, same order
    with FlopCounterMode(display=False) as counter:
        work.run()
    assert counter.get_total_flops() == tt.step_flops(batch, config)


def test_the_conventional_step_performs_the_same_products():
    torch.manual_seed(0)
    model, x = tt.ConventionalVAE(), torch.rand(128, tt.INPUT_DIM)

    def step():
        x_hat, mu, logvar = model(x)
        tt.conventional_loss(x_hat, x, mu, logvar).backward()

    work = tt.MatmulWorkload(tt.linear_layers(), 128)
    assert counted_products(step) == counted_products(work.run)


def test_conventional_loss_is_the_same_objective_as_vaelib():
    g = torch.Generator().manual_seed(0)
    logits, x = torch.randn(4, 6, generator=g), torch.rand(4, 6, generator=g)
    mu, log_sigma = torch.randn(4, 2, generator=g), 0.3 * torch.randn(4, 2, generator=g)
    summed = tt.conventional_loss(torch.sigmoid(logits), x, mu, 2 * log_sigma)  # log-variance = 2 log sigma
    per_example = vaelib.negative_elbo(logits, x, mu, log_sigma).total
    assert torch.allclose(summed, 4 * per_example, rtol=1e-5)


def test_log_sigma_control_differs_from_the_conventional_model_only_in_the_head_scale():
    torch.manual_seed(0)
    conventional = tt.ConventionalVAE()
    control = tt.ConventionalVAE(head="log_sigma")
    control.load_state_dict(conventional.state_dict())
    x = torch.rand(5, tt.INPUT_DIM)
    h = torch.relu(conventional.fc_hidden(x))
    torch.manual_seed(1)
    _, mu, logvar = conventional(x)
    torch.manual_seed(1)
    _, mu_control, logvar_control = control(x)
    assert torch.equal(mu, mu_control)
    assert torch.allclose(logvar, conventional.fc_logvar(h))
    assert torch.allclose(logvar_control, 2 * conventional.fc_logvar(h))  # the head is log sigma
    with pytest.raises(ValueError, match="head"):
        tt.ConventionalVAE(head="sigma")


# ---------------------------------------------------------------- helpers


def test_cpu_model_parsing():
    text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 17\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"
    assert benchlib.cpu_model(text) == "AMD EPYC 7B13"
    assert benchlib.cpu_model("processor : 0\nmodel : 17\n") == "unknown"
    assert benchlib.cpu_model("") == "unknown"


def test_summarize_against_statistics():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    s = benchlib.summarize(values)
    assert (s["median"], s["min"], s["max"], s["q1"], s["q3"]) == (3.0, 1.0, 5.0, 2.0, 4.0)
    assert benchlib.summarize([7.0]) == {"median": 7.0, "min": 7.0, "max": 7.0, "q1": 7.0, "q3": 7.0}
    assert benchlib.summarize([1.0, 2.0])["median"] == statistics.median([1.0, 2.0])
    with pytest.raises(ValueError):
        benchlib.summarize([])


def test_markdown_table():
    assert benchlib.markdown_table(["a", "b"], [["1", "2"]]) == ["| a | b |", "| --- | --- |", "| 1 | 2 |"]
    with pytest.raises(ValueError, match="cells"):
        benchlib.markdown_table(["a", "b"], [["1"]])


def test_replace_section_appends_then_replaces_only_its_own_section():
    text = benchlib.replace_section("# Title\n", "mode-local", "old local")
    text = benchlib.replace_section(text, "mode-binder", "binder table")
    text = benchlib.replace_section(text, "mode-local", "new local")
    assert text.startswith("# Title\n\n<!-- mode-local:start -->\nnew local\n<!-- mode-local:end -->")
    assert "old local" not in text and text.count("binder table") == 1
    with pytest.raises(ValueError, match="well-formed"):
        benchlib.replace_section("<!-- x:end --> <!-- x:start -->", "x", "body")


def test_select_notebooks(tmp_path):
    for name in [
        "notebooks/00-start-here.ipynb",
        "notebooks/03-the-elbo.ipynb",
        "notebooks/solutions/00-solutions.ipynb",
        "notebooks/solutions/03-solutions.ipynb",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    paths = course_runtime.find_notebooks(tmp_path)
    rel = lambda ps: [p.relative_to(tmp_path).as_posix() for p in ps]
    assert rel(paths) == [
        "notebooks/00-start-here.ipynb",
        "notebooks/03-the-elbo.ipynb",
        "notebooks/solutions/00-solutions.ipynb",
        "notebooks/solutions/03-solutions.ipynb",
    ]
    assert rel(course_runtime.select_notebooks(paths, ["00"], tmp_path)) == [
        "notebooks/00-start-here.ipynb",
        "notebooks/solutions/00-solutions.ipynb",
    ]
    assert rel(course_runtime.select_notebooks(paths, ["solutions/*"], tmp_path)) == [
        "notebooks/solutions/00-solutions.ipynb",
        "notebooks/solutions/03-solutions.ipynb",
    ]
    assert rel(course_runtime.select_notebooks(paths, ["elbo", "03-sol"], tmp_path)) == [
        "notebooks/03-the-elbo.ipynb",
        "notebooks/solutions/03-solutions.ipynb",
    ]
    assert course_runtime.select_notebooks(paths, None, tmp_path) == paths
    assert course_runtime.select_notebooks(paths, ["99"], tmp_path) == []


def test_parse_vm_hwm():
    status = "Name:\tpython\nVmPeak:\t 2000000 kB\nVmHWM:\t  987654 kB\nVmRSS:\t  500000 kB\n"
    assert course_runtime.parse_vm_hwm_kib(status) == 987654
    assert course_runtime.parse_vm_hwm_kib("Name:\tkthreadd\n") is None


def test_profile_groups_follow_the_nearest_matching_ancestor():
    event = lambda name, parent=None: SimpleNamespace(name=name, cpu_parent=parent)
    isfinite = event("aten::isfinite")
    assert tt.group_of(event("aten::abs", isfinite)) == tt.group_of(isfinite) == "input checks (isfinite, all)"
    backward = event("autograd::engine::evaluate_function: AddmmBackward0")
    assert tt.group_of(event("aten::mm", backward)).startswith("matrix products")
    step = event("Optimizer.step#Adam.step")
    assert tt.group_of(event("aten::copy_", event("aten::_foreach_add_", step))).startswith("optimizer")
    assert tt.group_of(event("aten::relu")) == tt.OTHER_GROUP


def test_loss_check_flags_a_difference_beyond_three_standard_errors():
    lines, ok = tt.loss_check({"a": [100.0, 101.0, 99.0], "b": [100.5, 99.5, 100.0]})
    assert ok and len(lines) == 3
    _, ok = tt.loss_check({"a": [100.0, 101.0, 99.0], "b": [110.0, 111.0, 109.0]})
    assert not ok


def test_every_timed_run_has_its_own_seed():
    """Losses are pooled over thread counts, so no two runs may repeat a seed (that would fake precision)."""
    seeds = [tt.run_seed(threads, rep) for threads in (1, 2, 4) for rep in range(50)]
    assert len(set(seeds)) == len(seeds)


def test_report_computes_ratios_of_medians_and_adds_the_longer_comparison():
    seconds = {"a": [4.0, 4.2, 9.0], "b": [8.0, 8.4, 8.2], "c": [2.0, 2.1, 2.2]}
    losses = {"a": [128.0, 129.0, 128.5], "b": [127.0, 127.5, 127.2], "b_log_sigma": [128.2, 128.9, 128.4]}
    results = {
        1: {"seconds": seconds, "cpu_seconds": seconds, "losses": losses, "flops": 196_800_000_000, "examples": 60_000}
    }
    text = tt.report(
        results, "python benchmarks/train_throughput.py", longer=(10, {"a": [105.6, 105.4], "b": [105.5, 105.5]})
    )
    # medians: a 4.2, b 8.2, c 2.1 -> a/b 0.51 (not met), a/c 2.00 (not met)
    assert "| 1 | 0.51 | not met | 2.00 | not met |" in text
    assert "(b′) conventional, log-sigma head" in text
    assert "After 10 epochs" in text
    assert "After 10 epochs" not in tt.report(results, "python benchmarks/train_throughput.py")
