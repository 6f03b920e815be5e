"""The README is part of the product: every setting and every CLI command must be documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.cli import app
from paperfeed.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field):
    assert f"PAPERFEED_{field.upper()}" in README


def _command_paths(typer_app, prefix=()):
    for command in typer_app.registered_commands:
        yield (*prefix, command.name or command.callback.__name__.replace("_", "-"))
    for group in typer_app.registered_groups:
        yield from _command_paths(group.typer_instance, (*prefix, group.name))


@pytest.mark.parametrize("path", sorted(_command_paths(app)), ids=" ".join)
def test_every_command_is_documented(path):
    assert f"paperfeed {' '.join(path)}" in README


def test_readme_quick_start_names_the_two_commands():
    assert "make run" in README and "make test" in README
