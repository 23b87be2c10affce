"""History matching: quadratic emulators and implausibility (one wave).

The pieces, each a plain function of arrays:

- :class:`QuadraticEmulator` — a least-squares quadratic response surface of one
  output in the parameters (scaled to [0, 1]), fitted to per-point means of a designed
  set of runs. Its variance at a point is the *lack of fit* (the residual variance not
  explained by replication noise, i.e. how far the model's expected output can be
  from the surface) plus the uncertainty of the fitted coefficients. Replication noise
  itself is not part of it: the comparison is between an observed figure and the
  model's expected output, and the figure's own sampling error belongs to the target.
  Leave-one-out errors (closed form for least squares) check the emulator.
- :class:`Target` — an observed figure with one standard deviation for everything
  that separates it from the model's expected output (the study's sampling error, how
  the figure was read, the model's discrepancy).
- :func:`implausibility` — ``|z - E[f(x)]| / sqrt(sd² + Var[f(x)])`` per point and
  target; :func:`nroy` — the points whose largest (or ``allow + 1``-th largest)
  implausibility is at most the cut-off (3, Pukelsheim's three-sigma rule).

A linear surface in a handful of parameters is the usual first wave; a quadratic
catches the curvature of rates and shares over the wide ranges a first wave spans.
Later waves (a smaller box, new runs, a Gaussian-process residual) refine it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["QuadraticEmulator", "Target", "implausibility", "nroy"]

CUTOFF = 3.0


@dataclass(frozen=True)
class Target:
    """An observed figure: its value and one standard deviation of all that separates it from the model."""

    name: str
    observed: float
    sd: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.observed) and np.isfinite(self.sd) and self.sd > 0.0):
            raise ValueError(
                f"target {self.name}: observed must be finite and sd > 0 (got {self.observed}, {self.sd})"
            )


def _features(u: np.ndarray) -> np.ndarray:
    """1, u_i, u_i u_j (i <= j) for each row of ``u`` (n x d)."""
    n, d = u.shape
    cols = [np.ones(n)] + [u[:, i] for i in range(d)]
    cols += [u[:, i] * u[:, j] for i in range(d) for j in range(i, d)]
    return np.column_stack(cols)


@dataclass(frozen=True)
class QuadraticEmulator:
    """A quadratic response surface of one output, with its variance (see the module docstring)."""

    lower: np.ndarray
    upper: np.ndarray
    coef: np.ndarray
    xtx_inv: np.ndarray  # (F^T F)^-1 of the design's features
    resid_var: float  # residual variance of the per-point means around the surface
    lack_of_fit_var: float  # resid_var minus the replication noise of a point's mean (>= 0)
    loo_errors: np.ndarray  # leave-one-out prediction errors of the design points

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        lower: Sequence[float],
        upper: Sequence[float],
        noise_var_of_mean: float = 0.0,
    ) -> QuadraticEmulator:
        """Fit to per-point means ``y`` at parameters ``x`` (n x d) in the box [lower, upper].

        ``noise_var_of_mean`` is the replication variance of one point's mean (the pooled
        within-point variance over the replications per point); it is taken off the
        residual variance to leave the lack of fit.
        """
        x = np.atleast_2d(np.asarray(x, dtype=float))
        y = np.asarray(y, dtype=float)
        lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if x.shape[1] != lo.size or lo.size != hi.size or not np.all(hi > lo):
            raise ValueError("lower and upper must give one interval (upper > lower) per column of x")
        if y.shape != (x.shape[0],):
            raise ValueError(f"y must have one value per row of x (got {y.shape} for {x.shape[0]} rows)")
        ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
        f = _features((x[ok] - lo) / (hi - lo))
        n, p = f.shape
        if n <= p + 2:
            raise ValueError(
                f"a quadratic in {lo.size} parameters needs more than {p + 2} points with a value (got {n})"
            )
        coef, *_ = np.linalg.lstsq(f, y[ok], rcond=None)
        xtx_inv = np.linalg.pinv(f.T @ f)
        resid = y[ok] - f @ coef
        resid_var = float(resid @ resid / (n - p))
        leverage = np.einsum("ij,jk,ik->i", f, xtx_inv, f)
        loo = resid / np.clip(1.0 - leverage, 1e-12, None)
        return cls(lo, hi, coef, xtx_inv, resid_var, max(0.0, resid_var - noise_var_of_mean), loo)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The expected output at each row of ``x`` and its variance."""
        f = _features((np.atleast_2d(np.asarray(x, dtype=float)) - self.lower) / (self.upper - self.lower))
        mean = f @ self.coef
        var = self.lack_of_fit_var + self.resid_var * np.einsum("ij,jk,ik->i", f, self.xtx_inv, f)
        return mean, var

    def loo_standardised(self) -> np.ndarray:
        """Leave-one-out errors over the residual standard deviation (about N(0, 1) for a good emulator)."""
        return (
            self.loo_errors / np.sqrt(self.resid_var)
            if self.resid_var > 0.0
            else np.zeros_like(self.loo_errors)
        )


def implausibility(targets: Sequence[Target], means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """``|z - E[f(x)]| / sqrt(sd² + Var[f(x)])``, one column per target (``means``, ``variances``: n x k)."""
    z = np.array([t.observed for t in targets])
    sd2 = np.array([t.sd**2 for t in targets])
    means, variances = np.atleast_2d(means), np.atleast_2d(variances)
    if means.shape[1] != len(targets) or variances.shape != means.shape:
        raise ValueError("means and variances need one column per target")
    return np.abs(z - means) / np.sqrt(sd2 + variances)


def nroy(imp: np.ndarray, cutoff: float = CUTOFF, allow: int = 0) -> np.ndarray:
    """Points not ruled out: the ``allow + 1``-th largest implausibility is at most ``cutoff``."""
    imp = np.atleast_2d(imp)
    if not 0 <= allow < imp.shape[1]:
        raise ValueError(f"allow must be between 0 and {imp.shape[1] - 1}")
    ranked = -np.sort(-imp, axis=1)
    return ranked[:, allow] <= cutoff
