"""Reading and validating exports: good files parse, bad ones are named precisely."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.load import InputError, read_participants, read_suggestions

HEADER = "participant_id,condition,holism,conformity,closeness,evaluation,attention_passed,age,gender\n"


def write(tmp_path, text, name="participants.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def good_rows():
    return [
        "a1,public,4.5,0.5,3,5,true,30,female",
        "a2,private,3.0,0.25,4,4.5,false,41,male",
        "a3,Public,5,0,5,6,True,25,male",
        "a4,private,6,1,,3,1,,female",
        "a5,public,2,0.75,2,2,yes,50,female",
        "a6,private,1,0.1,7,7,,22,male",
    ]


def test_reads_codes_and_excludes_failed_attention(tmp_path):
    path = write(tmp_path, HEADER + "\n".join(good_rows()) + "\n")
    study = read_participants(path, covariates=["age", "gender"])
    data = study.data
    assert list(data["participant_id"]) == ["a1", "a3", "a4", "a5", "a6"]
    assert list(data["public"]) == [1.0, 1.0, 0.0, 1.0, 0.0]
    assert np.isnan(data.loc[2, "closeness"]) and np.isnan(data.loc[2, "age"])
    assert study.categorical == frozenset({"gender"})
    assert study.exclusions == {"n_input": 6, "attention_failed": 1, "attention_unknown": 1,
                                "kept_failed_attention": False, "excluded": 1, "n_analysed": 5,
                                "simulated": {"rows": 0, "excluded": 0}, "pilot": {"rows": 0, "excluded": 0}}
    assert study.n_rows == 6 and len(study.sha256) == 64


def test_keep_failed_attention(tmp_path):
    path = write(tmp_path, HEADER + "\n".join(good_rows()) + "\n")
    study = read_participants(path, keep_failed_attention=True)
    assert len(study.data) == 6
    assert study.exclusions["attention_failed"] == 1 and study.exclusions["excluded"] == 0


@pytest.mark.parametrize("token,expected", [("true", True), ("False", False), ("1", True), ("0", False),
                                            ("yes", True), ("NO", False), ("TRUE", True)])
def test_attention_spellings(tmp_path, token, expected):
    row = f"a1,public,4,0.5,3,5,{token},30,female\na2,private,4,0.5,3,5,true,30,male\n"
    study = read_participants(write(tmp_path, HEADER + row))
    assert study.exclusions["attention_failed"] == (0 if expected else 1)


def test_bom_and_whitespace_are_tolerated(tmp_path):
    text = "\ufeff" + HEADER + " a1 , public ,4, 0.5,3,5,true,30,female\na2,private,3,0.2,4,4,true,20,male\n"
    study = read_participants(write(tmp_path, text))
    assert list(study.data["participant_id"]) == ["a1", "a2"]
    assert study.data.loc[0, "conformity"] == 0.5


def bad(tmp_path, text, **options):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_participants(path, **options)
    return info.value, str(info.value), path


def test_missing_column_is_named(tmp_path):
    error, message, path = bad(tmp_path, "participant_id,condition,holism,conformity,closeness\na,public,1,0,1\n")
    assert error.column == "evaluation" and str(path) in message and "missing" in message


def test_missing_covariate_column_is_named(tmp_path):
    error, message, _ = bad(tmp_path, HEADER + good_rows()[0] + "\n", covariates=["income"])
    assert error.column == "income"


def test_non_numeric_value_names_column_and_row(tmp_path):
    rows = good_rows()
    rows[2] = "a3,public,five,0,5,6,true,25,male"
    error, message, path = bad(tmp_path, HEADER + "\n".join(rows) + "\n")
    assert (error.column, error.row) == ("holism", 3)
    assert message.startswith(str(path)) and "row 3" in message and "'five'" in message


def test_unknown_condition_names_row(tmp_path):
    rows = good_rows()
    rows[4] = "a5,secret,2,0.75,2,2,yes,50,female"
    error, message, _ = bad(tmp_path, HEADER + "\n".join(rows) + "\n")
    assert (error.column, error.row) == ("condition", 5) and "'secret'" in message


def test_out_of_scale_value_is_refused(tmp_path):
    rows = good_rows()
    rows[0] = "a1,public,4.5,1.5,3,5,true,30,female"
    error, message, _ = bad(tmp_path, HEADER + "\n".join(rows) + "\n")
    assert (error.column, error.row) == ("conformity", 1) and "0-1" in message


def test_bad_attention_value(tmp_path):
    rows = good_rows()
    rows[1] = "a2,private,3.0,0.25,4,4.5,maybe,41,male"
    error, _, _ = bad(tmp_path, HEADER + "\n".join(rows) + "\n")
    assert (error.column, error.row) == ("attention_passed", 2)


def test_duplicate_participant(tmp_path):
    rows = good_rows() + ["a2,private,3,0.2,4,4,true,20,male"]
    error, message, _ = bad(tmp_path, HEADER + "\n".join(rows) + "\n")
    assert (error.column, error.row) == ("participant_id", 7) and "twice" in message


def test_empty_file_and_header_only(tmp_path):
    _, message, path = bad(tmp_path, "")
    assert str(path) in message and "empty" in message
    _, message, _ = bad(tmp_path, HEADER)
    assert "no data rows" in message


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_participants(tmp_path / "nope.csv")


def test_categorical_moderator_does_not_need_holism(tmp_path):
    text = ("participant_id,condition,culture,conformity,closeness,evaluation\n"
            "a,public,east,0.5,3,5\nb,private,west,0.2,4,4\n")
    study = read_participants(write(tmp_path, text), moderator="culture")
    assert "culture" in study.categorical and "holism" not in study.data.columns


def test_adopted_counts_are_checked(tmp_path):
    text = HEADER.replace("\n", ",n_suggestions,n_adopted\n") + "a1,public,4,0.5,3,5,true,30,female,4,5\n"
    error, _, _ = bad(tmp_path, text)
    assert (error.column, error.row) == ("n_adopted", 1)


def test_suggestions_file(tmp_path):
    text = ("participant_id,attribute,initial_level,suggested_level,final_level,adopted,source,relation\n"
            "a1,collar,x,y,y,true,peer,friend\na1,cuff,x,y,x,false,peer,friend\na2,collar,x,y,x,,peer,friend\n")
    suggestions = read_suggestions(write(tmp_path, text, "suggestions.csv"))
    assert list(suggestions["adopted"].fillna(-1)) == [1.0, 0.0, -1.0]
    bad_text = text.replace("a1,cuff,x,y,x,false", "a1,cuff,x,y,x,perhaps")
    with pytest.raises(InputError) as info:
        read_suggestions(write(tmp_path, bad_text, "suggestions.csv"))
    assert (info.value.column, info.value.row) == ("adopted", 2)
    with pytest.raises(InputError) as info:
        read_suggestions(write(tmp_path, "participant_id,adopted\na1,true\n", "suggestions.csv"))
    assert info.value.column == "attribute"
