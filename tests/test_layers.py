"""The layers of docs/ARCHITECTURE.md, checked on the source: an import that crosses
one fails here, before it becomes a habit.

Read with :mod:`ast` (every import, including those inside functions and under
``TYPE_CHECKING``), so a lazy import cannot slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "capdesk"


def _modules(*parts: str) -> list[Path]:
    base = PACKAGE.joinpath(*parts)
    return [base] if base.suffix == ".py" else sorted(base.rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, set[str]]]:
    """Every (module, names imported from it) in ``path``."""
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, {alias.name for alias in node.names}))
    return found


def _offences(
    paths: list[Path], refused: tuple[str, ...], names: frozenset[str] = frozenset()
) -> list[str]:
    offences = []
    for path in paths:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for module, imported in _imports(path):
            if any(module == r or module.startswith(r + ".") for r in refused):
                offences.append(f"{shown}: {module}")
            elif imported & names:
                offences.append(f"{shown}: {module} {sorted(imported & names)}")
    return offences


@pytest.mark.parametrize(
    "layer", ["api", "store", "simulator", "services.py", "history_access.py", "card_batches.py"]
)
def test_the_lower_layers_know_no_qt(layer):
    assert _offences(_modules(layer), ("PySide6", "qasync", "capdesk.ui")) == []


def test_widgets_make_no_http_calls_and_hold_no_store():
    """Widgets get values (HistoryEntry, a till's name, constants), never the stores or
    the client: those are the service's, and run in its workers."""
    refused = (
        "requests",
        "urllib3",
        "capdesk.api.client",
        "capdesk.api.transport",
        "capdesk.api.oauth",
        "capdesk.store.credentials",
        "keyring",
        "sqlite3",
    )
    stores = frozenset({"CardHistory", "CredentialStore", "verify_pin", "hash_pin", "load_policy"})
    assert _offences(_modules("ui"), refused, stores) == []


def test_feature_areas_never_import_the_window():
    """They emit signals; the window wires them (no cycle, no reaching in)."""
    areas = [p for p in _modules("ui") if p.parent != PACKAGE / "ui"]
    assert areas, "the ui/ feature subpackages are missing"
    assert _offences(areas, ("capdesk.ui.main_window",)) == []


def test_the_checks_see_a_crossing(tmp_path):
    """The scan itself finds a lazy import, so the tests above can fail."""
    module = tmp_path / "widget.py"
    module.write_text(
        "def f():\n    import requests\n    from capdesk.store.history import CardHistory\n"
    )
    assert len(_offences([module], ("requests",), frozenset({"CardHistory"}))) == 2
