"""Any change to a valid study file is either accepted whole or refused with usable problems.

Hypothesis takes the demo study and replaces, removes or adds one value anywhere in it
(wrong types, NaN, huge numbers, control characters, long text, nesting). The validator
must never crash: it returns a definition that survives its own JSON round trip, or it
raises ``StudyFileError`` naming the file and, for every problem, a key path and a message
that does not leak a server path.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.definition import EXPERIMENTS_DIR, StudyDefinition, StudyFileError, parse_study

ROOT = str(Path(__file__).resolve().parents[2])
DEMO = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text(encoding="utf-8"))


def _paths(node, prefix=()):
    """Every place in the nested data: tuples of keys and list indices."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = [p for p in _paths(DEMO) if p]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), max_size=5),
    st.sampled_from(["", " ", "a" * 5000, "public", "private", "friend", "consent", "design", "collar", "{suggestion}",
                     "../../etc/passwd", "https://example.org", "\x00", "ü", "日本"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
EDIT = st.tuples(st.sampled_from(PATHS), st.sampled_from(["replace", "remove", "add"]), VALUES, st.text(max_size=12))


def _apply(data, path, action, value, new_key):
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "remove":
        del parent[last]
    elif isinstance(parent, dict):
        parent[new_key or "extra"] = value
    else:
        parent.append(value)


@pytest.mark.slow  # fuzzing: 300 edited study files
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(EDIT, min_size=1, max_size=3))
def test_any_edit_of_a_valid_file_is_accepted_or_refused_with_named_problems(edits):
    data = copy.deepcopy(DEMO)
    for path, action, value, new_key in edits:
        try:
            _apply(data, path, action, value, new_key)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier edit removed or replaced this place (by a scalar, even None)
    try:
        definition = parse_study(data, source="study.toml")
    except StudyFileError as error:
        assert error.source == "study.toml" and error.problems
        for key, message in error.problems:
            assert isinstance(key, str) and key, error.problems
            assert isinstance(message, str) and message and ROOT not in message, error.problems
        assert str(error).startswith("study.toml: ")
        return
    again = StudyDefinition.from_json(definition.to_json())
    assert again.fingerprint() == definition.fingerprint()
    assert isinstance(definition.time_limit_minutes, int) and 5 <= definition.time_limit_minutes <= 24 * 60


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**63, -1, 0])
def test_impossible_numbers_in_the_time_limit_are_refused_by_name(value):
    data = copy.deepcopy(DEMO)
    data["study"]["time_limit_minutes"] = value
    with pytest.raises(StudyFileError) as caught:
        parse_study(data, source="study.toml")
    assert any(key == "study.time_limit_minutes" for key, _ in caught.value.problems), caught.value.problems
