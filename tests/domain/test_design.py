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
    with pytest.raises(Exception):
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
    # Importing `webapp.domain` imports the package `webapp` first, whose __init__ pulls in Flask;
    # load the domain modules from their folder instead, as a Flask-free library would be used.
    import webapp.domain
    folder = webapp.domain.__path__[0]
    script = (f"import importlib.util, sys, types\n"
              f"pkg = types.ModuleType('webapp'); pkg.__path__ = []; sys.modules['webapp'] = pkg\n"
              f"spec = importlib.util.spec_from_file_location('webapp.domain', '{folder}/__init__.py', "
              f"submodule_search_locations=['{folder}'])\n"
              f"mod = importlib.util.module_from_spec(spec); sys.modules['webapp.domain'] = mod; spec.loader.exec_module(mod)\n"
              f"import webapp.domain.catalogue, webapp.domain.design, webapp.domain.suggestions, webapp.domain.conformity\n"
              f"import webapp.domain.scoring, webapp.domain.assignment, webapp.domain.visibility, webapp.domain.flow\n"
              f"print([m for m in ('flask', 'sqlalchemy') if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stderr
