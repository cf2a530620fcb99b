"""Timings for the analysis package: ``python benchmarks/bench_analysis.py``.

1. ``fit`` on 10,000 participants: read and validate the CSV, fit H1 and H2 with HC3,
   probe and Johnson–Neyman (no plots, no bootstrap).
2. The ratio the issue sets (target <= 3): ``fit`` on 100,000 participants (everything the
   command computes, diagnostics and the binomial check included) against reading the same file
   with ``pandas.read_csv`` plus two statsmodels HC3 fits (formula API, as an analyst would
   write them), in the same process, runs interleaved.
3. 5,000 percentile-bootstrap resamples of one moderation model on 1,000 participants.

Data are synthetic (numpy, fixed seed). Each timing is repeated and the median printed in ms.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.bootstrap import bootstrap_moderation  # noqa: E402
from analysis.models import fit_h1  # noqa: E402
from analysis.pipeline import AnalysisOptions, analyse  # noqa: E402

REPEATS = 7


def synthetic_export(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    public = rng.integers(0, 2, n)
    holism = np.clip(rng.normal(4.5, 1.0, n), 1, 7).round(2)
    k = rng.integers(3, 8, n)
    logit = -1.0 + 0.3 * public + 0.4 * public * (holism - 4.5)
    adopted = rng.binomial(k, 1 / (1 + np.exp(-logit)))
    conformity = adopted / k
    closeness = rng.integers(1, 8, n).astype(float)
    evaluation = np.clip(4 + 0.8 * conformity + 0.3 * conformity * (closeness - 4) + rng.normal(0, 1, n), 1, 7)
    return pd.DataFrame({
        "participant_id": [f"p{i:06d}" for i in range(n)],
        "condition": np.where(public == 1, "public", "private"),
        "relation": rng.choice(["friend", "stranger"], n),
        "holism": holism, "conformity": conformity.round(4), "conformity_distance": rng.random(n).round(3),
        "n_suggestions": k, "n_adopted": adopted, "closeness": closeness, "evaluation": evaluation.round(2),
        "wtp": rng.gamma(4, 10, n).round(2), "manipulation_check": rng.integers(1, 8, n),
        "attention_passed": np.where(rng.random(n) < 0.95, "true", "false"),
        "age": rng.integers(18, 70, n), "gender": rng.choice(["female", "male"], n), "status": "completed",
        "study_version": "1", "started_at": "2025-01-01T09:00:00Z", "completed_at": "2025-01-01T09:12:00Z",
        "duration_s": rng.integers(200, 900, n),
    })


def median_ms(task, repeats: int = REPEATS) -> tuple[float, list[float]]:
    task()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), times


def pandas_and_two_hc3_fits(path) -> None:
    """The reference: what reading the file and fitting both models in statsmodels costs."""
    import statsmodels.formula.api as smf

    frame = pd.read_csv(path)
    frame["public"] = (frame["condition"] == "public").astype(float)
    smf.ols("conformity ~ public * holism", frame).fit(cov_type="HC3")
    smf.ols("evaluation ~ conformity * closeness", frame).fit(cov_type="HC3")


def fit_ratio(path, repeats: int = 5) -> str:
    """Median time of ``fit`` (in process) over the median of the reference, runs interleaved."""
    ours, reference = [], []
    analyse(path, AnalysisOptions()).results()
    pandas_and_two_hc3_fits(path)  # warm-up of both
    for _ in range(repeats):
        start = time.perf_counter()
        pandas_and_two_hc3_fits(path)
        reference.append((time.perf_counter() - start) * 1000.0)
        start = time.perf_counter()
        analyse(path, AnalysisOptions()).results()
        ours.append((time.perf_counter() - start) * 1000.0)
    fit_ms, ref_ms = statistics.median(ours), statistics.median(reference)
    return (f"fit median {fit_ms:.0f} ms, pandas read + 2 statsmodels HC3 fits median {ref_ms:.0f} ms, "
            f"ratio {fit_ms / ref_ms:.2f} (target <= 3)")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "participants.csv"
        synthetic_export(10_000).to_csv(path, index=False)
        fit_ms, fit_all = median_ms(lambda: analyse(path, AnalysisOptions()).results())
        print(f"fit, 10,000 participants (read+validate, H1+H2, HC3, probes, J-N, no plots): "
              f"median {fit_ms:.1f} ms over {len(fit_all)} runs "
              f"(min {min(fit_all):.1f}, max {max(fit_all):.1f})")
        command = [sys.executable, "-m", "analysis", "fit", str(path), "--json", "--quiet"]
        root = Path(__file__).resolve().parents[1]
        cli_ms, cli_all = median_ms(
            lambda: subprocess.run(command, cwd=root, check=True, capture_output=True), repeats=3)
        print(f"  same as a command, python -m analysis fit --json (incl. interpreter start and imports): "
              f"median {cli_ms:.1f} ms over {len(cli_all)} runs")

        big = Path(directory) / "participants_100k.csv"
        synthetic_export(100_000, seed=3).to_csv(big, index=False)
        print(f"fit vs pandas + statsmodels, 100,000 participants: {fit_ratio(big)}")

    frame = synthetic_export(1_000, seed=2)
    frame["public"] = (frame["condition"] == "public").astype(float)
    model = fit_h1(frame)
    boot_ms, boot_all = median_ms(lambda: bootstrap_moderation(model, 5_000, seed=1), repeats=5)
    print(f"bootstrap, 5,000 resamples on 1,000 participants (one model): "
          f"median {boot_ms:.1f} ms over {len(boot_all)} runs "
          f"(min {min(boot_all):.1f}, max {max(boot_all):.1f})")


if __name__ == "__main__":
    main()
