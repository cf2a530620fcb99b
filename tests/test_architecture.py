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


PURE_CORE = ["experiments.definition", "experiments.steps", "experiments.behaviour",
             "webapp.domain.render", "analysis.models", "analysis.report"]
LOADED_AFTER_EACH = """
import importlib, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
    print(module, sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))
"""


def _imports_alone(module: str) -> subprocess.CompletedProcess:
    code = f"import sys, {module}; print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})


@pytest.fixture(scope="module")
def pure_core_imports() -> dict[str, subprocess.CompletedProcess]:
    """What importing each pure-core module loads, from one interpreter while nothing has loaded Flask or SQLAlchemy.

    The modules are imported one after another; as long as neither is loaded after a module's
    import, that module (with all before it) loads neither. From the first module after which
    one is loaded on, each module is checked again alone in a fresh interpreter, so a failure
    names the module that brought it in.
    """
    together = subprocess.run([sys.executable, "-c", LOADED_AFTER_EACH, *PURE_CORE], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    loaded = dict(line.split(" ", 1) for line in together.stdout.splitlines())
    results = {}
    for module in PURE_CORE:
        if together.returncode == 0 and loaded.get(module) == "[]":
            results[module] = subprocess.CompletedProcess(together.args, 0, "[]\n", together.stderr)
        else:
            results[module] = _imports_alone(module)
    return results


@pytest.mark.parametrize("module", PURE_CORE)
def test_the_pure_core_imports_without_flask_or_sqlalchemy(module, pure_core_imports):
    result = pure_core_imports[module]
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
