"""The real CLI run in-process for tests: a clean PAPERFEED_* environment and what a command printed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from paperfeed.cli import run


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    @property
    def text(self) -> str:
        """stdout with rich's line wrapping undone, for matching sentences."""
        return " ".join(self.out.split())


def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **settings: str) -> Path:
    """A fresh PAPERFEED_DATA_DIR under tmp_path, no PAPERFEED_* setting from outside, no retries or pauses,
    no stray .env file (the working directory is tmp_path); `settings` adds PAPERFEED_<NAME> values.
    Returns the data folder."""
    for name in [n for n in os.environ if n.startswith("PAPERFEED_")]:
        monkeypatch.delenv(name)
    values = {"DATA_DIR": str(tmp_path / "data"), "HTTP_RETRIES": "0", "ARXIV_DELAY_S": "0", "HF_DELAY_S": "0",
              **{name.upper(): value for name, value in settings.items()}}
    for name, value in values.items():
        monkeypatch.setenv(f"PAPERFEED_{name}", value)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def cli_invoker(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """`invoke("db", "upgrade")` runs `paperfeed db upgrade` and returns its exit code and output."""
    def invoke(*args: str | Path) -> Result:
        capsys.readouterr()
        code = run([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
