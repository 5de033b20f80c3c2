"""A linear-Gaussian latent-variable model whose evidence, posterior and ELBO are all exact.

    z ~ N(0, I_K),    x | z ~ N(W z + b, s^2 I_D)

This is probabilistic PCA (Tipping & Bishop, 1999, "Probabilistic principal component analysis").
Integrating z out gives p(x) = N(x; b, W W^T + s^2 I_D); Bayes' rule gives the Gaussian posterior
p(z|x) = N(M^-1 W^T (x - b), s^2 M^-1) with M = W^T W + s^2 I_K. For a diagonal Gaussian
q(z) = N(mu, diag(sigma^2)) the ELBO is closed form as well, so log p(x) = ELBO(q) + KL(q || p(z|x))
holds exactly (notebook 03), and estimators of log p(x) such as the importance-weighted bound
(notebook 08) can be tested against the truth. With K = D = 1 (``LinearGaussian.scalar(w, b, s)``)
it is the model of notebook 03: log p(x) = log N(x; b, w^2 + s^2).

``symbolic_model`` gives the scalar model in SymPy (densities as closed-form expressions) for the
derivations of notebooks 03 and 04. Numeric results are float64 tensors in nats (inputs are converted
to float64: pass float64 for full precision). Shapes: x (..., D), z (..., K), mu and sigma (..., K);
leading dimensions broadcast, e.g. z (samples, n, K) with x (n, D) gives (samples, n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp
import torch

from . import derive
from .losses import LOG_2PI
from .validation import check_positive_int, check_tensor


def _float64(value, name: str) -> torch.Tensor:
    """A finite float64 tensor from a tensor or a number."""
    if isinstance(value, bool) or not (torch.is_tensor(value) or isinstance(value, (int, float))):
        raise TypeError(f"{name} must be a torch.Tensor or a number, got {type(value).__name__}")
    tensor = torch.as_tensor(value, dtype=torch.float64) if not torch.is_tensor(value) else value
    if not tensor.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {tensor.dtype}")
    tensor = tensor.to(torch.float64)
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return tensor


@dataclass(frozen=True, eq=False)
class LinearGaussian:
    """z ~ N(0, I_K), x|z ~ N(weight @ z + bias, noise_std^2 I_D), with exact log p(x) and p(z|x)."""

    weight: torch.Tensor  # W, (D, K): the decoder's linear map
    bias: torch.Tensor  # b, (D,): the mean of x
    noise_std: float  # s > 0: the decoder's noise standard deviation

    def __post_init__(self):
        weight = check_tensor(_float64(self.weight, "weight"), "weight", ndim=2)
        bias = check_tensor(_float64(self.bias, "bias"), "bias", ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},) to match weight, got {tuple(bias.shape)}")
        if isinstance(self.noise_std, bool) or not isinstance(self.noise_std, (int, float)):
            raise TypeError(f"noise_std must be a number, got {type(self.noise_std).__name__}")
        if not (0 < self.noise_std < math.inf):
            raise ValueError(f"noise_std must be a positive finite number, got {self.noise_std}")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "noise_std", float(self.noise_std))

    @classmethod
    def scalar(cls, w: float, b: float, s: float) -> LinearGaussian:
        """The one-dimensional model z ~ N(0, 1), x|z ~ N(w z + b, s^2)."""
        return cls(torch.tensor([[float(w)]], dtype=torch.float64), torch.tensor([float(b)], dtype=torch.float64), s)

    @property
    def latent_dim(self) -> int:
        return self.weight.shape[1]

    @property
    def data_dim(self) -> int:
        return self.weight.shape[0]

    def _x(self, x) -> torch.Tensor:
        x = _float64(x, "x")
        if x.dim() == 0 or x.shape[-1] != self.data_dim:
            raise ValueError(f"x must have last dimension {self.data_dim}, got shape {tuple(x.shape)}")
        return x

    def _z(self, z, name: str = "z") -> torch.Tensor:
        z = _float64(z, name)
        if z.dim() == 0 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"{name} must have last dimension {self.latent_dim}, got shape {tuple(z.shape)}")
        return z

    def _precision_factor(self) -> torch.Tensor:
        """Cholesky factor of M = W^T W + s^2 I_K, (K, K)."""
        eye = torch.eye(self.latent_dim, dtype=torch.float64)
        return torch.linalg.cholesky(self.weight.T @ self.weight + self.noise_std**2 * eye)

    def log_prior(self, z) -> torch.Tensor:
        """log N(z; 0, I), (...)."""
        z = self._z(z)
        return -0.5 * (z.square().sum(-1) + self.latent_dim * LOG_2PI)

    def log_px_given_z(self, x, z) -> torch.Tensor:
        """log N(x; W z + b, s^2 I), (...)."""
        x, z = self._x(x), self._z(z)
        residual = x - (z @ self.weight.T + self.bias)  # (..., D)
        s2 = self.noise_std**2
        return -0.5 * (residual.square().sum(-1) / s2 + self.data_dim * (LOG_2PI + math.log(s2)))

    def log_joint(self, x, z) -> torch.Tensor:
        """log p(x, z) = log p(x|z) + log p(z), (...)."""
        return self.log_px_given_z(x, z) + self.log_prior(z)

    def log_evidence(self, x) -> torch.Tensor:
        """Exact log p(x) = log N(x; b, W W^T + s^2 I), via the Woodbury identity and determinant lemma, (...)."""
        x = self._x(x)
        r = x - self.bias  # (..., D)
        chol = self._precision_factor()  # (K, K)
        projected = torch.linalg.solve_triangular(chol, (r @ self.weight).unsqueeze(-1), upper=False)  # (..., K, 1)
        projected = projected.squeeze(-1)  # (..., K): L^-1 W^T r, so |projected|^2 = r^T W M^-1 W^T r
        s2 = self.noise_std**2
        quadratic = (r.square().sum(-1) - projected.square().sum(-1)) / s2
        log_det = (self.data_dim - self.latent_dim) * math.log(s2) + 2 * torch.log(torch.diagonal(chol)).sum()
        return -0.5 * (quadratic + log_det + self.data_dim * LOG_2PI)

    def posterior(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact posterior p(z|x) = N(mean, cov): mean (..., K) and cov (K, K) (the same for every x)."""
        x = self._x(x)
        chol = self._precision_factor()
        mean = torch.cholesky_solve(((x - self.bias) @ self.weight).unsqueeze(-1), chol).squeeze(-1)  # (..., K)
        cov = self.noise_std**2 * torch.cholesky_inverse(chol)  # (K, K)
        return mean, cov

    def log_posterior(self, z, x) -> torch.Tensor:
        """log p(z|x), from the posterior mean and covariance, (...)."""
        z = self._z(z)
        mean, cov = self.posterior(x)
        chol = torch.linalg.cholesky(cov)
        white = torch.linalg.solve_triangular(chol, (z - mean).unsqueeze(-1), upper=False).squeeze(-1)
        return -0.5 * (white.square().sum(-1) + self.latent_dim * LOG_2PI) - torch.log(torch.diagonal(chol)).sum()

    def exact_encoder(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log_sigma) of the posterior marginals, the encoder interface of ``vaelib.evaluate``.

        q = N(mu, diag(sigma^2)) *is* the posterior when its covariance is diagonal: K = 1, or the
        columns of W orthogonal. Otherwise it is the diagonal Gaussian with the right marginals.
        """
        mean, cov = self.posterior(x)
        return mean, 0.5 * torch.log(torch.diagonal(cov)).expand_as(mean).clone()

    def _q(self, mu, sigma) -> tuple[torch.Tensor, torch.Tensor]:
        mu, sigma = self._z(mu, "mu"), self._z(sigma, "sigma")
        if not torch.all(sigma > 0):
            raise ValueError("sigma must be positive everywhere")
        return mu, sigma

    def expected_log_likelihood(self, x, mu, sigma) -> torch.Tensor:
        """E_q[log p(x|z)] for q = N(mu, diag(sigma^2)), in closed form, (...)."""
        x = self._x(x)
        mu, sigma = self._q(mu, sigma)
        residual = x - (mu @ self.weight.T + self.bias)  # (..., D)
        spread = (sigma.square() * self.weight.square().sum(0)).sum(-1)  # E|W (z - mu)|^2 = sum_k |W_k|^2 sigma_k^2
        s2 = self.noise_std**2
        return -0.5 * ((residual.square().sum(-1) + spread) / s2 + self.data_dim * (LOG_2PI + math.log(s2)))

    def kl_to_prior(self, mu, sigma) -> torch.Tensor:
        """KL(N(mu, diag(sigma^2)) || N(0, I)) = 1/2 sum_k (mu_k^2 + sigma_k^2 - log sigma_k^2 - 1), (...)."""
        mu, sigma = self._q(mu, sigma)
        return 0.5 * (mu.square() + sigma.square() - 2 * torch.log(sigma) - 1).sum(-1)

    def elbo(self, x, mu, sigma) -> torch.Tensor:
        """ELBO(q) = E_q[log p(x|z)] - KL(q || p(z)) for q = N(mu, diag(sigma^2)), exact, (...)."""
        return self.expected_log_likelihood(x, mu, sigma) - self.kl_to_prior(mu, sigma)

    def kl_to_posterior(self, x, mu, sigma) -> torch.Tensor:
        """KL(N(mu, diag(sigma^2)) || p(z|x)), the gap log p(x) - ELBO, from the Gaussian KL formula, (...)."""
        mu, sigma = self._q(mu, sigma)
        mean, cov = self.posterior(x)
        precision = torch.linalg.inv(cov)  # (K, K)
        diff = (mean - mu).unsqueeze(-1)  # (..., K, 1)
        trace = (torch.diagonal(precision) * sigma.square()).sum(-1)
        mahalanobis = (diff.transpose(-1, -2) @ precision @ diff).squeeze(-1).squeeze(-1)
        log_det_ratio = torch.logdet(cov) - 2 * torch.log(sigma).sum(-1)
        return 0.5 * (trace + mahalanobis - self.latent_dim + log_det_ratio)

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """n draws (z, x) from the joint: z (n, K), x (n, D)."""
        check_positive_int(n, "n")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=torch.float64)
        noise = torch.randn(n, self.data_dim, generator=generator, dtype=torch.float64)
        return z, z @ self.weight.T + self.bias + self.noise_std * noise


@dataclass(frozen=True)
class SymbolicLinearGaussian:
    """The scalar model z ~ N(0, 1), x|z ~ N(w z + b, s^2) in SymPy: every density written out."""

    prior: sp.Expr  # p(z) = N(z; 0, 1)
    likelihood: sp.Expr  # p(x|z) = N(x; w z + b, s^2)
    evidence: sp.Expr  # p(x) = N(x; b, w^2 + s^2)
    posterior_mean: sp.Expr  # w (x - b) / (w^2 + s^2)
    posterior_std: sp.Expr  # s / sqrt(w^2 + s^2)
    posterior: sp.Expr  # p(z|x) = N(z; posterior_mean, posterior_std^2)


def symbolic_model(z, x, w, b, s) -> SymbolicLinearGaussian:
    """The closed forms of the scalar model (checked, not assumed, in notebook 03 and the tests).

    z, x, w, b: real symbols or numbers; s: positive (``sp.Symbol("s", positive=True)``).
    """
    posterior_mean = w * (x - b) / (w**2 + s**2)
    posterior_std = s / sp.sqrt(w**2 + s**2)
    return SymbolicLinearGaussian(
        prior=derive.gaussian_density(z, 0, 1),
        likelihood=derive.gaussian_density(x, w * z + b, s),
        evidence=derive.gaussian_density(x, b, sp.sqrt(w**2 + s**2)),
        posterior_mean=posterior_mean,
        posterior_std=posterior_std,
        posterior=derive.gaussian_density(z, posterior_mean, posterior_std),
    )
