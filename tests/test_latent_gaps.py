"""vaelib.latent_gaps against brute force: all pairwise distances written out, numpy quantiles."""

import numpy as np
import pytest
import torch

from vaelib import latent_gaps


def _pairwise(a, b):
    """All Euclidean distances, written out (torch.cdist's matmul shortcut loses digits)."""
    return (a[:, None, :] - b[None, :, :]).square().sum(dim=-1).sqrt()


def _points(n, d=2, seed=0, scale=1.0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale


@pytest.mark.parametrize("d", [1, 2, 5])
def test_nearest_matches_brute_force(d):
    queries, references = _points(200, d, seed=1), _points(300, d, seed=2)
    distances, indices = latent_gaps.nearest(queries, references)
    all_distances = _pairwise(queries, references)  # (200, 300)
    np.testing.assert_allclose(distances.numpy(), all_distances.min(dim=1).values.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(indices.numpy(), all_distances.argmin(dim=1).numpy())


def test_bounding_box_grid_spans_the_box_top_row_first():
    z = torch.tensor([[-1.0, 2.0], [3.0, -4.0], [0.0, 0.0]])
    grid = latent_gaps.bounding_box_grid(z, 5)
    assert grid.shape == (25, 2)
    np.testing.assert_allclose(grid[0].numpy(), [-1.0, 2.0])  # top left: smallest z_1, largest z_2
    np.testing.assert_allclose(grid[4].numpy(), [3.0, 2.0])
    np.testing.assert_allclose(grid[-1].numpy(), [3.0, -4.0])
    np.testing.assert_allclose(np.unique(grid[:, 0].numpy()), np.linspace(-1, 3, 5), atol=1e-6)


def test_line_between_is_evenly_spaced_with_both_ends():
    a, b = torch.tensor([0.0, 1.0]), torch.tensor([4.0, -3.0])
    line = latent_gaps.line_between(a, b, 5)
    np.testing.assert_allclose(line.numpy(), np.linspace(a.numpy(), b.numpy(), 5), atol=1e-6)


def test_max_distance_along_lines_matches_brute_force():
    references = _points(100, seed=3)
    starts, ends = _points(7, seed=4, scale=3.0), _points(7, seed=5, scale=3.0)
    ours = latent_gaps.max_distance_along_lines(starts, ends, references, num_points=20)
    for i in range(7):
        t = torch.linspace(0, 1, 20, dtype=torch.float64)[:, None]
        line = (1 - t) * starts[i] + t * ends[i]
        assert ours[i].item() == pytest.approx(_pairwise(line, references).min(dim=1).values.max().item(), rel=1e-12)


def test_gap_report_against_numpy_quantile():
    train, held_out = _points(400, seed=6), _points(200, seed=7)
    far = _points(50, seed=8) + 100.0
    report = latent_gaps.gap_report(torch.cat([held_out[:50], far]), train, held_out, quantile=0.9)
    held_out_distances = _pairwise(held_out, train).min(dim=1).values.numpy()
    assert report.threshold == pytest.approx(np.quantile(held_out_distances, 0.9), rel=1e-12)
    probe = np.concatenate([held_out_distances[:50], _pairwise(far, train).min(dim=1).values.numpy()])
    assert report.fraction_beyond == pytest.approx(np.mean(probe > report.threshold))
    assert report.median_distance == pytest.approx(np.median(probe), rel=1e-12)
    assert latent_gaps.gap_report(train, train, held_out).fraction_beyond == 0.0  # every point is its own neighbour


def test_bad_inputs_raise():
    z = _points(10)
    with pytest.raises(ValueError):
        latent_gaps.nearest(z, _points(10, d=3))
    with pytest.raises(TypeError):
        latent_gaps.nearest(z.numpy(), z)
    with pytest.raises(ValueError):
        latent_gaps.bounding_box_grid(_points(10, d=3), 4)
    with pytest.raises(ValueError):
        latent_gaps.line_between(z[0], z[1], 1)
    with pytest.raises(ValueError):
        latent_gaps.gap_report(z, z, z, quantile=1.5)
    with pytest.raises(ValueError):
        latent_gaps.max_distance_along_lines(z[:0], z[:0], z)
