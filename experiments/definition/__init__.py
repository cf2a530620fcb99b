"""A study as data: load a TOML study file, validate it, and expose a typed definition.

Every error names the file, the key, the bad value and what is allowed, and all errors
of a file are reported at once, so a researcher fixes a file in one pass.

The package is split by job: `parts` (value types and vocabulary), `reader` (checked reading with every
problem kept), `localisation` (languages and translation tables), `model` (StudyDefinition with its JSON
form and localized copies), `sections` with `questionnaires`, `suggestions` and `personas` (the section
parsers behind `parse_study`) and `files` (study files on disk). These names are the package's interface.
"""

from .files import load_study, study_files
from .localisation import study_texts
from .model import StudyDefinition
from .parts import EXPERIMENTS_DIR, SLUG_RE, StudyFileError
from .sections import parse_study

__all__ = ["EXPERIMENTS_DIR", "SLUG_RE", "StudyDefinition", "StudyFileError", "load_study", "parse_study",
           "study_files", "study_texts"]
