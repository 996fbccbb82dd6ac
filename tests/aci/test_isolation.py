"""The rules engine is pure Python: it must not import Django (nor anything of the web app)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "src" / "cpts" / "aci"


def test_importing_the_engine_loads_no_django() -> None:
    code = (
        "import sys, cpts.aci, cpts.aci.rules_doc;"
        "from cpts.aci import default_tree; default_tree();"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_no_engine_module_imports_django_or_the_application() -> None:
    for file in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert not name.startswith("django"), f"{file.name} imports {name}"
                assert not name.startswith("cpts.") or name.startswith("cpts.aci"), (
                    f"{file.name} imports {name}"
                )
