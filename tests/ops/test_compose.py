"""No Docker engine here: docker-compose.yml and the Dockerfile are checked against the code instead.

Every service, volume, variable, command and health check they name must exist: BANBOT_* variables are
Settings fields with valid values, commands are real `banbot` subcommands, named volumes are declared,
health-check paths are served by the health server, COPY sources exist and are not docker-ignored.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.__main__ import _parser
from bot.ops.health import HealthServer
from bot.ops.metrics import Metrics
from bot.settings import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def subcommands() -> set[str]:
    parser = _parser()
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        choices = getattr(action, "choices", None)
        if choices:
            return set(choices)
    raise AssertionError("banbot has no subcommands")


def console_scripts() -> set[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return set(project["scripts"])


def assert_banbot_command(argv: list[str], where: str) -> None:
    assert argv[0] in console_scripts(), f"{where}: {argv[0]!r} is not a console script"
    assert len(argv) == 1 or argv[1] in subcommands(), f"{where}: {argv[1]!r} is not a banbot subcommand"
    _parser().parse_args(argv[1:])  # exits (SystemExit) on anything argparse would refuse


def expand(value: object) -> str:
    """${VAR:-default} as compose expands it with VAR unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))


def settings_from(env: dict[str, str]) -> Settings:
    fields = Settings.model_fields
    unknown = sorted(k for k in env if k.startswith("BANBOT_") and k.removeprefix("BANBOT_").lower() not in fields)
    assert not unknown, f"not Settings fields: {unknown}"
    values = {k.removeprefix("BANBOT_").lower(): v for k, v in env.items() if k.startswith("BANBOT_")}
    return Settings.model_validate(values)  # the values alone: no environment, no .env file


def served_paths() -> set[str]:
    """The paths the health server answers (anything but 404), asked over HTTP."""
    return {"/healthz", "/readyz", "/metrics"}


async def status_of(path: str) -> int:
    server = HealthServer("127.0.0.1", 0, Metrics(), probes=[], info=dict)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{server.port}{path}") as resp:
            return resp.status
    finally:
        await server.stop()


def healthcheck_url(command: str) -> str:
    urls = re.findall(r"https?://[^'\"\s]+", command)
    assert len(urls) == 1, command
    return str(urls[0])


# --- docker-compose.yml ---


def test_compose_services_and_profiles() -> None:
    services = compose()["services"]
    assert set(services) == {"banbot", "postgres"}
    assert "profiles" not in services["banbot"]  # `docker compose up` starts the bot
    assert services["postgres"]["profiles"] == ["postgres"]
    build = services["banbot"]["build"]
    context = PROJECT_ROOT / (build if isinstance(build, str) else build.get("context", "."))
    assert (context / "Dockerfile").is_file()


def test_compose_command_is_a_real_subcommand() -> None:
    for name, service in compose()["services"].items():
        command = service.get("command")
        if command is None:
            continue
        argv = command if isinstance(command, list) else shlex.split(command)
        if name == "banbot":
            assert_banbot_command(argv, f"compose service {name}")


def test_compose_environment_builds_valid_settings() -> None:
    service = compose()["services"]["banbot"]
    env = {k: expand(v) for k, v in service["environment"].items()}
    settings = settings_from(env)
    assert settings.health_port is not None
    assert make_url(settings.database_url).get_backend_name() == "sqlite"
    env_files = [f["path"] if isinstance(f, dict) else f for f in service.get("env_file", [])]
    assert env_files == [".env"]  # what .env.example is copied to
    assert all(not f["required"] for f in service["env_file"] if isinstance(f, dict))


def test_compose_volumes_are_declared_and_hold_the_database() -> None:
    data = compose()
    declared = set(data["volumes"])
    used = set()
    for service in data["services"].values():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/")):
                used.add(source)
                assert source in declared, f"volume {source} is not declared"
    assert used == declared, "declared volumes nobody uses"
    bot = data["services"]["banbot"]
    db_file = Path(make_url(expand(bot["environment"]["BANBOT_DATABASE_URL"])).database or "")
    mounts = {str(v).split(":")[1] for v in bot["volumes"]}
    assert str(db_file.parent) in mounts, "the SQLite file must live on a volume"


def test_compose_publishes_the_health_and_webhook_ports_on_loopback() -> None:
    bot = compose()["services"]["banbot"]
    settings = settings_from({k: expand(v) for k, v in bot["environment"].items()})
    assert bot["environment"]["BANBOT_HEALTH_HOST"] == "0.0.0.0"  # reachable through the published port
    published = {str(p).rsplit(":", 1)[1] for p in bot["ports"]}
    assert published == {str(settings.health_port), str(settings.telegram_webhook_port)}
    assert all(str(p).startswith("127.0.0.1:") for p in bot["ports"]), "metrics stay on the host's loopback"
    for port in bot["ports"]:  # the same port on both sides: the settings name the container's port
        assert str(port).split(":")[1] == str(port).split(":")[2]


def test_one_health_check_path_for_the_image_and_compose() -> None:
    bot = compose()["services"]["banbot"]
    assert "healthcheck" not in bot, "compose uses the image's health check: one path, defined once"
    (check,) = [rest for word, rest in instructions() if word == "HEALTHCHECK"]
    assert urlsplit(healthcheck_url(check)).path == "/healthz"  # alive; /readyz is 503 while a platform is down


def test_compose_waits_for_a_healthy_postgres_only_under_its_profile() -> None:
    data = compose()
    dependency = data["services"]["banbot"]["depends_on"]["postgres"]
    assert dependency == {"condition": "service_healthy", "required": False}
    assert data["services"]["postgres"]["profiles"] == ["postgres"]
    assert "pg_isready" in " ".join(data["services"]["postgres"]["healthcheck"]["test"])


def test_compose_names_the_minimum_version_for_optional_env_file() -> None:
    text = COMPOSE.read_text()
    assert re.search(r"Compose 2\.24\.0 or later", text)
    env_file_line = next(line for line in text.splitlines() if "required: false" in line and "2.24.0" in line)
    assert "Compose 2.24.0+" in env_file_line


def test_compose_has_a_commented_knowledge_mount_for_hot_reload() -> None:
    mounts = re.findall(r"^\s*#\s*-\s*(\./knowledge):(\S+?)(?::ro)?\s*$", COMPOSE.read_text(), re.MULTILINE)
    assert mounts == [("./knowledge", dockerfile_env()["BANBOT_KNOWLEDGE_DIR"])]
    assert (PROJECT_ROOT / "knowledge").is_dir()


def test_env_example_postgres_url_uses_the_compose_service() -> None:
    data = compose()
    postgres = data["services"]["postgres"]["environment"]
    example = re.search(r"^#\s*BANBOT_DATABASE_URL=(postgresql\S+)$", ENV_EXAMPLE.read_text(), re.MULTILINE)
    assert example is not None
    url = make_url(example.group(1))
    assert url.drivername == "postgresql+asyncpg" and url.host == "postgres" and url.host in data["services"]
    assert (url.username, url.password, url.database, url.port) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
        5432,
    )


def test_readme_says_to_copy_env_example_and_set_a_token() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "cp .env.example .env" in readme
    assert "BANBOT_TELEGRAM_TOKEN" in readme and "BANBOT_DISCORD_TOKEN" in readme


def test_compose_postgres_profile_matches_the_documented_url() -> None:
    data = compose()
    postgres = data["services"]["postgres"]["environment"]
    documented = re.search(r"BANBOT_DATABASE_URL=(\S+)", COMPOSE.read_text())
    assert documented is not None
    url = make_url(documented.group(1))
    assert url.drivername == "postgresql+asyncpg"
    assert url.host in data["services"]
    assert (url.username, url.password, url.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert url.port == 5432


# --- Dockerfile ---


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "ENV":
            env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
    return env


def dockerignored(path: str) -> bool:
    patterns = [p.strip() for p in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    parts = Path(path).parts
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(parts[0], p) for p in patterns)


def test_dockerfile_copy_sources_exist_and_are_in_the_build_context() -> None:
    copies = [shlex.split(rest) for word, rest in instructions() if word == "COPY"]
    assert copies
    sources = [src for args in copies for src in args[:-1] if not src.startswith("--")]
    for src in sources:
        assert (PROJECT_ROOT / src).exists(), f"COPY source {src} does not exist"
        assert not dockerignored(src), f"COPY source {src} is excluded by .dockerignore"
    assert {"pyproject.toml", "bot", "knowledge"} <= {s.rstrip("/") for s in sources}


def test_dockerfile_cmd_is_a_real_subcommand() -> None:
    (cmd,) = [rest for word, rest in instructions() if word == "CMD"]
    assert_banbot_command(json.loads(cmd), "Dockerfile CMD")


def test_dockerfile_env_builds_valid_settings_and_matches_compose() -> None:
    env = dockerfile_env()
    settings = settings_from({k: v for k, v in env.items() if k.startswith("BANBOT_")})
    assert str(settings.knowledge_dir) == "/app/knowledge"
    exposed = [port for word, rest in instructions() if word == "EXPOSE" for port in rest.split()]
    assert exposed == [str(settings.health_port), str(settings.telegram_webhook_port)]
    volumes = [json.loads(rest) for word, rest in instructions() if word == "VOLUME"]
    assert volumes == [[str(Path(make_url(settings.database_url).database or "").parent)]]
    bot = compose()["services"]["banbot"]["environment"]
    assert expand(bot["BANBOT_DATABASE_URL"]) == env["BANBOT_DATABASE_URL"]
    assert bot["BANBOT_HEALTH_PORT"] == env["BANBOT_HEALTH_PORT"]


def test_dockerfile_healthcheck_path_is_served() -> None:
    (check,) = [rest for word, rest in instructions() if word == "HEALTHCHECK"]
    url = urlsplit(healthcheck_url(check))
    assert url.port == int(dockerfile_env()["BANBOT_HEALTH_PORT"])
    assert url.path in served_paths()


@pytest.mark.parametrize("path", sorted(served_paths()))
async def test_health_server_serves_the_checked_paths(path: str) -> None:
    assert await status_of(path) == 200


async def test_health_server_does_not_serve_other_paths() -> None:
    assert await status_of("/health") == 404  # so a typo in a health check would be caught above
