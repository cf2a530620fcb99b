"""Study definitions (TOML files in this folder), their loader, and the participant simulator."""

from .definition import StudyDefinition, StudyFileError, load_study, parse_study, study_files

__all__ = ["StudyDefinition", "StudyFileError", "load_study", "parse_study", "study_files"]
