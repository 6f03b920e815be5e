"""deploy/ cannot be run here (no Docker, no systemd), so what it runs is checked against the real thing:
every `paperfeed ...` command line in the units, the Compose file and the Dockerfile parses with the
real CLI and answers --help; the healthcheck runs against a real server; the settings the files pass
are valid Settings; the Dockerfile installs what the Makefile installs; the version is pyproject's."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
import yaml
from limits.storage import storage_from_string

from paperfeed.cli import app, run
from paperfeed.config import Settings
from paperfeed.web.middleware import OPS_ENDPOINTS
from serve_process import serving

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
MAKEFILE = (REPO / "Makefile").read_text()
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
# Commands a deploy file names before they exist, and what brings each. Once one exists this test
# fails until it is taken off the list, and from then on its command lines are checked like the others.
PENDING: dict[str, str] = {}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def unit_commands() -> list[tuple[str, list[str]]]:
    return [(f"{path.name} {key}", shlex.split(unit(path)["Service"][key]))
            for path in UNITS for key in ("ExecStartPre", "ExecStart") if key in unit(path)["Service"]]


def compose_commands() -> list[tuple[str, list[str]]]:
    return [(f"compose {name}", service["command"]) for name, service in COMPOSE["services"].items()
            if service.get("command", [""])[0] == "paperfeed"]


def dockerfile_commands() -> list[tuple[str, list[str]]]:
    return [("Dockerfile CMD", json_array) for json_array in
            (yaml.safe_load(line.removeprefix("CMD ")) for line in DOCKERFILE.splitlines() if line.startswith("CMD "))]


COMMAND_LINES = unit_commands() + compose_commands() + dockerfile_commands()


def parsed(arguments: list[str]):
    """The click context of the command `arguments` name, parsed and converted as the CLI would (an
    unknown option, a bad value or a missing command raises), without running it."""
    command = typer.main.get_command(app)
    context = command.make_context("paperfeed", list(arguments))
    while hasattr(command, "resolve_command"):  # a group: on to the command it names
        name, command, rest = command.resolve_command(context, [*context._protected_args, *context.args])
        context = command.make_context(name, rest, parent=context)
    return context


def test_the_deploy_files_name_the_commands_they_run():
    names = {label.split()[0] for label, _ in COMMAND_LINES}
    assert names == {"paperfeed-web.service", "paperfeed-worker.service", "compose", "Dockerfile"}
    assert {tuple(argv[1:3]) for _, argv in COMMAND_LINES} >= {("serve", "--host"), ("db", "upgrade"), ("worker",)}


@pytest.mark.parametrize(("where", "argv"), COMMAND_LINES, ids=[label for label, _ in COMMAND_LINES])
def test_every_command_line_is_one_the_cli_runs(where, argv, capsys):
    assert Path(argv[0]).name == "paperfeed", f"{where} runs {argv[0]}, not the paperfeed command"
    if argv[1] in PENDING:
        with pytest.raises(typer.TyperException, match=f"No such command '{argv[1]}'"):
            parsed(argv[1:])
        return
    assert parsed(argv[1:]).command_path == "paperfeed " + " ".join(a for a in argv[1:3] if not a.startswith("-"))
    assert run([*argv[1:], "--help"]) == 0, capsys.readouterr().err


def test_the_units_run_one_installed_paperfeed_with_the_environment_file():
    services = [unit(path)["Service"] for path in UNITS]
    assert len({shlex.split(s["ExecStart"])[0] for s in services}) == 1
    assert {s["EnvironmentFile"] for s in services} == {"/etc/paperfeed/paperfeed.env"}
    assert all(s["User"] == "paperfeed" and s["StateDirectory"] == "paperfeed" for s in services)
    web = shlex.split(unit(DEPLOY / "paperfeed-web.service")["Service"]["ExecStart"])
    assert web[web.index("--host") + 1] == "127.0.0.1"  # behind the proxy on the same machine


def env_file(path: Path, *, commented: bool = False) -> dict[str, str]:
    """The KEY=value lines of an environment file; with `commented`, the examples (#KEY=value) too."""
    pattern = re.compile(r"#?([A-Z_]+)=(.*)" if commented else r"([A-Z_]+)=(.*)")
    pairs = (pattern.fullmatch(line.strip()) for line in path.read_text().splitlines())
    return {match.group(1): match.group(2) for match in pairs if match}


def settings_from(variables: dict[str, str], monkeypatch) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_the_environment_file_example_is_valid_settings_once_its_secret_is_filled_in(monkeypatch):
    example = DEPLOY / "paperfeed.env.example"
    named = env_file(example, commented=True)
    unknown = {name for name in named if name.removeprefix("PAPERFEED_").lower() not in Settings.model_fields}
    assert not unknown, f"not settings: {unknown}"
    active = env_file(example)
    assert active["PAPERFEED_SECRET_KEY"] == ""  # no example key anyone could copy
    with pytest.raises(ValueError, match="refusing to start in production: PAPERFEED_SECRET_KEY is not set"):
        settings_from(active, monkeypatch)
    settings = settings_from({**active, "PAPERFEED_SECRET_KEY": "k" * 48}, monkeypatch)
    assert sa.engine.make_url(settings.resolved_database_url).get_backend_name() == "postgresql"
    storage_from_string(settings.rate_limit_storage)  # limits accepts it (the redis client is installed)
    assert settings.log_format == "json"


COMPOSE_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def interpolated(value: str, given: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} with the variables `given`."""
    def one(match: re.Match) -> str:
        name, kind, rest = match.groups()
        if given.get(name):
            return given[name]
        assert kind != "?", f"compose would refuse to start without {name}: {rest}"
        return rest or ""
    return COMPOSE_VARIABLE.sub(one, value)


def test_the_compose_file_passes_valid_settings_that_point_at_its_own_services(monkeypatch):
    variables = set(COMPOSE_VARIABLE.findall((DEPLOY / "compose.yaml").read_text()))
    documented = env_file(DEPLOY / "compose.env.example")
    assert {name for name, _, _ in variables} <= set(documented), "every variable is in compose.env.example"
    given = {name: "s" * 48 for name in documented}
    web = COMPOSE["services"]["web"]
    settings = settings_from({k: interpolated(str(v), given) for k, v in web["environment"].items()}, monkeypatch)
    database = sa.engine.make_url(settings.resolved_database_url)
    assert database.get_backend_name() == "postgresql" and database.host in COMPOSE["services"]
    assert database.username == COMPOSE["services"]["postgres"]["environment"]["POSTGRES_USER"]
    storage_from_string(settings.rate_limit_storage)
    assert settings.rate_limit_storage.startswith("redis://redis:") and "redis" in COMPOSE["services"]
    assert settings.metrics_token is not None  # given; left unset in .env it is None (tests/web/test_metrics.py)
    assert set(web["depends_on"]) == {"migrate", "redis"}
    assert COMPOSE["services"]["migrate"]["command"] == ["paperfeed", "db", "upgrade"]
    assert "profiles" not in COMPOSE["services"]["worker"]  # `up` starts the worker beside the web
    assert "--no-jobs" in web["command"]  # ...and the web leaves the jobs to it


def test_the_compose_healthcheck_asks_the_real_readiness_route_of_a_real_server(tmp_path):
    web = COMPOSE["services"]["web"]
    kind, *command = web["healthcheck"]["test"]
    assert kind == "CMD" and command[:2] == ["python", "-c"]
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", command[2])
    assert url.group(1) == web["command"][web["command"].index("--port") + 1]
    assert url.group(2) in OPS_ENDPOINTS
    with serving(tmp_path) as (base, _):
        probe = command[2].replace(f"http://127.0.0.1:{url.group(1)}", base)
        assert subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0
    stopped = subprocess.run([sys.executable, "-c", probe], capture_output=True)
    assert stopped.returncode != 0  # a server that is gone fails the check


def make_variable(name: str) -> str:
    return re.search(rf"^{name} := (.+)$", MAKEFILE, re.MULTILINE).group(1).strip()


def docker_arg(name: str) -> str:
    return re.search(rf"^ARG {name}=(.+)$", DOCKERFILE, re.MULTILINE).group(1).strip()


def test_the_image_installs_what_the_makefile_installs():
    assert docker_arg("TORCH") == make_variable("TORCH")
    assert docker_arg("TORCH_CPU_INDEX") == make_variable("TORCH_CPU_INDEX")
    for lock in (docker_arg("LOCK"), "serve"):
        assert (REPO / "requirements" / f"{lock}.lock").exists()
    assert "--require-hashes" in DOCKERFILE
    assert re.search(r"^vendor:", MAKEFILE, re.MULTILINE) and "RUN make vendor" in DOCKERFILE
    assert f"/build/{make_variable('VENDOR')}/" in DOCKERFILE
    copied = [part for line in DOCKERFILE.splitlines() if line.startswith("COPY ") and "--from" not in line
              for part in line.split()[1:-1]]
    missing = [source for source in copied if not (REPO / source).exists()]
    assert not missing, f"the Dockerfile copies what the repository lacks: {missing}"


def test_every_deploy_file_is_explained_in_the_readme():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Deploy"):]
    section = section[:section.find("\n## ", 1)]
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in section or path.name in section, f"README's Deploy section skips {path.name}"
    for route in OPS_ENDPOINTS:
        assert route in section


@pytest.mark.parametrize("command", [["paperfeed"], [sys.executable, "-m", "paperfeed"]], ids=["script", "module"])
def test_the_version_is_pyprojects(command):
    if command == ["paperfeed"]:
        command = [str(Path(sys.executable).parent / "paperfeed")]
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, f"paperfeed {VERSION}")


def test_the_api_schema_and_the_user_agent_carry_the_same_version(tmp_path):
    from paperfeed.web.app import create_app

    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k" * 48)
    assert create_app(settings).openapi()["info"]["version"] == VERSION
    assert settings.user_agent.startswith(f"paperfeed/{VERSION} ")
