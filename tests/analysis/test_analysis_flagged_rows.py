"""Simulated and pilot rows: left out when mixed with real participants, kept when they are all there is."""

import numpy as np
import pandas as pd

from analysis.load import read_participants


def write(tmp_path, simulated, pilot=None):
    n = len(simulated)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "participant_id": [f"p{i}" for i in range(n)],
        "condition": ["public", "private"] * (n // 2),
        "holism": rng.uniform(2, 6, n).round(2), "conformity": rng.uniform(0, 1, n).round(2),
        "closeness": rng.uniform(1, 7, n).round(2), "evaluation": rng.uniform(1, 7, n).round(2),
        "attention_passed": ["true"] * (n - 1) + ["false"],
        "simulated": ["true" if s else "false" for s in simulated],
    })
    if pilot is not None:
        frame["pilot"] = ["true" if p else "false" for p in pilot]
    path = tmp_path / "participants.csv"
    frame.to_csv(path, index=False)
    return path


def test_simulated_rows_mixed_with_real_ones_are_excluded_and_counted(tmp_path):
    path = write(tmp_path, [True, True, False, False, False, False, False, False])
    study = read_participants(path)
    assert study.exclusions["simulated"] == {"rows": 2, "excluded": 2}
    assert study.exclusions["attention_failed"] == 1
    assert study.exclusions["n_analysed"] == 5
    assert set(study.data["participant_id"]) == {"p2", "p3", "p4", "p5", "p6"}


def test_an_all_simulated_file_is_analysed_whole(tmp_path):
    path = write(tmp_path, [True] * 6)
    study = read_participants(path)
    assert study.exclusions["simulated"] == {"rows": 6, "excluded": 0}
    assert study.exclusions["n_analysed"] == 5  # only the attention failure goes


def test_pilot_rows_are_left_out_of_a_real_study(tmp_path):
    path = write(tmp_path, [False] * 6, pilot=[True, False, False, False, False, False])
    study = read_participants(path)
    assert study.exclusions["pilot"] == {"rows": 1, "excluded": 1}
    assert "p0" not in set(study.data["participant_id"])


def test_a_fit_that_fails_after_flagged_rows_were_left_out_says_how_many(tmp_path):
    import pytest

    from analysis.pipeline import AnalysisOptions, analyse
    path = write(tmp_path, [False] * 4 + [True] * 200)  # 4 real rows beside 200 simulated ones: too few to fit
    with pytest.raises(ValueError) as caught:
        analyse(path, AnalysisOptions())
    message = str(caught.value)
    assert "cannot be fitted" in message and "200 simulated row(s)" in message and "of 204" in message
