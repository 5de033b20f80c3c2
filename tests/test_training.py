"""vaelib.training: fit lowers the test loss, is deterministic, honours threads and validates input."""

import dataclasses

import pytest
import torch

import vaelib
from vaelib import VAE, Autoencoder, ModelConfig, TrainConfig, evaluate_loss, fit, load_mnist
from vaelib.training import torch_threads


@pytest.fixture(scope="module")
def small_mnist():
    train = load_mnist("train", subset=3000, seed=0).images
    test = load_mnist("test", subset=1000, seed=0).images
    return train, test


SMALL = ModelConfig(hidden_dims=(128,), latent_dim=8)
QUICK = TrainConfig(num_epochs=3, batch_size=100, seed=0, progress=False)


def test_short_fit_lowers_vae_test_loss_by_a_margin(small_mnist):
    train, test = small_mnist
    model = VAE(SMALL, seed=0)
    before = evaluate_loss(model, test)["loss"]
    history = fit(model, train, QUICK, test)
    after = history.records[-1].test_loss
    # an untrained decoder sits near 784 log 2 = 543 nats; three epochs on 3k images reach < 250
    assert before > 500 and after < 250
    assert history.column("epoch") == [1, 2, 3]
    assert history.records[-1].train_loss < history.records[0].train_loss
    r = history.records[-1]
    assert r.test_loss == pytest.approx(r.test_reconstruction + r.test_kl, rel=1e-6)
    assert r.train_kl > 0 and r.seconds > 0


def test_short_fit_lowers_autoencoder_loss(small_mnist):
    train, test = small_mnist
    model = Autoencoder(SMALL, seed=0)
    before = evaluate_loss(model, test)["loss"]
    history = fit(model, train, QUICK, test)
    assert history.records[-1].test_loss < 0.5 * before
    assert history.records[-1].test_kl == 0


def test_same_seed_same_numbers_and_other_seed_differs(small_mnist):
    train, test = small_mnist
    config = dataclasses.replace(QUICK, num_epochs=1)
    runs = [fit(VAE(SMALL, seed=0), train[:1000], dataclasses.replace(config, seed=s), test[:200]) for s in (0, 0, 1)]
    assert runs[0].column("test_loss") == runs[1].column("test_loss")
    assert runs[0].column("train_loss") == runs[1].column("train_loss")
    assert runs[0].column("train_loss") != runs[2].column("train_loss")


def test_binarized_training_sees_only_zeros_and_ones(small_mnist):
    train, _ = small_mnist
    history = fit(VAE(SMALL), train[:500], dataclasses.replace(QUICK, num_epochs=1, binarize=True))
    grey = fit(VAE(SMALL), train[:500], dataclasses.replace(QUICK, num_epochs=1))
    assert history.records[0].train_loss != grey.records[0].train_loss


def test_num_threads_is_applied_and_restored(small_mnist, monkeypatch):
    train, _ = small_mnist
    seen = []
    original = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (seen.append(n), original(n)))
    before = torch.get_num_threads()
    fit(VAE(SMALL), train[:200], dataclasses.replace(QUICK, num_epochs=1, num_threads=1))
    assert seen[0] == 1 and seen[-1] == before and torch.get_num_threads() == before


@pytest.mark.parametrize(
    ("omp", "asked", "used"), [(None, 2, 2), ("1", 2, 1), ("4", 2, 2), ("", 3, 3), ("two", 3, 3), ("0", 3, 3)]
)
def test_torch_threads_never_exceeds_omp_num_threads(omp, asked, used, monkeypatch):
    """OMP_NUM_THREADS (Binder, the parallel test run) caps a recipe's thread count; anything but a
    positive integer there is no cap."""
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    seen = []
    original = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (seen.append(n), original(n)))
    with torch_threads(asked):
        pass
    assert seen[0] == used


def test_torch_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "kwargs",
    [{"num_epochs": 0}, {"batch_size": -1}, {"lr": 0}, {"beta": -0.5}, {"num_threads": 0}, {"beta": float("nan")}],
)
def test_bad_train_config_is_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        TrainConfig(**kwargs)


def test_fit_refuses_bad_data_and_models():
    with pytest.raises(ValueError, match="last dimension 784"):
        fit(VAE(), torch.rand(10, 100), QUICK)
    with pytest.raises(ValueError, match="NaN"):
        fit(VAE(), torch.full((10, 784), float("nan")), QUICK)
    with pytest.raises(TypeError, match="Autoencoder or VAE"):
        fit(torch.nn.Linear(784, 784), torch.rand(10, 784), QUICK)


# --- bad input that used to slip through ------------------------------------------------------------


def _tiny():
    return vaelib.VAE(vaelib.ModelConfig(input_dim=12, hidden_dims=(8,), latent_dim=2), seed=0)


def test_grey_levels_0_to_255_are_refused_with_the_fix():
    x = torch.randint(0, 256, (32, 12)).float()  # the classic forgotten / 255
    with pytest.raises(ValueError, match="divide by 255"):
        vaelib.fit(_tiny(), x, TrainConfig(num_epochs=1, progress=False))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vaelib.bernoulli_nll(torch.zeros(4, 12), x[:4])


def test_negative_pixels_are_refused():
    x = torch.rand(32, 12, generator=torch.Generator().manual_seed(0)) - 0.5  # e.g. standardized images
    with pytest.raises(ValueError, match=r"\[0, 1\], got values from -0\.4"):
        vaelib.fit(_tiny(), x, TrainConfig(num_epochs=1, progress=False))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vaelib.fit(_tiny(), x.abs(), TrainConfig(num_epochs=1, progress=False), test_x=x)


@pytest.mark.parametrize("lr", [float("inf"), float("nan"), -1e-3, 0, True])
def test_a_learning_rate_must_be_finite_and_positive(lr):
    with pytest.raises(ValueError, match="finite positive"):
        TrainConfig(lr=lr)


def test_a_float64_batch_gets_a_vaelib_message():
    model = _tiny()
    with pytest.raises(TypeError, match=r"x is torch.float64 but the model's weights are torch.float32.*x.float\(\)"):
        model.encode(torch.rand(3, 12, dtype=torch.float64))
    with pytest.raises(TypeError, match="z is torch.float64"):
        model.decode(torch.zeros(3, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="float64"):
        vaelib.fit(model, torch.rand(16, 12, dtype=torch.float64), TrainConfig(num_epochs=1, progress=False))


def test_a_diverging_run_says_where_and_what_to_try():
    model = _tiny()
    with torch.no_grad():
        model.decoder[0].weight[0, 0] = float("nan")  # what an exploding step leaves behind
    x = torch.rand(64, 12, generator=torch.Generator().manual_seed(0))
    with pytest.raises(
        FloatingPointError,
        match=r"diverged in epoch 1, step 1: the weights became NaN.*\(lr = 0.001\): try lr = 0.0001",
    ):
        vaelib.fit(model, x, TrainConfig(num_epochs=1, batch_size=16, progress=False))
    big = _tiny()
    with pytest.raises(FloatingPointError, match="diverged in epoch"):
        vaelib.fit(big, x, TrainConfig(num_epochs=50, batch_size=16, lr=1e12, progress=False))


def test_history_keeps_every_batch_loss_and_after_epoch_sees_each_epoch():
    x = torch.rand(100, 12, generator=torch.Generator().manual_seed(0))
    seen = []
    history = vaelib.fit(
        _tiny(),
        x,
        TrainConfig(num_epochs=3, batch_size=32, progress=False),
        after_epoch=lambda model, record: seen.append((record.epoch, model.training)),
    )
    assert len(history.step_losses) == 3 * 4  # 100 examples in batches of 32: 4 steps per epoch
    assert seen == [(1, False), (2, False), (3, False)]  # called in eval mode, once per epoch
    # the epoch's training loss is the example-weighted mean of its batch losses (the last batch has 4)
    first = history.step_losses[:4]
    assert history.records[0].train_loss == pytest.approx((32 * sum(first[:3]) + 4 * first[3]) / 100, rel=1e-5)
