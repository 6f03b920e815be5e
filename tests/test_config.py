"""Settings: the one development key, and a refused environment in one line."""

from __future__ import annotations

import pydantic
import pytest

from paperfeed.cli.app import run
from paperfeed.config import MIN_SECRET_LENGTH, Settings


def settings(tmp_path, **values) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)


def test_development_without_a_key_derives_one_stable_key_per_database(tmp_path):
    first = settings(tmp_path, database_url="sqlite:///a.db").signing_key
    assert len(first) >= MIN_SECRET_LENGTH
    assert settings(tmp_path, database_url="sqlite:///a.db").signing_key == first  # every process agrees
    assert settings(tmp_path, database_url="sqlite:///b.db").signing_key != first


def test_a_configured_key_is_used_as_it_is(tmp_path):
    key = "k" * MIN_SECRET_LENGTH
    assert settings(tmp_path, secret_key=key).signing_key == key
    assert settings(tmp_path, secret_key="short-dev-key").signing_key == "short-dev-key"  # development only


@pytest.mark.parametrize(("key", "problem"), [(None, "is not set"), ("short", "has only 5 characters")])
def test_production_refuses_a_missing_or_short_key(tmp_path, key, problem):
    expected = f"refusing to start in production: PAPERFEED_SECRET_KEY {problem}"
    with pytest.raises(pydantic.ValidationError, match=expected):
        settings(tmp_path, environment="production", secret_key=key)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PAPERFEED_ENVIRONMENT", "production", "refusing to start in production: PAPERFEED_SECRET_KEY is not set"),
    ("PAPERFEED_WEB_PORT", "99999", "PAPERFEED_WEB_PORT: Input should be less than or equal to 65535"),
])
def test_the_cli_reports_a_refused_configuration_in_one_line(tmp_path, monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PAPERFEED_SECRET_KEY", raising=False)
    monkeypatch.setenv(variable, value)
    assert run(["stats"]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert said.startswith("error: invalid configuration:")
    assert message in said
    assert "Traceback" not in said
