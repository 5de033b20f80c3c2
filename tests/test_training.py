"""vaelib.training: fit lowers the test loss, is deterministic, honours threads and validates input."""

import dataclasses

import pytest
import torch

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


def test_torch_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with torch_threads(1):
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
