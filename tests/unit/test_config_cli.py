"""Settings and `shield check-config`: friendly, specific errors and the right exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from shield import __version__
from shield.cli import main
from shield.config import ApiSettings, McpSettings, WorkerSettings

GOOD_TOKEN = "s3cr3t-" + "x" * 24


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "service.env"
    path.write_text(text)
    return path


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_defaults_are_valid_and_documented_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIELD_REDIS_URL", "redis://10.0.0.5:6380/2")
    monkeypatch.setenv("SHIELD_LOG_LEVEL", "debug")
    settings = ApiSettings()
    assert settings.redis_url == "redis://10.0.0.5:6380/2"
    assert settings.log_level == "DEBUG"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert WorkerSettings().redis_url == "redis://10.0.0.5:6380/2"


def test_an_empty_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rendered env files carry every key; an empty inbox must not become the working directory.
    for name in ("SHIELD_INBOX_DIR", "SHIELD_CRAWL_ALLOWLIST", "SHIELD_LIGHTRAG_TOKEN"):
        monkeypatch.setenv(name, "")
    settings = WorkerSettings()
    assert settings.inbox_dir is None
    assert settings.crawl_allowlist == ()
    assert ApiSettings().lightrag_token is None
    monkeypatch.setenv("SHIELD_HOST", "0.0.0.0")
    monkeypatch.setenv("SHIELD_API_TOKEN", "")
    with pytest.raises(ValidationError, match="SHIELD_API_TOKEN must be set"):
        ApiSettings()


def test_api_reachable_from_the_network_needs_a_token() -> None:
    with pytest.raises(ValidationError, match="SHIELD_API_TOKEN must be set"):
        ApiSettings(host="0.0.0.0")
    assert ApiSettings(host="0.0.0.0", api_token=GOOD_TOKEN).api_token is not None


@pytest.mark.parametrize("token", ["changeme", "short", "password"])
def test_weak_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        ApiSettings(api_token=token)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"mcp_public_url": "mcp.example.org"}, "must be an http(s) URL"),
        ({"mcp_public_url": "https://mcp.example.org"}, "set SHIELD_MCP_JWT_ISSUER"),
        (
            {
                "mcp_public_url": "https://mcp.example.org",
                "mcp_jwt_jwks_uri": "https://id.example.org/jwks",
                "mcp_jwt_issuer": "id.example.org",
                "mcp_jwt_audience": "shield-mcp",
            },
            "set SHIELD_MCP_JWT_ISSUER to its URL",
        ),
    ],
)
def test_resource_metadata_needs_a_public_url_and_an_identity_provider(
    fields: dict[str, str], says: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(says)):
        McpSettings(**fields)  # type: ignore[arg-type]
    announced = McpSettings(
        mcp_public_url="https://mcp.example.org",
        mcp_jwt_jwks_uri="https://id.example.org/jwks",
        mcp_jwt_issuer="https://id.example.org",
        mcp_jwt_audience="shield-mcp",
    )
    assert announced.mcp_public_url == "https://mcp.example.org"


def test_remote_embeddings_need_a_url() -> None:
    with pytest.raises(ValidationError, match="SHIELD_EMBEDDING_URL is required"):
        WorkerSettings(embedding_provider="ollama", embedding_model="nomic-embed-text")


def test_check_config_accepts_a_good_file(tmp_path: Path) -> None:
    env = write_env(tmp_path, f"SHIELD_HOST=0.0.0.0\nSHIELD_API_TOKEN={GOOD_TOKEN}\n")
    result = CliRunner().invoke(main, ["check-config", "--service", "api", str(env)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_check_config_names_every_problem(tmp_path: Path) -> None:
    env = write_env(
        tmp_path,
        "SHIELD_PORT=eighty\nSHIELD_REDIS_ULR=redis://x\nSHIELD_REDIS_URL=http://x\n"
        "SHIELD_HOST=0.0.0.0\nSHIELD_API_TOKEN=hunter2\n",
    )
    result = CliRunner().invoke(main, ["check-config", "--service", "api", str(env)])
    assert result.exit_code == 1
    out = result.output
    assert "SHIELD_REDIS_ULR: unknown variable (did you mean SHIELD_REDIS_URL?)" in out
    assert "SHIELD_PORT: Input should be a valid integer" in out
    assert "'eighty'" in out
    assert "SHIELD_REDIS_URL: must start with redis://" in out
    assert "at least 16 characters" in out
    assert "hunter2" not in out  # a secret is never echoed back


def test_check_config_reads_the_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIELD_PORT", "not-a-port")  # must not leak into the file's validation
    env = write_env(tmp_path, "SHIELD_PORT=8081\n")
    result = CliRunner().invoke(main, ["check-config", "--service", "api", str(env)])
    assert result.exit_code == 0, result.output


def test_check_config_warns_about_another_services_variable(tmp_path: Path) -> None:
    env = write_env(tmp_path, "SHIELD_CHUNK_TOKENS=100\n")
    result = CliRunner().invoke(main, ["check-config", "--service", "api", str(env)])
    assert result.exit_code == 0
    assert "SHIELD_CHUNK_TOKENS is not used by the api service" in result.output


def test_check_config_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["check-config", "--service", "worker", str(tmp_path / "nope.env")]
    )
    assert result.exit_code != 0
    assert "no such file" in result.output


def test_a_secret_comes_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    from shield.config import read_secret_files

    (tmp_path / "api_token").write_text("a-token-from-a-secret-file\n")
    environ = {
        "SHIELD_API_TOKEN_FILE": str(tmp_path / "api_token"),
        "SHIELD_MCP_TOKEN": "set-already",
        "SHIELD_MCP_TOKEN_FILE": str(tmp_path / "api_token"),
        "OTHER_FILE": "/nonexistent",
    }
    read_secret_files(environ)
    assert environ["SHIELD_API_TOKEN"] == "a-token-from-a-secret-file"  # no final newline
    assert environ["SHIELD_MCP_TOKEN"] == "set-already"  # the variable itself wins
    with pytest.raises(ValueError, match="SHIELD_REDIS_URL_FILE: cannot read /nonexistent"):
        read_secret_files({"SHIELD_REDIS_URL_FILE": "/nonexistent"})


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", 'https://g.example.org" onmouseover="x', "https://<b>"]
)
def test_the_console_links_only_to_a_plain_grafana_url(url: str) -> None:
    from shield.config import ApiSettings

    with pytest.raises(ValidationError, match="http"):
        ApiSettings(grafana_url=url)
