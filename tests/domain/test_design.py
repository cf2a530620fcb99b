"""Designs are immutable values; parsing untrusted input is strict; diffs list what moved."""

import json
import subprocess
import sys

import pytest

from webapp.domain.catalogue import DesignError, shirt_catalogue
from webapp.domain.design import Change, Design, diff


def make_design(**overrides) -> Design:
    design = Design.default()
    for attribute, level in overrides.items():
        design = design.with_level(attribute, level)
    return design


def test_designs_compare_and_hash_by_content():
    a = make_design(collar="spread")
    b = Design.default().with_level("collar", "spread")
    assert a == b and hash(a) == hash(b) and a.digest() == b.digest()
    assert a != Design.default() and a.digest() != Design.default().digest()


def test_with_level_returns_a_new_design_and_leaves_the_old_one_alone():
    original = Design.default()
    changed = original.with_level("colour", "navy")
    assert original["colour"] == "white" and changed["colour"] == "navy"
    with pytest.raises(Exception):  # noqa: B017 - any refusal to assign proves it frozen
        original.choices = ()  # frozen


def test_json_round_trip_keeps_every_choice_and_the_monogram():
    design = make_design(pattern="gingham", monogram="JD")
    assert Design.from_json(design.to_json()) == design
    assert json.loads(design.to_json())["monogram"] == "JD"


def test_parse_fills_missing_attributes_from_the_base_design():
    base = make_design(collar="wing")
    parsed = Design.parse({"colour": "navy"}, shirt_catalogue(), base=base)
    assert parsed["collar"] == "wing" and parsed["colour"] == "navy"


@pytest.mark.parametrize("data, field", [
    ({"sleeve": "long"}, "sleeve"),
    ({"collar": "ruffled"}, "collar"),
    ({"colour": ""}, "colour"),
    ({"monogram": "TOOLONG"}, "monogram"),
])
def test_parse_rejects_unknown_attributes_levels_and_bad_monograms(data, field):
    with pytest.raises(DesignError) as caught:
        Design.parse(data, shirt_catalogue())
    assert caught.value.field == field


def test_parse_refuses_attributes_a_study_has_excluded():
    catalogue = shirt_catalogue().restrict(exclude=["lining"])
    with pytest.raises(DesignError, match="cannot be changed in this study"):
        Design.parse({"lining": "red"}, catalogue)


def test_diff_lists_changed_attributes_in_catalogue_order_with_monogram_last():
    before = Design.default()
    after = make_design(pattern="dots", collar="tab", monogram="AB")
    assert diff(before, after) == (
        Change("collar", "kent", "tab"), Change("pattern", "solid", "dots"), Change("monogram", "", "AB"))
    assert diff(after, after) == ()


def test_the_domain_imports_without_flask_or_sqlalchemy():
    # A fresh interpreter, so nothing imported by other tests hides a dependency.
    modules = ["webapp.domain." + name for name in (
        "catalogue", "design", "suggestions", "conformity", "scoring", "assignment", "visibility", "flow", "render")]
    modules += ["experiments.definition", "experiments.behaviour"]
    script = ("import sys\n" + "".join(f"import {name}\n" for name in modules)
              + "print([m for m in ('flask', 'sqlalchemy', 'werkzeug') if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stderr
