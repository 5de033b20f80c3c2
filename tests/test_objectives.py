"""vaelib.objectives and their options in fit: KL warm-up, free bits, the IWAE bound, the learning-rate
schedule; checked against exact values (a linear-Gaussian model with known log p(x)) and torch.distributions."""

import math
from types import SimpleNamespace

import pytest
import torch
from torch.distributions import Normal

import vaelib
from vaelib import objectives
from vaelib.conditional import ConditionalConfig, ConditionalVAE
from vaelib.linear_gaussian import LinearGaussian
from vaelib.training import TrainConfig


def test_kl_warmup_rises_linearly_then_stays():
    assert [objectives.kl_weight(s, 2.0, 4) for s in (0, 1, 2, 4, 100)] == [0.0, 0.5, 1.0, 2.0, 2.0]
    assert objectives.kl_weight(0, 1.0, 0) == 1.0  # no warm-up
    with pytest.raises(ValueError):
        objectives.kl_weight(-1, 1.0, 4)


def test_free_bits_clamps_each_dimensions_batch_mean_kl():
    g = torch.Generator().manual_seed(0)
    mu, log_sigma = torch.randn(64, 5, generator=g), 0.3 * torch.randn(64, 5, generator=g)
    mu[:, 0], log_sigma[:, 0] = 0.01, 0.0  # dimension 0 is almost the prior: KL near 0
    per_dimension = torch.distributions.kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).mean(0)
    torch.testing.assert_close(objectives.free_bits_kl(mu, log_sigma, 0.0), per_dimension.sum())
    clamped = objectives.free_bits_kl(mu, log_sigma, 0.5)
    torch.testing.assert_close(clamped, torch.maximum(per_dimension, torch.tensor(0.5)).sum())
    # no gradient pushes a dimension below lambda towards the prior
    mu.requires_grad_(True)
    objectives.free_bits_kl(mu, log_sigma, 0.5).backward()
    assert mu.grad[:, 0].abs().max() == 0 and mu.grad[:, 1:].abs().max() > 0
    with pytest.raises(ValueError):
        objectives.free_bits_kl(mu, log_sigma, -0.1)


def _linear_gaussian_vae(model: LinearGaussian, q_shift: float = 0.0):
    """A VAE-shaped view of a linear-Gaussian model: its exact posterior (shifted by ``q_shift``) as the encoder."""

    def encode(x):
        mean, cov = model.posterior(x)
        return mean + q_shift, 0.5 * torch.log(torch.diagonal(cov)).expand_as(mean)

    return SimpleNamespace(
        config=SimpleNamespace(latent_dim=model.latent_dim),
        encode=encode,
        decoder=lambda z: z @ model.weight.T + model.bias,
        reconstruction_nll=lambda mean, x: -Normal(mean, model.noise_std).log_prob(x).sum(-1),
    )


def test_iwae_k1_is_the_one_sample_elbo_with_the_sampled_kl():
    g = torch.Generator().manual_seed(0)
    vae = vaelib.VAE(vaelib.ModelConfig(input_dim=12, hidden_dims=(8,), latent_dim=3), seed=0)
    x = torch.rand(6, 12, generator=g).round()
    terms = objectives.iwae_terms(vae, x, 1, torch.Generator().manual_seed(1))
    eps = torch.randn(1, 6, 3, generator=torch.Generator().manual_seed(1))
    mu, log_sigma = vae.encode(x)
    z = mu + log_sigma.exp() * eps[0]
    log_px = torch.distributions.Bernoulli(logits=vae.decoder(z)).log_prob(x).sum(-1)
    log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_qz = Normal(mu, log_sigma.exp()).log_prob(z).sum(-1)
    torch.testing.assert_close(terms.total, -(log_px + log_pz - log_qz).mean())
    torch.testing.assert_close(terms.reconstruction, -log_px.mean())
    torch.testing.assert_close(terms.kl, (log_qz - log_pz).mean())


def test_iwae_bound_rises_with_k_towards_the_exact_log_evidence():
    # orthogonal columns: the exact posterior is a diagonal Gaussian, as the encoder's q is
    model = LinearGaussian(torch.tensor([[2.0, 0.0], [0.0, 1.5], [0.0, 0.0]]), torch.tensor([0.2, -0.1, 0.4]), 0.7)
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2
    exact = model.log_evidence(x).mean().item()
    vae = _linear_gaussian_vae(model, q_shift=0.3)  # an imperfect encoder: the ELBO is loose
    gap = {
        k: exact + objectives.iwae_terms(vae, x, k, torch.Generator().manual_seed(k)).total.item()
        for k in (1, 10, 100, 5000)
    }
    assert gap[1] > 0.5 > gap[10] > abs(gap[5000])  # log p(x) - L_k closes as k grows ...
    assert abs(gap[5000]) < 0.02 and all(g > -0.02 for g in gap.values())  # ... and L_k never overshoots beyond noise
    exact_q = _linear_gaussian_vae(model)  # with the true posterior every weight is p(x): L_k = log p(x) for any k
    assert -objectives.iwae_terms(exact_q, x, 3, torch.Generator().manual_seed(0)).total.item() == pytest.approx(
        exact, abs=1e-9
    )


def test_learning_rate_schedule():
    assert objectives.lr_factor(0, 100, "constant", 0) == 1.0
    assert [objectives.lr_factor(s, 100, "constant", 4) for s in (0, 1, 3, 4)] == [0.25, 0.5, 1.0, 1.0]
    assert objectives.lr_factor(4, 104, "cosine", 4) == 1.0 and objectives.lr_factor(
        54, 104, "cosine", 4
    ) == pytest.approx(0.5)
    assert objectives.lr_factor(104, 104, "cosine", 4) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        objectives.lr_factor(5, 10, "step", 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kl_warmup_steps": -1},
        {"free_bits": -0.5},
        {"free_bits": math.inf},
        {"iwae_samples": 0},
        {"iwae_samples": 5, "free_bits": 0.5},
        {"iwae_samples": 5, "elbo_samples": 5},
        {"elbo_samples": 0},
        {"lr_schedule": "step"},
        {"lr_warmup_steps": 1.5},
    ],
)
def test_train_config_refuses_bad_objective_settings(kwargs):
    with pytest.raises((ValueError, TypeError)):
        TrainConfig(**kwargs)


def _fit(**options):
    x = vaelib.load_mnist("test").pixels[:512]
    vae = vaelib.VAE(vaelib.ModelConfig(hidden_dims=(32,), latent_dim=4), seed=0)
    config = TrainConfig(num_epochs=2, batch_size=64, progress=False, binarize=True, **options)
    return vae, vaelib.fit(vae, x, config)


def test_fit_with_each_objective_option():
    _, plain = _fit()
    _, warm = _fit(kl_warmup_steps=16)
    assert warm.step_losses[0] < plain.step_losses[0]  # beta = 0 on the first step: no KL charged
    assert warm.step_losses[0] == pytest.approx(plain.step_losses[0] - _fit_first_kl(), rel=1e-4)
    _, free = _fit(free_bits=0.5)
    assert all(r.train_kl >= 4 * 0.5 - 1e-6 for r in free.records)  # 4 dimensions, each charged at least 0.5
    _, iwae = _fit(iwae_samples=5)
    assert all(math.isfinite(v) for v in iwae.step_losses) and iwae.step_losses[-1] < iwae.step_losses[0]
    _, averaged = _fit(elbo_samples=5)
    assert all(math.isfinite(v) for v in averaged.step_losses) and averaged.step_losses != plain.step_losses
    _, cosine = _fit(lr_schedule="cosine", lr_warmup_steps=4)
    assert cosine.step_losses != plain.step_losses


def _fit_first_kl() -> float:
    """The KL term of the first batch of _fit's run, which the warm-up does not charge."""
    x = vaelib.load_mnist("test").pixels[:512]
    vae = vaelib.VAE(vaelib.ModelConfig(hidden_dims=(32,), latent_dim=4), seed=0)
    g = torch.Generator().manual_seed(0)
    rows = torch.randperm(512, generator=g)[:64]
    batch = vaelib.binarize(x[rows] / 255, g)
    logits, mu, log_sigma = vae(batch, g)
    return vaelib.negative_elbo(logits, batch, mu, log_sigma).kl.item()


def test_k_sample_elbo_averages_one_sample_elbos_with_the_same_noise():
    """multi_sample_terms(k) is the mean of k one-sample negative ELBOs (vaelib.negative_elbo), each at
    one of the same k noise draws; k = 1 is the one-sample ELBO of the model's own forward pass."""
    vae = vaelib.VAE(vaelib.ModelConfig(input_dim=12, hidden_dims=(8,), latent_dim=3), seed=0)
    x = torch.rand(6, 12, generator=torch.Generator().manual_seed(0)).round()
    k = 4
    terms = objectives.multi_sample_terms(vae, x, k, 1.0, torch.Generator().manual_seed(1))
    eps = torch.randn(k, 6, 3, generator=torch.Generator().manual_seed(1))
    mu, log_sigma = vae.encode(x)
    one_sample = [vaelib.negative_elbo(vae.decoder(mu + log_sigma.exp() * e), x, mu, log_sigma) for e in eps]
    torch.testing.assert_close(terms.total, torch.stack([t.total for t in one_sample]).mean())
    torch.testing.assert_close(terms.kl, one_sample[0].kl)  # analytic: the same for every sample
    logits, mu1, log_sigma1 = vae(x, torch.Generator().manual_seed(1))
    single = objectives.multi_sample_terms(vae, x, 1, 0.5, torch.Generator().manual_seed(1))
    torch.testing.assert_close(single.total, vaelib.negative_elbo(logits, x, mu1, log_sigma1, beta=0.5).total)
    with pytest.raises(ValueError, match="k must be a positive int"):
        objectives.multi_sample_terms(vae, x, 0, 1.0, None)


def test_k_sample_elbo_estimates_the_exact_elbo_with_less_noise():
    """On a linear-Gaussian model the ELBO is known in closed form: the k-sample estimate is unbiased
    for it (mean over repeats within 4 standard errors) and its spread shrinks like 1 / sqrt(k)."""
    lg = LinearGaussian(
        torch.tensor([[1.0, 0.5], [0.3, -0.8], [0.9, 0.2]], dtype=torch.float64),
        torch.zeros(3, dtype=torch.float64),
        0.6,
    )
    _, x = lg.sample(8, torch.Generator().manual_seed(0))
    view = _linear_gaussian_vae(lg, q_shift=0.3)
    view.conditional = False
    mu, log_sigma = view.encode(x)
    exact = -lg.elbo(x, mu, log_sigma.exp()).mean()
    spread = {}
    for k in (1, 16):
        draws = torch.stack(
            [objectives.multi_sample_terms(view, x, k, 1.0, torch.Generator().manual_seed(s)).total for s in range(400)]
        )
        assert abs(draws.mean() - exact) < 4 * draws.std() / 20
        spread[k] = draws.std().item()
    assert spread[16] == pytest.approx(spread[1] / 4, rel=0.25)


def test_k_sample_elbo_refuses_a_conditional_model():
    cvae = ConditionalVAE(ConditionalConfig(input_dim=12, hidden_dims=(8,), latent_dim=3), seed=0)
    with pytest.raises(ValueError, match="unconditional"):
        objectives.multi_sample_terms(cvae, torch.zeros(2, 12), 3, 1.0, None)
