"""Least-squares primitives shared by the moderation and the conditional process models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats


def ols(design: np.ndarray, response: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares fit returning coefficients, residuals and (X'X)^-1; refuses a rank-deficient X."""
    q, r = np.linalg.qr(design)
    if design.shape[0] <= design.shape[1]:
        raise ValueError(f"too few cases ({design.shape[0]}) for {design.shape[1]} coefficients")
    diag = np.abs(np.diag(r))
    if diag.min() <= 1e-10 * max(diag.max(), 1.0):
        raise ValueError("the design matrix is singular (a constant or duplicated predictor?)")
    params = np.linalg.solve(r, q.T @ response)
    resid = response - design @ params
    r_inv = np.linalg.inv(r)
    return params, resid, r_inv @ r_inv.T


def wald_f(params: np.ndarray, cov: np.ndarray, indices: Sequence[int],
           df_resid: int) -> tuple[float, int, int, float]:
    """Wald F for H0: the listed coefficients are all zero (equals the classical F under OLS)."""
    sub_b = params[indices]
    sub_v = cov[np.ix_(indices, indices)]
    q = len(indices)
    f_value = float(sub_b @ np.linalg.solve(sub_v, sub_b)) / q
    return f_value, q, int(df_resid), float(stats.f.sf(f_value, q, df_resid))


def r_squared(response: np.ndarray, resid: np.ndarray) -> float:
    centred = response - response.mean()
    total = float(centred @ centred)
    if total == 0.0:
        return float("nan")  # a constant outcome has no variance to explain
    return 1.0 - float(resid @ resid) / total
