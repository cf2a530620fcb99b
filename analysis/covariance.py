"""Coefficient covariance matrices for OLS: classical and heteroskedasticity-consistent.

All types are computed here with numpy (statsmodels lacks HC4, and one code path keeps
the types comparable). Every type is paired with t tests on the residual df, as PROCESS does.

HC0  White (1980): e_i^2
HC1  HC0 * n / (n - p)
HC2  e_i^2 / (1 - h_ii)
HC3  e_i^2 / (1 - h_ii)^2                        (MacKinnon & White 1985)
HC4  e_i^2 / (1 - h_ii)^delta_i, delta_i = min(4, n h_ii / p)   (Cribari-Neto 2004)
"""

from __future__ import annotations

import numpy as np

COV_TYPES = ("OLS", "HC0", "HC1", "HC2", "HC3", "HC4")


def normalize_cov_type(name: str) -> str:
    """Accept any capitalisation, and 'nonrobust' as statsmodels calls OLS."""
    key = str(name).strip().upper()
    if key in ("NONROBUST", "CLASSICAL"):
        key = "OLS"
    if key not in COV_TYPES:
        raise ValueError(f"unknown covariance type {name!r}; choose one of {', '.join(COV_TYPES)}")
    return key


def leverage(design: np.ndarray, xtx_inv: np.ndarray) -> np.ndarray:
    """Diagonal of the hat matrix X (X'X)^-1 X' without forming the n x n matrix."""
    leverages: np.ndarray = np.sum((design @ xtx_inv) * design, axis=1)
    return leverages


def residual_weights(kind: str, resid: np.ndarray, hat: np.ndarray, n: int, p: int) -> np.ndarray:
    """Per-observation weights omega_i in the sandwich (X'X)^-1 X' diag(omega) X (X'X)^-1."""
    squared = resid**2
    if kind == "HC0":
        return squared
    if kind == "HC1":
        return squared * n / (n - p)
    one_minus_h = 1.0 - hat
    if kind == "HC2":
        return squared / one_minus_h
    if kind == "HC3":
        return squared / one_minus_h**2
    if kind == "HC4":
        delta = np.minimum(4.0, n * hat / p)
        return squared / one_minus_h**delta
    raise ValueError(kind)


def coefficient_covariance(
    design: np.ndarray, resid: np.ndarray, kind: str = "HC3", xtx_inv: np.ndarray | None = None
) -> np.ndarray:
    """Covariance of the OLS coefficients for the given residuals and covariance type."""
    kind = normalize_cov_type(kind)
    n, p = design.shape
    if xtx_inv is None:
        xtx_inv = np.linalg.inv(design.T @ design)
    if kind == "OLS":
        sigma2 = float(resid @ resid) / (n - p)
        classical: np.ndarray = sigma2 * xtx_inv
        return classical
    hat = leverage(design, xtx_inv)
    if kind in ("HC2", "HC3", "HC4") and np.any(hat > 1.0 - 1e-10):
        raise ValueError(f"a case has leverage 1 (it alone determines a coefficient), so {kind} "
                         "is undefined; use HC0 or HC1, or check the data")
    omega = residual_weights(kind, resid, hat, n, p)
    meat = (design * omega[:, None]).T @ design
    cov = xtx_inv @ meat @ xtx_inv
    symmetric: np.ndarray = (cov + cov.T) / 2.0
    return symmetric
