"""Fixtures for the analysis tests: synthetic exports and the public reference data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def synthetic_participants(n: int = 200, seed: int = 1) -> pd.DataFrame:
    """A participants export shaped like the platform's, with a real interaction in both models."""
    rng = np.random.default_rng(seed)
    public = rng.integers(0, 2, n)
    holism = np.clip(np.round(rng.normal(4.5, 1.0, n) * 4) / 4, 1, 7)
    k = rng.integers(3, 8, n)
    logit = -1.0 + 0.3 * public + 0.1 * (holism - 4.5) + 0.5 * public * (holism - 4.5)
    adopted = rng.binomial(k, 1 / (1 + np.exp(-logit)))
    conformity = adopted / k
    closeness = rng.integers(1, 8, n).astype(float)
    evaluation = 4 + 0.8 * conformity + 0.1 * (closeness - 4) + 0.4 * conformity * (closeness - 4)
    evaluation = np.clip(evaluation + rng.normal(0, 1, n), 1, 7)
    return pd.DataFrame({
        "participant_id": [f"p{i:05d}" for i in range(n)],
        "condition": np.where(public == 1, "public", "private"),
        "relation": rng.choice(["friend", "stranger"], n),
        "holism": holism,
        "conformity": conformity,
        "conformity_distance": rng.random(n).round(3),
        "n_suggestions": k,
        "n_adopted": adopted,
        "closeness": closeness,
        "evaluation": evaluation.round(2),
        "wtp": rng.gamma(4, 10, n).round(2),
        "manipulation_check": rng.integers(1, 8, n),
        "attention_passed": np.where(rng.random(n) < 0.93, "true", "false"),
        "age": rng.integers(18, 70, n),
        "gender": rng.choice(["female", "male"], n),
        "culture": rng.choice(["east", "west"], n),
        "status": "completed",
        "study_version": "1",
        "started_at": "2025-01-01T09:00:00Z",
        "completed_at": "2025-01-01T09:12:00Z",
        "duration_s": rng.integers(200, 900, n),
    })


def suggestions_for(participants: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    """One row per suggestion, consistent with n_adopted out of n_suggestions."""
    rng = np.random.default_rng(seed)
    rows = []
    for pid, k, a in zip(participants["participant_id"], participants["n_suggestions"], participants["n_adopted"]):
        flags = np.zeros(int(k), dtype=bool)
        flags[: int(a)] = True
        rng.shuffle(flags)
        for j, flag in enumerate(flags):
            rows.append((pid, f"attribute{j}", "a", "b", "b" if flag else "a",
                         "true" if flag else "false", "peer", "friend"))
    return pd.DataFrame(rows, columns=["participant_id", "attribute", "initial_level", "suggested_level",
                                       "final_level", "adopted", "source", "relation"])


@pytest.fixture
def participants_frame():
    return synthetic_participants()


@pytest.fixture
def participants_csv(tmp_path, participants_frame):
    """A participants CSV with a suggestions.csv next to it, and a few missing cells."""
    frame = participants_frame.copy()
    frame["evaluation"] = frame["evaluation"].astype(object)
    frame.loc[[3, 7], "evaluation"] = ""
    path = tmp_path / "participants.csv"
    frame.to_csv(path, index=False)
    suggestions_for(participants_frame).to_csv(tmp_path / "suggestions.csv", index=False)
    return path


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public reference data shipped in tests/analysis/data (or $SCL_REFERENCE_DIR); see PROVENANCE.md."""
    override = os.environ.get("SCL_REFERENCE_DIR")
    directory = Path(override) if override else Path(__file__).resolve().parent / "data"
    if not (directory / "Data_Model1.csv").is_file() or not (directory / "disaster.csv").is_file():
        reason = f"reference data not found in {directory} (set SCL_REFERENCE_DIR)"
        if os.environ.get("SCL_REQUIRE_ALL") == "1":  # CI: a missing component fails, never skips
            pytest.fail(reason)
        pytest.skip(reason)
    return directory


@pytest.fixture
def make_participants():
    """Factory: ``make_participants(n, seed)`` returns a synthetic participants frame."""
    return synthetic_participants


@pytest.fixture
def make_suggestions():
    return suggestions_for
