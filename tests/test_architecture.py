"""The package boundaries of ARCHITECTURE.md hold: import-linter's contracts (pyproject.toml) are kept,
and a broken contract makes the check fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(*args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or "lint-imports"]
    return subprocess.run([*command, "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)})


def test_the_import_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails_the_check(tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["webapp"]\ninclude_external_packages = true\n\n'
                      '[[tool.importlinter.contracts]]\nname = "participant pages without Flask (false)"\n'
                      'type = "forbidden"\nsource_modules = ["webapp.participant"]\nforbidden_modules = ["flask"]\n',
                      "utf-8")
    result = lint_imports("--config", str(config))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


@pytest.mark.parametrize("module", ["experiments.definition", "experiments.steps", "experiments.behaviour",
                                    "webapp.domain.render", "analysis.models", "analysis.report"])
def test_the_pure_core_imports_without_flask_or_sqlalchemy(module):
    code = f"import sys, {module}; print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
