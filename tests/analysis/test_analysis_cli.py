"""The command line end to end: JSON contract, exit status and messages, reports, power."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.__main__ import main

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_KEYS = {"outcome", "focal", "moderator", "formula", "n", "df_resid", "cov_type", "center",
              "coefficients", "r2", "model_f", "model_p", "interaction", "conditional_effects",
              "johnson_neyman"}


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def run_in_process(capsys, *args) -> subprocess.CompletedProcess:
    """The same command through `main` in this interpreter (no second start-up of pandas and statsmodels).

    `python -m analysis` itself is proven by test_fit_json_end_to_end, in a process of its own."""
    capsys.readouterr()
    code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["analysis", *map(str, args)], code, out, err)


def all_numbers_finite(value):
    if isinstance(value, dict):
        return all(all_numbers_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_numbers_finite(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def test_fit_json_end_to_end(participants_csv):
    completed = run_cli("fit", participants_csv, "--json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)  # exactly one JSON object on stdout
    assert set(document) == {"input", "exclusions", "h1", "h2"}
    assert document["input"]["path"] == str(participants_csv)
    assert document["input"]["n_rows"] == 200 and len(document["input"]["sha256"]) == 64
    exclusions = document["exclusions"]
    assert exclusions["n_input"] == 200
    assert exclusions["missing"]["h1"] == 0
    h1, h2 = document["h1"], document["h2"]
    assert MODEL_KEYS <= set(h1) and MODEL_KEYS <= set(h2)
    assert set(h1["coefficients"]) == {"Intercept", "public", "holism", "public:holism"}
    assert set(h2["coefficients"]) == {"Intercept", "conformity", "closeness", "conformity:closeness"}
    assert h1["cov_type"] == "HC3" and h1["center"] == "none"
    assert h1["n"] == 200 - exclusions["attention_failed"]
    assert h2["n"] == h1["n"] - exclusions["missing"]["h2"]
    for model in (h1, h2):
        coefficient = model["coefficients"][model["interaction"]["term"]]
        assert set(coefficient) == {"b", "se", "t", "p", "ci_low", "ci_high"}
        assert all(isinstance(v, float) for v in coefficient.values())
        assert set(model["interaction"]) >= {"term", "r2_change", "f", "df1", "df2", "p"}
        assert [c["label"] for c in model["conditional_effects"]] == [
            "16th percentile", "50th percentile", "84th percentile"]
        assert set(model["conditional_effects"][0]) == {"w", "label", "effect", "se", "t", "p", "ci_low", "ci_high"}
        jn = model["johnson_neyman"]
        assert jn["alpha"] == 0.05 and isinstance(jn["points"], list) and jn["regions"]
    assert all_numbers_finite(document) and "NaN" not in completed.stdout


def test_fit_options_in_process(participants_csv, capsys):
    code = main(["fit", str(participants_csv), "--json", "--cov-type", "hc4", "--center", "continuous",
                 "--covariates", "age,gender", "--at", "2,4,6", "--keep-failed-attention", "--quiet"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    h1 = document["h1"]
    assert h1["cov_type"] == "HC4" and h1["center"] == "continuous"
    assert "gender[T.male]" in h1["coefficients"] and "age" in h1["coefficients"]
    assert [c["w"] for c in h1["conditional_effects"]] == [2.0, 4.0, 6.0]
    assert document["exclusions"]["kept_failed_attention"] is True
    assert h1["n"] == 200


def test_fit_categorical_moderator_and_bootstrap(participants_csv, capsys):
    assert main(["fit", str(participants_csv), "--json", "--moderator", "culture", "--probe", "mean-sd",
                 "--bootstrap", "200", "--seed", "1", "--quiet"]) == 0
    document = json.loads(capsys.readouterr().out)
    h1 = document["h1"]
    assert "public:culture[T.west]" in h1["coefficients"]
    assert [c["label"] for c in h1["conditional_effects"]] == ["east", "west"]
    assert h1["johnson_neyman"] is None
    assert document["h2"]["conditional_effects"][1]["label"] == "mean"
    assert h1["bootstrap"]["n_boot"] == 200 and h1["bootstrap"]["seed"] == 1
    assert main(["fit", str(participants_csv), "--json", "--moderator", "culture", "--bootstrap", "200",
                 "--seed", "1", "--quiet"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["h1"]["bootstrap"] == h1["bootstrap"]


def test_fit_text_tables(participants_csv, capsys):
    completed = run_in_process(capsys, "fit", participants_csv)
    assert completed.returncode == 0, completed.stderr
    for heading in ("Model summary", "Coefficients", "Test of the interaction",
                    "Conditional effects of public at values of holism",
                    "Conditional effects of conformity at values of closeness", "Regions of significance"):
        assert heading in completed.stdout
    assert completed.stderr == ""


def test_bad_input_exits_2_naming_file_column_and_row(tmp_path, capsys):
    path = tmp_path / "broken.csv"
    path.write_text("participant_id,condition,holism,conformity,closeness,evaluation\n"
                    "a,public,4,0.5,3,5\nb,private,4,abc,3,5\n", encoding="utf-8")
    completed = run_in_process(capsys, "fit", path, "--json")
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert str(path) in completed.stderr and "conformity" in completed.stderr and "row 2" in completed.stderr


@pytest.mark.parametrize("text,column", [
    ("", None),
    ("participant_id,condition,holism,conformity,closeness\na,public,4,0.5,3\n", "evaluation"),
    ("participant_id,condition,holism,conformity,closeness,evaluation\na,hidden,4,0.5,3,5\n", "condition"),
])
def test_bad_input_variants_exit_2(tmp_path, capsys, text, column):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    assert main(["fit", str(path)]) == 2
    message = capsys.readouterr().err
    assert str(path) in message
    if column:
        assert f"column '{column}'" in message


def test_unknown_option_value_exits_2(participants_csv, capsys):
    with pytest.raises(SystemExit) as info:
        main(["fit", str(participants_csv), "--cov-type", "HC9"])
    assert info.value.code == 2


@pytest.mark.slow
def test_report_writes_everything(participants_csv, tmp_path):
    out = tmp_path / "report"
    completed = run_cli("report", participants_csv, "--out", out, "--quiet")
    assert completed.returncode == 0, completed.stderr
    names = {p.name for p in out.iterdir()}
    assert {"report.html", "report.md", "results.json", "h1_interaction.png", "h1_floodlight.png",
            "h2_interaction.png", "h2_floodlight.png"} <= names
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads((out / "results.json").read_text())
    assert {"input", "exclusions", "h1", "h2", "robustness"} <= set(results)
    logit = results["robustness"]["suggestion_logit"]
    assert "public:holism" in logit["coefficients"] and logit["n_clusters"] == results["h1"]["n"]
    assert "public:holism" in results["robustness"]["adoption_binomial"]["coefficients"]
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4
    assert "<link" not in html and "<script" not in html and 'src="h1' not in html
    markdown = (out / "report.md").read_text()
    for text in ("Coefficients", "Johnson-Neyman", "Suggestion-level logistic model", "(h1_floodlight.png)"):
        assert text in markdown and text in html


@pytest.mark.slow
def test_report_with_explicit_suggestions_and_without(participants_csv, tmp_path, capsys):
    lonely = tmp_path / "elsewhere"
    lonely.mkdir()
    data = lonely / "participants.csv"
    data.write_bytes(participants_csv.read_bytes())
    assert main(["report", str(data), "--out", str(tmp_path / "r1"), "--quiet"]) == 0
    results = json.loads((tmp_path / "r1" / "results.json").read_text())
    assert "skipped" in results["robustness"]["suggestion_logit"]
    assert "coefficients" in results["robustness"]["adoption_binomial"]  # from n_adopted / n_suggestions
    suggestions = participants_csv.with_name("suggestions.csv")
    assert main(["report", str(data), "--out", str(tmp_path / "r2"), "--suggestions", str(suggestions),
                 "--moderator", "culture", "--quiet"]) == 0
    results = json.loads((tmp_path / "r2" / "results.json").read_text())
    assert "public:culture[T.west]" in results["robustness"]["suggestion_logit"]["coefficients"]
    assert not (tmp_path / "r2" / "h1_floodlight.png").exists()
    assert (tmp_path / "r2" / "h2_floodlight.png").exists()


def test_power_command(capsys):
    assert main(["power", "--n", "50,150", "--sims", "200", "--seed", "1", "--f2", "0.15", "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "H1: public x holism" in table and "H2: conformity x closeness" in table
    assert main(["power", "--hypothesis", "h2", "--n", "50", "--sims", "100", "--seed", "1", "--json",
                 "--quiet"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [row["n"] for row in document["rows"]] == [50] and 0 <= document["rows"][0]["power"] <= 1


def test_data_that_cannot_support_a_model_exits_1(participants_frame, tmp_path, capsys):
    path = tmp_path / "everyone_public.csv"
    participants_frame.assign(condition="public").to_csv(path, index=False)
    assert main(["fit", str(path), "--quiet"]) == 1
    message = capsys.readouterr().err
    assert "H1 cannot be fitted" in message and "singular" in message
