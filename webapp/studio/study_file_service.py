"""Reading an uploaded study file safely and installing it for the experimenter who sent it.

Uploaded files are untrusted: the size is bounded, nesting is bounded (tomllib recurses per
level), and only the instruments shipped under experiments/ may be named.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from experiments.definition import EXPERIMENTS_DIR, StudyFileError, parse_study

from ..models import Experimenter, Study, StudyVersion
from ..studies import install_definition, study_by_slug
from ..study_admin import record_action
from .membership_service import EDITING_ROLES, role_in

INSTRUMENT_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.toml$")
STUDY_FILE_MAX_BYTES = 64 * 1024  # the documented limit for a study file (setting STUDY_FILE_MAX_BYTES)
MAX_NESTING = 32  # a study file needs about 4 levels; deeper input only serves to exhaust the parser

Problems = list[tuple[str, str]]


class StudyFileTooLarge(Exception):
    """The uploaded file is over the limit (the request itself may still have been within it)."""


@dataclass(frozen=True)
class Installed:
    study: Study
    version: StudyVersion
    created: bool


def kilobytes(n: int) -> str:
    return f"{n / 1024:.0f} KB"


def safe_name(filename: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", filename or "upload.toml")[:100]


def nesting_depth(data) -> int:
    """How deeply tables and arrays nest, counted without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return deepest


def _unsafe_instruments(data, path: str = "") -> Problems:
    """Uploaded files may only name the shipped instruments, never paths elsewhere on the server."""
    problems = []
    stack = [(data, path)]
    while stack:  # without recursion, so no nesting can exhaust the stack
        value, here = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                there = f"{here}.{key}" if here else key
                if key == "instrument" and not (isinstance(child, str) and INSTRUMENT_NAME.match(child)):
                    problems.append((there,
                                     "an uploaded study can only use the instruments shipped under experiments/"))
                else:
                    stack.append((child, there))
        elif isinstance(value, list):
            stack.extend((child, f"{here}[{index}]") for index, child in enumerate(value))
    return sorted(problems)


def read_study_upload(upload, limit: int) -> tuple[dict | None, Problems]:
    """The uploaded file as TOML data, or the problems that stop it from being read."""
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise StudyFileTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [("(file)", "is not UTF-8 text")]
    too_deep = [("(file)", f"nests arrays or tables more than {MAX_NESTING} levels deep")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [("(syntax)", str(error))]
    except RecursionError:
        return None, too_deep
    if nesting_depth(data) > MAX_NESTING:
        return None, too_deep
    return data, _unsafe_instruments(data)


def load_upload(data: dict, name: str, experimenter: Experimenter) -> tuple[Installed | None, Problems]:
    """Validate and install: a new study owned by the uploader (paused), or a version of one they edit."""
    try:
        definition = parse_study(data, source=name, base=EXPERIMENTS_DIR)
    except StudyFileError as error:
        return None, error.problems
    existing = study_by_slug(definition.slug)
    role = None if existing is None else role_in(existing, experimenter.id)
    if existing is not None and role is None:
        return None, [("study.slug", f"{definition.slug!r} is taken by a study you are not a member of; "
                                     "choose another slug")]
    if existing is not None and role not in EDITING_ROLES:
        return None, [("study.slug", f"you are a viewer of {definition.slug!r}: only its owners and "
                                     "editors can load a new version")]
    study, version, created = install_definition(  # a new study starts paused: pilot, then open
        definition, name, owner=experimenter if existing is None else None, status="paused")
    if created:
        record_action(study, "version_loaded", f"version {version.number} from {name}", experimenter.id)
    return Installed(study, version, created), []
