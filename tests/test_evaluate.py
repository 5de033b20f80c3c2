"""Tests of vaelib.evaluate against models whose log-likelihood is known exactly.

The exact reference is probabilistic PCA (a linear-Gaussian model): z ~ N(0, I), x|z ~ N(Wz + b, s^2 I),
so x ~ N(b, W W^T + s^2 I) and log p(x) comes from scipy. With a deliberately imperfect diagonal
Gaussian encoder, the ELBO is also available in closed form (written out below), so the ordering
ELBO <= E[L_k] <= log p(x) and the convergence of L_k to log p(x) can be checked with Monte Carlo
tolerances of 4 standard errors. The Bernoulli VAE path is checked against torch.distributions.
"""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from torch.distributions import Bernoulli, Normal, kl_divergence

import vaelib
from vaelib import evaluate, losses

D, K, S = 6, 3, 0.5  # data dimension, latent dimension, decoder noise standard deviation


def ppca(seed: int = 0):
    """A pPCA model with a diagonal encoder that is deliberately off: the exact posterior mean shifted
    by one posterior standard deviation, and sigma 1.3 times the exact posterior marginal's."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(D, K))
    b = rng.normal(size=D)
    precision = np.eye(K) + W.T @ W / S**2  # of the exact posterior p(z|x)
    cov = np.linalg.inv(precision)
    sd = np.sqrt(np.diag(cov))  # marginal standard deviations of p(z|x)
    sigma_q = 1.3 * sd
    W_t, b_t, cov_t, sd_t = (torch.tensor(a) for a in (W, b, cov, sd))

    def encode(x):
        mu = (x - b_t) @ W_t @ cov_t.T / S**2 + sd_t  # exact posterior mean, shifted
        return mu, torch.tensor(np.log(sigma_q)).expand_as(mu)

    def log_px_given_z(x, z):
        mean = z @ W_t.T + b_t  # (s, n, D)
        return -0.5 * (((x - mean) / S) ** 2 + math.log(2 * math.pi * S**2)).sum(-1)

    def exact_log_px(x):
        return multivariate_normal(b, W @ W.T + S**2 * np.eye(D)).logpdf(x.numpy())

    def exact_elbo(x):
        mu, log_sigma = (t.numpy() for t in encode(x))
        sigma2 = np.exp(2 * log_sigma)
        residual = x.numpy() - mu @ W.T - b
        expected_log_lik = -0.5 * D * np.log(2 * np.pi * S**2) - (
            (residual**2).sum(1) + (sigma2 * (W**2).sum(0)).sum(1)
        ) / (2 * S**2)
        kl = 0.5 * (mu**2 + sigma2 - np.log(sigma2) - 1).sum(1)
        return expected_log_lik - kl

    model = evaluate.LatentModel(encode=encode, log_px_given_z=log_px_given_z)
    x = torch.tensor(rng.multivariate_normal(b, W @ W.T + S**2 * np.eye(D), size=200))
    return model, x, exact_log_px, exact_elbo


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_log_weights_match_torch_distributions():
    model, x, *_ = ppca()
    eps = torch.randn(4, x.shape[0], K, generator=gen(1), dtype=torch.float64)
    mu, log_sigma = model.encode(x)
    z = mu + log_sigma.exp() * eps
    rng = np.random.default_rng(0)
    W, b = torch.tensor(rng.normal(size=(D, K))), torch.tensor(rng.normal(size=D))  # same draws as ppca(0)
    expected = (
        Normal(z @ W.T + b, S).log_prob(x).sum(-1)
        + Normal(0.0, 1.0).log_prob(z).sum(-1)
        - Normal(mu, log_sigma.exp()).log_prob(z).sum(-1)
    )
    torch.testing.assert_close(evaluate.log_importance_weights(model, x, eps), expected)


def test_bound_converges_to_exact_log_px():
    model, x, exact_log_px, exact_elbo = ppca(seed=3)
    truth = exact_log_px(x).mean()
    assert truth - exact_elbo(x).mean() > 1.0, "the test encoder should leave a clear ELBO gap"
    gaps = []
    for k in (1, 10, 100, 1000, 5000):
        bound = evaluate.importance_weighted_bound(model, x, k, gen(k), sample_chunk=500)
        gaps.append(truth - bound.mean().item())  # mean over 200 points, nats
    # beyond k = 100 the remaining bias (~0.01) is comparable to the Monte Carlo noise, so check size there
    assert gaps[0] > gaps[1] > gaps[2] > 0, f"gap should shrink with k, got {gaps}"
    assert abs(gaps[3]) < 0.02 and abs(gaps[4]) < 0.01, f"L_k should reach log p(x), gaps {gaps}"


@pytest.mark.parametrize("k", [1, 5, 50])
def test_elbo_le_bound_le_log_px_in_expectation(k):
    model, x, exact_log_px, exact_elbo = ppca(seed=3)
    x, repeats = x[:10], 200
    # one call on 200 copies of the 10 points: 200 independent draws of L_k for each point
    draws = evaluate.importance_weighted_bound(model, x.repeat(repeats, 1), k, gen(k), batch_size=500)
    draws = draws.reshape(repeats, len(x)).numpy()
    mean, se = draws.mean(0), draws.std(0, ddof=1) / math.sqrt(repeats)
    log_px, elbo = exact_log_px(x), exact_elbo(x)
    assert (elbo < log_px).all()
    assert (mean <= log_px + 4 * se).all(), "E[L_k] must not exceed log p(x)"
    assert (mean >= elbo - 4 * se).all(), "E[L_k] must not fall below the ELBO"
    if k == 1:  # L_1 is an unbiased estimate of the ELBO
        np.testing.assert_array_less(np.abs(mean - elbo), 4 * se + 1e-12)
    else:
        assert (mean - elbo).mean() > 0.1, "with k > 1 the bound should clearly beat the ELBO"


def small_vae(dtype=torch.float32):
    model = vaelib.VAE(vaelib.ModelConfig(input_dim=20, hidden_dims=(16,), latent_dim=4), seed=0).to(dtype).eval()
    x = torch.bernoulli(torch.full((30, 20), 0.4, dtype=dtype), generator=gen(5))
    return model, x


def test_vae_k1_is_the_one_sample_elbo_with_the_same_noise():
    model, x = small_vae()
    bound = evaluate.importance_weighted_bound(model, x, 1, gen(7), batch_size=len(x))
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
        z = mu + log_sigma.exp() * torch.randn(mu.shape, generator=gen(7))  # the same draw
        log_lik = Bernoulli(logits=model.decode(z)).log_prob(x).sum(-1)
        kl_one_sample = Normal(mu, log_sigma.exp()).log_prob(z).sum(-1) - Normal(0.0, 1.0).log_prob(z).sum(-1)
        terms = evaluate.negative_elbo_terms(model, x, gen(7), batch_size=len(x))  # vaelib's loss, same noise
    torch.testing.assert_close(bound.float(), log_lik - kl_one_sample, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(terms.reconstruction, -log_lik, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(terms.kl, kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(-1))


def test_vae_k1_equals_analytic_elbo_in_expectation():
    model, x = small_vae(torch.float64)
    repeats = 300  # independent draws for each example, from one call on repeated rows
    draws = evaluate.importance_weighted_bound(model, x.repeat(repeats, 1), 1, gen(1), batch_size=3000)
    elbo = -evaluate.negative_elbo_terms(model, x.repeat(repeats, 1), gen(2)).total
    draws, elbo = draws.reshape(repeats, len(x)), elbo.reshape(repeats, len(x))
    se = (draws.var(0) / repeats + elbo.var(0) / repeats).sqrt()
    assert ((draws.mean(0) - elbo.mean(0)).abs() < 4 * se + 1e-9).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_chunking_does_not_change_the_numbers(dtype):
    model, x = small_vae(dtype)
    whole = evaluate.importance_weighted_bound(model, x, 24, gen(3), sample_chunk=24, batch_size=10)
    for chunk in (1, 5, 1000):
        chunked = evaluate.importance_weighted_bound(model, x, 24, gen(3), sample_chunk=chunk, batch_size=10)
        torch.testing.assert_close(chunked, whole, rtol=1e-6 if dtype == torch.float32 else 1e-12, atol=0)


def test_bits_per_dim():
    assert evaluate.bits_per_dim(784 * math.log(2.0)) == pytest.approx(1.0)
    nats = torch.tensor([86.76, 100.0])
    # -log2 p(x) / D written out: exp(-nats) = 2 ** (-bits)
    bits = -np.log2(np.exp(-nats.double().numpy())) / 784
    np.testing.assert_allclose(evaluate.bits_per_dim(nats).numpy(), bits, rtol=1e-6)
    with pytest.raises(ValueError):
        evaluate.bits_per_dim(1.0, num_dims=0)


def test_kl_per_dimension_matches_torch_distributions():
    mu = torch.randn(50, 5, generator=gen(0))
    log_sigma = 0.5 * torch.randn(50, 5, generator=gen(1))
    expected = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(losses.kl_per_dimension(mu, log_sigma), expected)
    torch.testing.assert_close(
        losses.kl_per_dimension(mu, log_sigma).sum(1), losses.kl_to_standard_normal(mu, log_sigma)
    )


def test_active_units_counts_dimensions_whose_mean_varies():
    rng = np.random.default_rng(0)
    mu = np.concatenate([rng.normal(0, 1.0, (500, 3)), rng.normal(0, 0.01, (500, 4))], axis=1)
    count, activity = evaluate.active_units(torch.tensor(mu, dtype=torch.float32))
    assert count == 3
    np.testing.assert_allclose(activity.numpy(), mu.var(axis=0), rtol=1e-5)  # numpy's population variance


def test_encode_all_matches_one_pass():
    model, x = small_vae()
    mu, log_sigma = evaluate.encode_all(model, x, batch_size=7)
    with torch.no_grad():
        expected = model.encode(x)
    torch.testing.assert_close(mu, expected[0])
    torch.testing.assert_close(log_sigma, expected[1])


def test_bad_inputs_raise_clear_errors():
    model, x = small_vae()
    with pytest.raises(ValueError, match="k must be positive"):
        evaluate.importance_weighted_bound(model, x, 0, gen(0))
    with pytest.raises(TypeError, match="k must be an int"):
        evaluate.importance_weighted_bound(model, x, 2.5, gen(0))
    with pytest.raises(TypeError, match="generator"):
        evaluate.importance_weighted_bound(model, x, 2, 0)
    with pytest.raises(TypeError, match="VAE or a LatentModel"):
        evaluate.importance_weighted_bound(vaelib.Autoencoder(model.config), x, 2, gen(0))
    with pytest.raises(ValueError, match="2 dimensions"):
        evaluate.importance_weighted_bound(model, x[0], 2, gen(0))
    with pytest.raises(ValueError, match="eps must have shape"):
        evaluate.log_importance_weights(evaluate.latent_model(model), x, torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="at least 2"):
        evaluate.active_units(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="threshold"):
        evaluate.active_units(torch.zeros(5, 3), threshold=-1)
    with pytest.raises(ValueError, match="same shape"):
        losses.kl_per_dimension(torch.zeros(5, 3), torch.zeros(5, 2))


def test_binarized_test_set_is_a_fixed_bernoulli_draw_of_the_grey_levels():
    x = evaluate.binarized_test_set(seed=0)
    grey = vaelib.load_mnist("test").images
    assert x.shape == (10000, 784) and set(x.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(x, evaluate.binarized_test_set(seed=0))
    assert not torch.equal(x, evaluate.binarized_test_set(seed=1))
    # every pixel is 1 with probability equal to its grey level: compare the totals (4 standard errors)
    p = grey.double()
    assert abs(x.double().sum() - p.sum()) < 4 * (p * (1 - p)).sum().sqrt()


def test_shipped_results_reports_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="evaluate_models.py"):
        evaluate.shipped_results(tmp_path / "missing.json")


def _evaluate_models_tool():
    import importlib.util
    from pathlib import Path

    path = Path(evaluate.__file__).resolve().parent.parent / "tools" / "evaluate_models.py"
    spec = importlib.util.spec_from_file_location("evaluate_models", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_shipped_results_match_the_shipped_models():
    """results/evaluation.json must describe the weights in models/: recompute each negative ELBO."""
    from vaelib import pretrained

    tool = _evaluate_models_tool()
    results = evaluate.shipped_results()
    assert list(results) == list(tool.KS)
    x = evaluate.binarized_test_set(tool.BINARIZE_SEED)
    for name, record in results.items():
        model = pretrained.load_pretrained(name)
        generator = torch.Generator().manual_seed(tool.ELBO_SEED)
        total = 0.0
        with torch.no_grad():
            for batch in x.split(500):  # the same noise stream as negative_elbo_terms(batch_size=500)
                mu, log_sigma = model.encode(batch)
                z = mu + log_sigma.exp() * torch.randn(mu.shape, generator=generator)
                nll = -Bernoulli(logits=model.decode(z)).log_prob(batch).sum(1)
                kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(1)
                total += (nll + kl).sum().item()
        assert total / len(x) == pytest.approx(record["negative_elbo"], abs=0.01), name
        bounds = record["iwae_negative_log_px"]
        assert [int(k) for k in bounds] == list(tool.KS[name])
        assert bounds[max(bounds, key=int)] < record["negative_elbo"]  # -L_k sits below -ELBO
        assert sorted(bounds.values(), reverse=True) == list(bounds.values())  # and falls with k


def test_readme_results_section_is_up_to_date():
    tool = _evaluate_models_tool()
    assert tool.readme_section(evaluate.shipped_results()) in tool.README.read_text(), (
        "run: python tools/evaluate_models.py --readme"
    )


def test_readme_unit_counts_match_the_shipped_models():
    """The README column 'units with KL > 0.1 nats', and the per-unit KL it is counted from, recomputed from
    the shipped weights with torch.distributions."""
    from vaelib import pretrained

    tool = _evaluate_models_tool()
    x = evaluate.binarized_test_set(tool.BINARIZE_SEED)
    lines = tool.README.read_text().splitlines()
    header = next(line for line in lines if line.startswith("| model | architecture")).split(" | ")
    column = header.index("units with KL > 0.1 nats")
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ") for line in lines if line.startswith("| `")}
    for name, record in evaluate.shipped_results().items():
        with torch.no_grad():
            mu, log_sigma = pretrained.load_pretrained(name).encode(x)
        kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).mean(0)  # (K,) nats per image
        np.testing.assert_allclose(record["kl_per_dimension"], kl.numpy(), atol=1e-4, err_msg=name)
        assert rows[name][column] == f"{int((kl > 0.1).sum())}/{kl.numel()}", name
