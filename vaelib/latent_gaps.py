"""Where a latent space is empty: distances from latent points to the nearest training encoding.

A decoder only learns what to draw near the codes it was trained on. To see whether a latent point
z (a grid point, a draw from N(0, I), a point on a line between two codes) is "familiar", we measure
its Euclidean distance to the nearest training encoding and compare it with the same distance for
held-out test encodings, which land where real digits land. Exact nearest neighbours come from a
k-d tree (Bentley, 1975) through ``scipy.spatial.cKDTree``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial import cKDTree

from .validation import check_positive_int, check_tensor


def nearest(queries: torch.Tensor, references: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``queries`` (m, d): distance to its nearest row of ``references`` (n, d) and
    that row's index, as ((m,) float, (m,) int64)."""
    check_tensor(queries, "queries", ndim=2)
    check_tensor(references, "references", ndim=2, last_dim=queries.shape[1])
    if references.shape[0] == 0:
        raise ValueError("references must hold at least one point")
    tree = cKDTree(references.detach().double().numpy())
    distances, indices = tree.query(queries.detach().double().numpy(), k=1)
    return (
        torch.from_numpy(np.asarray(distances, dtype=np.float64)).to(queries.dtype),
        torch.from_numpy(np.asarray(indices, dtype=np.int64)),
    )


def nearest_distances(queries: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
    """Distance from each row of ``queries`` (m, d) to its nearest row of ``references`` (n, d): (m,)."""
    return nearest(queries, references)[0]


def max_distance_along_lines(
    z_start: torch.Tensor, z_end: torch.Tensor, references: torch.Tensor, num_points: int = 50
) -> torch.Tensor:
    """For each pair of rows (z_start[i], z_end[i]), the largest nearest-reference distance met on the
    straight segment between them, probed at ``num_points`` evenly spaced points: (m,)."""
    check_tensor(z_start, "z_start", ndim=2)
    check_tensor(z_end, "z_end", ndim=2)
    if z_start.shape != z_end.shape or len(z_start) == 0:
        raise ValueError(
            f"z_start and z_end must be non-empty, of one shape; got {tuple(z_start.shape)} and {tuple(z_end.shape)}"
        )
    lines = torch.stack([line_between(a, b, num_points) for a, b in zip(z_start, z_end)])  # (m, num_points, d)
    distances = nearest_distances(lines.reshape(-1, z_start.shape[1]), references)  # (m * num_points,)
    return distances.reshape(len(z_start), num_points).max(dim=1).values


def bounding_box_grid(z: torch.Tensor, n: int) -> torch.Tensor:
    """An (n*n, 2) regular grid spanning the bounding box of the 2-D points ``z``.

    Row-major with the top row first (z_2 decreasing down the rows), so decoding it and tiling the
    images row by row reads like the latent plane.
    """
    check_tensor(z, "z", ndim=2, last_dim=2)
    check_positive_int(n, "n")
    low, high = z.min(dim=0).values, z.max(dim=0).values  # (2,), (2,)
    z1 = torch.linspace(float(low[0]), float(high[0]), n)
    z2 = torch.linspace(float(high[1]), float(low[1]), n)
    rows, cols = torch.meshgrid(z2, z1, indexing="ij")  # (n, n) each
    return torch.stack([cols.reshape(-1), rows.reshape(-1)], dim=1).to(z.dtype)


def line_between(z_start: torch.Tensor, z_end: torch.Tensor, num_points: int) -> torch.Tensor:
    """``num_points`` evenly spaced points on the segment from ``z_start`` to ``z_end`` (both ends included)."""
    check_tensor(z_start, "z_start", ndim=1)
    check_tensor(z_end, "z_end", ndim=1)
    if z_start.shape != z_end.shape:
        raise ValueError(
            f"z_start and z_end must have the same shape, got {tuple(z_start.shape)} and {tuple(z_end.shape)}"
        )
    if isinstance(num_points, bool) or not isinstance(num_points, int) or num_points < 2:
        raise ValueError(f"num_points must be an int >= 2, got {num_points!r}")
    t = torch.linspace(0.0, 1.0, num_points, dtype=z_start.dtype)[:, None]  # (num_points, 1)
    return (1 - t) * z_start + t * z_end


@dataclass(frozen=True)
class GapReport:
    """How far a set of latent points lies from the training encodings, against a held-out yardstick."""

    threshold: float  # the given quantile of the held-out encodings' nearest distances
    quantile: float  # which quantile that is, e.g. 0.99
    median_distance: float  # median nearest distance of the probed points
    fraction_beyond: float  # fraction of probed points farther than ``threshold``


def gap_report(
    points: torch.Tensor, train_z: torch.Tensor, held_out_z: torch.Tensor, quantile: float = 0.99
) -> GapReport:
    """Compare ``points`` with held-out encodings by their distance to the nearest training encoding.

    Held-out encodings show where new real digits land; only a fraction 1 - quantile of them is
    farther than ``threshold``. A probe set with a much larger fraction beyond it lies in gaps.
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
    threshold = float(torch.quantile(nearest_distances(held_out_z, train_z).double(), quantile))
    distances = nearest_distances(points, train_z).double()
    return GapReport(
        threshold=threshold,
        quantile=quantile,
        median_distance=float(torch.quantile(distances, 0.5)),  # the midpoint for an even count, like numpy
        fraction_beyond=float((distances > threshold).double().mean()),
    )
