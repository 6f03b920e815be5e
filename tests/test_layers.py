"""Which package may import which: the store sits below the features that use it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "paperfeed"
ABOVE_THE_STORE = ("paperfeed.digest", "paperfeed.search", "paperfeed.web", "paperfeed.cli")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in (PACKAGE / "db").glob("*.py")))
def test_the_store_imports_nothing_from_the_features_above_it(name):
    above = {m for m in imported_modules(PACKAGE / "db" / name) if m.startswith(ABOVE_THE_STORE)}
    assert not above, f"db/{name} imports {sorted(above)}: plain data belongs in paperfeed.models"


SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "text", "func", "exec_driver_sql"})


def sql_used(path: Path) -> set[str]:
    """The tables imported (db.schema) and SQLAlchemy's statement builders called, as `sa.x` or imported."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "paperfeed.db":
            found.update(f"paperfeed.db.{alias.name}" for alias in node.names if alias.name == "schema")
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            found.update(alias.name for alias in node.names if alias.name in SQL_BUILDERS)
        elif isinstance(node, ast.Attribute) and node.attr in SQL_BUILDERS and (
            node.attr == "exec_driver_sql" or isinstance(node.value, ast.Name) and node.value.id == "sa"
        ):
            found.add(node.attr)
    return found | {m for m in imported_modules(path) if m == "paperfeed.db.schema"}


OUTSIDE_THE_STORE = sorted(
    str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "db"
)


@pytest.mark.parametrize("name", OUTSIDE_THE_STORE)
def test_sql_stays_in_the_store(name):
    used = sql_used(PACKAGE / name)
    assert not used, f"{name} uses {sorted(used)}: reads and writes of the tables belong in a module under db/"


@pytest.mark.parametrize(
    "name", sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.parent.name != "cli")
)
def test_terminal_rendering_stays_in_the_cli(name):
    terminal = {m for m in imported_modules(PACKAGE / name) if m == "rich" or m.startswith("rich.")}
    assert not terminal, f"{name} imports {sorted(terminal)}: progress bars and tables belong under cli/"


def test_the_search_front_names_every_export_and_loads_each_on_first_use():
    import paperfeed.search as front

    assert sorted(front.__all__) == sorted(front._HOMES)
    for name in front.__all__:
        assert getattr(front, name) is not None
