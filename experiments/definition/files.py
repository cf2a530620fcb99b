"""Study files on disk: read one (`load_study`) and list the shipped ones (`study_files`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .model import StudyDefinition
from .parts import EXPERIMENTS_DIR, StudyFileError
from .sections import parse_study


def load_study(path: str | Path) -> StudyDefinition:
    """Read and validate one study file; raise StudyFileError naming the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise StudyFileError(str(path), [("(file)", "does not exist")]) from None
    except UnicodeDecodeError:
        raise StudyFileError(str(path), [("(file)", "is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        raise StudyFileError(str(path), [("(syntax)", str(error))]) from None
    except RecursionError:
        raise StudyFileError(str(path), [("(file)", "is nested too deeply")]) from None
    return parse_study(data, source=str(path), base=path.parent)


def study_files() -> list[Path]:
    """Every study file shipped under experiments/ (instruments are not studies)."""
    return sorted(p for p in EXPERIMENTS_DIR.glob("*.toml"))
