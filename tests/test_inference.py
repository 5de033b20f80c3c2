"""vaelib.inference against a model whose posterior is known exactly: a linear-Gaussian model (probabilistic
PCA) with orthogonal columns, whose posterior is a diagonal Gaussian, written as a vaelib VAE."""

import pytest
import torch
from torch.distributions import Normal

import vaelib
from vaelib import inference
from vaelib.linear_gaussian import LinearGaussian

W = torch.tensor([[2.0, 0.0], [0.0, 1.5], [0.0, 0.0]])
B = torch.tensor([0.2, -0.1, 0.4])
S = 0.7


class GaussianDecoderVAE(vaelib.VAE):
    """A VAE with a linear decoder and a Gaussian likelihood of standard deviation S: exactly LinearGaussian."""

    @staticmethod
    def reconstruction_nll(mean, x):
        return -Normal(mean, S).log_prob(x).sum(-1)


def make_model(encoder_shift: float = 0.0) -> tuple[GaussianDecoderVAE, LinearGaussian]:
    exact = LinearGaussian(W, B, S)
    model = GaussianDecoderVAE(vaelib.ModelConfig(input_dim=3, hidden_dims=(), latent_dim=2), seed=0)
    precision = torch.diagonal(W.T @ W) / S**2 + 1  # diagonal: the columns are orthogonal
    with torch.no_grad():
        model.decoder[0].weight.copy_(W)
        model.decoder[0].bias.copy_(B)
        model.fc_mu.weight.copy_((W / S**2 / precision).T)  # the exact posterior mean, M^-1 W^T (x - b)
        model.fc_mu.bias.copy_(-(W.T @ B) / S**2 / precision + encoder_shift)
        model.fc_log_sigma.weight.zero_()
        model.fc_log_sigma.bias.copy_(-0.5 * precision.log())  # the exact posterior standard deviation
    return model, exact


def test_the_exact_encoder_leaves_no_gap_and_l_k_is_log_px():
    model, exact = make_model()
    x = torch.randn(30, 3, generator=torch.Generator().manual_seed(0)) * 2
    result = inference.gaps(model, x, k=2000, steps=50, eval_samples=2000)
    assert result.log_px == pytest.approx(exact.log_evidence(x.double()).mean().item(), abs=1e-4)
    assert abs(result.approximation_gap) < 0.02 and abs(result.amortization_gap) < 0.02


def test_fitting_each_posterior_recovers_it_from_a_wrong_encoder_and_measures_the_amortization_gap():
    model, exact = make_model(encoder_shift=0.8)
    before = [p.clone() for p in model.parameters()]
    x = torch.randn(30, 3, generator=torch.Generator().manual_seed(1)) * 2
    mu, log_sigma = inference.fit_posterior(model, x, steps=400, lr=0.05, generator=torch.Generator().manual_seed(2))
    mean, cov = exact.posterior(x.double())
    torch.testing.assert_close(mu.double(), mean, atol=0.05, rtol=0)
    torch.testing.assert_close(
        log_sigma.double(), 0.5 * torch.log(torch.diagonal(cov)).expand_as(mean), atol=0.05, rtol=0
    )
    assert all(torch.equal(p, q) and p.requires_grad for p, q in zip(model.parameters(), before, strict=True))
    result = inference.gaps(model, x, k=2000, steps=400, eval_samples=2000)
    with torch.no_grad():
        enc_mu, enc_log_sigma = model.encode(x)
    true_amortization = exact.kl_to_posterior(x.double(), enc_mu.double(), enc_log_sigma.exp().double()).mean().item()
    assert true_amortization > 1.0  # the planted encoder is clearly off
    assert result.amortization_gap == pytest.approx(true_amortization, abs=0.1)
    assert abs(result.approximation_gap) < 0.05


def test_bad_arguments_are_refused():
    model, _ = make_model()
    with pytest.raises(TypeError, match="VAE"):
        inference.fit_posterior(torch.nn.Linear(3, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="steps"):
        inference.fit_posterior(model, torch.zeros(2, 3), steps=0)
