"""The house plan, checked: no import cycles between apps or modules, no import hidden in a function
without a reason, and the layers contract (import-linter) kept."""

import subprocess
import sys
from pathlib import Path

from scripts import architecture

ROOT = Path(__file__).resolve().parents[2]


def test_there_are_no_import_cycles_between_apps_or_modules():
    found = architecture.cycles()
    assert found == {"module_cycles": [], "app_cycles": []}


def test_every_import_inside_a_function_says_why():
    unexplained = [(f, n) for f, n, explained in architecture.imports_inside_functions() if not explained]
    assert unexplained == []


def test_the_layers_contract_holds():
    lint = ROOT / ".venv" / "bin" / "lint-imports"
    command = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    result = subprocess.run([*command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout
