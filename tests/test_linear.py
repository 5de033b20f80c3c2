"""vaelib.linear against independent references: numpy SVD, scipy.linalg.subspace_angles, formulas."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch

import vaelib
from vaelib import TrainConfig, linear


def _data(n=500, d=12, seed=0, scales=(5.0, 3.0, 2.0)):
    """Gaussian data with a few strong directions (given scales) and weak noise elsewhere."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(d, d)))
    stds = np.full(d, 0.3)
    stds[: len(scales)] = scales
    x = rng.normal(size=(n, d)) * stds @ basis.T + rng.normal(size=d)
    return torch.tensor(x, dtype=torch.float64)


def test_pca_matches_numpy_svd():
    x = _data()
    result = linear.pca(x, 3)
    centred = x.numpy() - x.numpy().mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(result.variances.numpy(), s[:3] ** 2 / len(x), rtol=1e-10)
    np.testing.assert_allclose(result.total_variance, (s**2).sum() / len(x), rtol=1e-10)
    for row, reference in zip(result.components.numpy(), vt[:3]):  # equal up to sign
        np.testing.assert_allclose(abs(row @ reference), 1.0, atol=1e-10)


def test_pca_reconstruction_error_is_the_discarded_variance():
    x = _data()
    result = linear.pca(x, 2)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(x.numpy().T, bias=True)))[::-1]
    np.testing.assert_allclose(linear.squared_error(x, result.reconstruct(x)), eigenvalues[2:].sum(), rtol=1e-9)


def test_squared_error_formula():
    x, x_hat = torch.tensor([[0.0, 1.0], [2.0, 2.0]]), torch.tensor([[1.0, 1.0], [0.0, 5.0]])
    assert linear.squared_error(x, x_hat) == pytest.approx(((1 + 0) + (4 + 9)) / 2)


@pytest.mark.parametrize("k_a,k_b", [(3, 3), (4, 2), (2, 4), (1, 1)])
def test_principal_angles_match_scipy(k_a, k_b):
    rng = np.random.default_rng(k_a * 10 + k_b)
    a, b = rng.normal(size=(9, k_a)), rng.normal(size=(9, k_b))
    ours = linear.principal_angles(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ours, np.sort(scipy.linalg.subspace_angles(a, b)), atol=1e-10)


def test_principal_angles_of_nearly_equal_subspaces_are_accurate():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(20, 3))
    b = a @ rng.normal(size=(3, 3)) + 1e-7 * rng.normal(size=(20, 3))  # same span, tiny tilt
    ours = linear.principal_angles(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ours, np.sort(scipy.linalg.subspace_angles(a, b)), rtol=1e-5, atol=1e-14)
    assert ours.max() < 1e-5


def test_principal_angles_extremes():
    e = torch.eye(4, dtype=torch.float64)
    np.testing.assert_allclose(linear.principal_angles(e[:, :2], e[:, 2:]).numpy(), [math.pi / 2] * 2, atol=1e-12)
    np.testing.assert_allclose(linear.principal_angles(e[:, :2], e[:, [1, 0]] * 3).numpy(), [0.0, 0.0], atol=1e-12)


def test_linear_autoencoder_recovers_the_pca_subspace():
    x = _data(n=2000, d=12).float()
    reference = linear.pca(x, 3)
    model = linear.LinearAutoencoder(input_dim=12, latent_dim=3, seed=0)
    config = TrainConfig(num_epochs=10, batch_size=64, lr=3e-2, progress=False, num_threads=1)
    losses = linear.fit_linear(model, x, config, offset=reference.mean)  # trains on centred batches
    copy = linear.LinearAutoencoder(input_dim=12, latent_dim=3, seed=0)
    assert linear.fit_linear(copy, x - reference.mean, config) == pytest.approx(losses, rel=1e-5)
    centred = x - reference.mean
    angles = linear.principal_angles(model.decoder_basis(), reference.components.T)
    assert np.degrees(angles.max().item()) < 1.0
    with torch.no_grad():
        error = linear.squared_error(centred, model(centred))
    assert error == pytest.approx(linear.squared_error(x, reference.reconstruct(x)), rel=2e-2)
    assert losses[-1] < losses[0]


def test_bad_inputs_raise():
    x = _data().float()
    with pytest.raises(ValueError):
        linear.pca(x, 13)
    with pytest.raises(TypeError):
        linear.pca(x.numpy(), 2)
    with pytest.raises(ValueError):
        linear.principal_angles(torch.ones(3, 1), torch.ones(4, 1))
    with pytest.raises(ValueError):
        linear.squared_error(x, x[:, :3])
    with pytest.raises(TypeError):
        linear.fit_linear(torch.nn.Linear(2, 2), x, TrainConfig(progress=False))
    with pytest.raises(ValueError):
        linear.fit_linear(linear.LinearAutoencoder(12, 2), x, TrainConfig(binarize=True, progress=False))


def test_pca_of_uint8_pixels_equals_pca_of_the_float_images():
    """The bytes are converted a chunk at a time; the result is the float images' PCA, in float32."""
    pixels = vaelib.load_mnist("test").pixels[:3000]
    from_bytes, from_floats = linear.pca(pixels, 3), linear.pca(pixels / 255, 3)
    assert from_bytes.components.dtype == from_bytes.variances.dtype == torch.float32
    torch.testing.assert_close(from_bytes.variances, from_floats.variances, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(from_bytes.mean, from_floats.mean, rtol=1e-5, atol=1e-6)
    assert from_bytes.total_variance == pytest.approx(from_floats.total_variance, rel=1e-5)
