"""The silent or wrong results of issue 12, each pinned by a test that fails without its fix."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.__main__ import main
from analysis.bootstrap import bootstrap_moderation
from analysis.load import InputError, read_participants
from analysis.models import fit_moderation
from analysis.power import analytic_power, simulate_power


def write_frame(tmp_path, frame, name="participants.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_constant_outcome_is_a_clear_error_not_a_traceback(participants_frame, tmp_path, capsys):
    frame = participants_frame.assign(conformity=0.0, n_adopted=0)
    path = write_frame(tmp_path, frame)
    assert main(["fit", str(path), "--quiet"]) == 1
    message = capsys.readouterr().err
    assert "constant" in message and "conformity" in message and "Traceback" not in message


def test_one_text_cell_in_a_numeric_covariate_becomes_missing_and_is_reported(participants_frame, tmp_path, capsys):
    frame = participants_frame.astype({"age": object})
    frame.loc[5, "age"] = "prefer not to say"
    path = write_frame(tmp_path, frame)
    assert main(["fit", str(path), "--json", "--covariates", "age", "--keep-failed-attention"]) == 0
    document = json.loads(capsys.readouterr().out)
    h1 = document["h1"]
    assert "age" in h1["coefficients"] and not any(k.startswith("age[") for k in h1["coefficients"])
    assert h1["n"] == len(frame) - 1 and h1["n_missing"] == 1
    assert document["exclusions"]["text_as_missing"]["age"]["values"] == ["prefer not to say"]
    assert any("prefer not to say" in note for note in document["input"]["notes"])
    # Same coefficients as the file with that cell empty.
    expected = fit_moderation(participants_frame.drop(index=5).assign(
        public=lambda d: (d["condition"] == "public").astype(float)), "conformity", "public", "holism",
        covariates=["age"])
    assert h1["coefficients"]["public:holism"]["b"] == pytest.approx(expected.params[3], rel=1e-10)


def test_a_mostly_text_column_stays_categorical(participants_frame, tmp_path):
    study = read_participants(write_frame(tmp_path, participants_frame), covariates=["gender"])
    assert "gender" in study.categorical and not study.text_as_missing


def test_bootstrap_survives_a_covariate_on_a_large_scale(participants_frame):
    frame = participants_frame.assign(public=(participants_frame["condition"] == "public").astype(float),
                                      income=participants_frame["duration_s"] * 1e6)
    small = fit_moderation(frame.assign(income=frame["duration_s"]), "conformity", "public", "holism",
                           covariates=["income"])
    large = fit_moderation(frame, "conformity", "public", "holism", covariates=["income"])
    boot_small = bootstrap_moderation(small, 300, seed=4)
    boot_large = bootstrap_moderation(large, 300, seed=4)
    assert boot_large["n_failed"] == 0
    for term in ("public", "holism", "public:holism"):
        assert boot_large["coefficients"][term]["ci_low"] == pytest.approx(
            boot_small["coefficients"][term]["ci_low"], rel=1e-6)


def test_bootstrap_with_no_usable_resample_fails_loudly():
    frame = pd.DataFrame({"x": [0.0, 1.0] * 4, "m": np.arange(8.0), "y": np.arange(8.0) ** 2})
    result = fit_moderation(frame, "y", "x", "m", cov_type="OLS")
    result.design = np.column_stack([result.design, np.zeros(8)])  # an all-zero column: always singular
    result.params = np.append(result.params, 0.0)
    with pytest.raises(ValueError, match="none of the"):
        bootstrap_moderation(result, 20, seed=1)


@pytest.mark.slow
def test_interval_level_follows_alpha_in_tables_and_figures(participants_csv, tmp_path, capsys):
    assert main(["fit", str(participants_csv), "--alpha", "0.1", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "90 % CI" in text and "95 % CI" not in text
    out = tmp_path / "report"
    assert main(["report", str(participants_csv), "--out", str(out), "--alpha", "0.1", "--quiet"]) == 0
    markdown = (out / "report.md").read_text()
    assert "90 % CI" in markdown and "95 %" not in markdown
    svg = (out / "h1_interaction.svg").read_text()
    assert "90 % CI" in svg and "95 %" not in svg


def test_power_at_zero_effect_is_alpha_and_bad_effect_sizes_are_refused(capsys):
    assert analytic_power(0.0, 100, alpha=0.05) == pytest.approx(0.05)
    assert main(["power", "--f2", "0", "--n", "50", "--sims", "50", "--seed", "1", "--json", "--quiet"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["analytic_ols"] == pytest.approx(0.05)
    for value in ("-0.1", "nan", "inf"):
        with pytest.raises(SystemExit) as info:
            main(["power", "--f2", value])
        assert info.value.code == 2
    with pytest.raises(ValueError):
        simulate_power("h1", float("nan"), [50], 10)


HEADER = "participant_id,condition,holism,conformity,closeness,evaluation\n"


@pytest.mark.parametrize("rows,row", [
    ("a,public,4,0.5,3,5,\nb,private,4,0.2,3,5,\nc,public,4,0.2,3,5,\n", 1),  # every row (a spreadsheet)
    ("a,public,4,0.5,3,5\nb,private,4,0.2,3,5,\nc,public,4,0.2,3,5\n", 2),
])
def test_trailing_delimiter_is_named_not_a_duplicate_id(tmp_path, rows, row):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + rows)
    with pytest.raises(InputError) as info:
        read_participants(path)
    message = str(info.value)
    assert "trailing delimiter" in message and info.value.row == row and "twice" not in message


def test_semicolon_separated_file_is_named(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER.replace(",", ";") + "a;public;4;0.5;3;5\n")
    with pytest.raises(InputError, match="semicolon"):
        read_participants(path)


def codebook_with(tmp_path, ranges):
    book = {"files": {"participants.csv": [
        {"name": name, "type": "number", "meaning": f"the {name}", "values": f"{lo}–{hi} (x)"}
        for name, (lo, hi) in ranges.items()]}}
    (tmp_path / "codebook.json").write_text(json.dumps(book))


def test_scale_ranges_come_from_the_codebook(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text(HEADER + "a,public,4,0.5,3,9\nb,private,4,0.2,3,1\n")
    with pytest.raises(InputError, match="outside the scale 1-7"):
        read_participants(path)  # no codebook: the default 1-7 applies
    codebook_with(tmp_path, {"evaluation": (1, 9), "holism": (1, 7)})
    study = read_participants(path)
    assert study.scales["evaluation"] == {"range": [1.0, 9.0], "source": "codebook"}
    assert study.data["evaluation"].max() == 9.0
    codebook_with(tmp_path, {"evaluation": (1, 5)})
    with pytest.raises(InputError, match="outside the scale 1-5"):
        read_participants(path)


@pytest.mark.slow
def test_wtp_is_described_in_the_report(participants_csv, tmp_path):
    out = tmp_path / "r"
    assert main(["report", str(participants_csv), "--out", str(out), "--quiet"]) == 0
    markdown = (out / "report.md").read_text()
    header = next(line for line in markdown.splitlines() if line.startswith("| condition |"))
    assert "wtp" in header


def test_probe_values_outside_the_data_or_scale_are_noted(participants_csv, capsys):
    assert main(["fit", str(participants_csv), "--json", "--at", "0.5,4,7", "--quiet"]) == 0
    document = json.loads(capsys.readouterr().out)
    h1 = document["h1"]
    labels = [row["label"] for row in h1["conditional_effects"]]
    assert "outside the scale" in labels[0] and "outside" not in labels[1]
    assert any("0.5" in note and "extrapolation" in note for note in h1["notes"])
    observed_max = max(row["w"] for row in h1["conditional_effects"])
    assert observed_max == 7.0
