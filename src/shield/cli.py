"""The `shield` command: run a service, check a configuration, evaluate search."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from dotenv import dotenv_values
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from shield import __version__
from shield.client.api import PROFILE_KEY, client_settings
from shield.client.backup import backup, restore
from shield.client.collections import collections, documents
from shield.client.crawl import crawl
from shield.client.ingest import ingest
from shield.client.jobs import jobs
from shield.client.search import search
from shield.client.sources import sources
from shield.client.tokens import tokens
from shield.config import (
    ENV_PREFIX,
    SERVICE_SETTINGS,
    ApiSettings,
    LightragSettings,
    McpSettings,
    ServiceSettings,
    WorkerSettings,
    friendly_errors,
    read_secret_files,
)
from shield.fields import SearchMode
from shield.logging import configure_logging, get_logger
from shield.resilience import configure_breakers

S = TypeVar("S", bound=ServiceSettings)


def _known_variables(cls: type[BaseSettings]) -> set[str]:
    return {f"{ENV_PREFIX}{name.upper()}" for name in cls.model_fields}


@contextmanager
def _only_file(env_file: Path) -> Iterator[None]:
    """Validate the file alone: hide SHIELD_* variables of the calling environment."""
    saved = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


def load_settings(cls: type[BaseSettings], env_file: Path | None) -> BaseSettings:
    if env_file is None:
        return cls()
    with _only_file(env_file):
        return cls(_env_file=env_file)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shield")
@click.option(
    "--profile",
    envvar="SHIELD_PROFILE",
    metavar="NAME",
    help="Client commands: read SHIELD_API_URL and SHIELD_API_TOKEN from NAME.env in "
    "~/.config/shield (or from this file, given a path). Default: default.env there, if any.",
)
@click.pass_context
def main(context: click.Context, profile: str | None) -> None:
    """Shield: a self-hosted knowledge platform for AI assistants."""
    context.meta[PROFILE_KEY] = profile


@main.command("check-config")
@click.option("--service", type=click.Choice(sorted(SERVICE_SETTINGS)), required=True)
@click.argument("env_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check_config(service: str, env_file: Path | None) -> None:
    """Validate a service's configuration (the environment, or ENV_FILE alone)."""
    cls = SERVICE_SETTINGS[service]
    problems: list[str] = []
    if env_file is not None:
        if not env_file.is_file():
            raise click.ClickException(f"{env_file}: no such file")
        known = _known_variables(cls)
        every = set().union(*(_known_variables(c) for c in SERVICE_SETTINGS.values()))
        for key in dotenv_values(env_file):
            if not key.startswith(ENV_PREFIX) or key in known:
                continue
            if key in every:
                click.echo(f"warning: {key} is not used by the {service} service", err=True)
                continue
            guess = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            problems.append(f"{key}: unknown variable{hint}")
    try:
        load_settings(cls, env_file)
    except ValidationError as exc:
        problems.extend(friendly_errors(exc))
    where = str(env_file) if env_file else "the environment"
    if problems:
        click.echo(
            f"{where}: the {service} configuration has {len(problems)} problem(s):", err=True
        )
        for line in problems:
            click.echo(f"  - {line}", err=True)
        sys.exit(1)
    click.echo(f"{where}: the {service} configuration is valid")


def _listen_on(host: str | None, port: int | None) -> None:
    """Command-line --host/--port win over SHIELD_HOST/SHIELD_PORT."""
    if host:
        os.environ["SHIELD_HOST"] = host
    if port:
        os.environ["SHIELD_PORT"] = str(port)


def _settings_or_exit(cls: type[S]) -> S:
    try:
        read_secret_files(os.environ)
    except ValueError as exc:
        click.echo(f"shield: {exc}", err=True)
        sys.exit(2)
    try:
        settings = cls()
    except ValidationError as exc:
        click.echo(f"shield: invalid configuration for {cls.__name__}:", err=True)
        for line in friendly_errors(exc):
            click.echo(f"  - {line}", err=True)
        sys.exit(2)
    configure_breakers(settings.breaker_failures, settings.breaker_recovery_seconds)
    return settings


def _start_service(cls: type[S], service: str) -> S:
    """The settings of a service that is starting, its logging set up, and its effective
    configuration logged at DEBUG (secrets masked: settings register theirs as they load)."""
    settings = _settings_or_exit(cls)
    configure_logging(settings.log_level, settings.log_format, service=service)
    get_logger(__name__).debug("configuration", **settings.model_dump(mode="json"))
    return settings


def _serve(app: Any, host: str, port: int) -> None:
    """Serve an ASGI app the way every Shield HTTP service is served: our JSON logging, no
    access log (the services log requests themselves), a bounded graceful shutdown."""
    import uvicorn

    uvicorn.run(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=10
    )


@main.command()
@click.option("--host", help="Listen address (default SHIELD_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default SHIELD_PORT or 8080).")
def api(host: str | None, port: int | None) -> None:
    """Run shield-api, the orchestrator API."""
    _listen_on(host, port)
    settings = _start_service(ApiSettings, "shield-api")
    from shield.api.app import create_app

    _serve(create_app(settings), settings.host, settings.port)


@main.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    envvar="SHIELD_WORKER_METRICS_PORT",
    help="Serve /metrics on this port (one per worker on a host).",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    envvar="SHIELD_WORKER_METRICS_HOST",
    help="...on this address; it demands SHIELD_API_TOKEN when that is set.",
)
def worker(burst: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Run a shield-worker (an RQ worker for ingest jobs)."""
    settings = _start_service(WorkerSettings, "shield-worker")
    from shield.worker.main import run_worker

    run_worker(settings, burst=burst, metrics_port=metrics_port, metrics_host=metrics_host)


@main.command()
@click.option(
    "--transport", type=click.Choice(["http", "stdio"]), default="http", show_default=True
)
@click.option("--host", help="Listen address for http (default SHIELD_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Listen port for http (default SHIELD_PORT or 8000).")
def mcp(transport: str, host: str | None, port: int | None) -> None:
    """Run shield-mcp, the MCP server (streamable HTTP at /mcp, or stdio)."""
    _listen_on(host, port)
    # On stdio, stdout carries the protocol: logs go to stderr (they always do here).
    settings = _start_service(McpSettings, "shield-mcp")
    from shield.mcp.server import build_server

    server = build_server(settings)
    if transport == "stdio":
        server.run(transport="stdio", show_banner=False)
    else:
        from starlette.middleware import Middleware

        from shield.mcp.unauthorized import ShieldUnauthorized

        server.run(
            transport="http",
            host=settings.host,
            port=settings.port,
            path="/mcp",
            show_banner=False,
            middleware=[Middleware(ShieldUnauthorized)],
        )


@main.command()
@click.option("--host", help="Listen address (default SHIELD_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default SHIELD_PORT or 8090).")
def lightrag(host: str | None, port: int | None) -> None:
    """Run shield-lightrag, the knowledge graph service."""
    _listen_on(host, port)
    settings = _start_service(LightragSettings, "shield-lightrag")
    from shield.graph_service.service import create_app

    _serve(create_app(settings), settings.host, settings.port)


@main.command()
@click.option("--url", help="Ask this URL instead (default: the running service's /healthz).")
def probe(url: str | None) -> None:
    """Exit 0 if this container's service is healthy (the image's HEALTHCHECK)."""
    from shield.probe import healthy, probe_url, running_service

    target = url or probe_url(running_service())
    if target is None:
        click.echo("nothing to ask: a worker without SHIELD_WORKER_METRICS_PORT")
        return
    ok, said = healthy(target)
    click.echo(said)
    if not ok:
        raise SystemExit(1)


@main.command("eval")
@click.option(
    "--dataset",
    required=True,
    type=click.Path(path_type=Path),
    help="A BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.",
)
@click.option("--collection", help="The scratch collection (default eval-<dataset>-<random>).")
@click.option("--keep", is_flag=True, help="Keep the collection afterwards.")
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice([m.value for m in SearchMode]),
    help="Modes to measure (repeatable; default all three).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate(
    dataset: Path, collection: str | None, keep: bool, modes: tuple[str, ...], as_json: bool
) -> None:
    """Measure search on labelled queries: nDCG@10, Recall@10, Recall@100 and MRR@10 per mode,
    beside BM25 over whole documents. Talks to SHIELD_API_URL with SHIELD_API_TOKEN."""
    try:
        from shield.evaluation.command import run_evaluation
    except ImportError as exc:  # pragma: no cover - depends on what is installed
        raise click.ClickException(
            f"shield eval needs its extra ({exc.name} is missing): pip install 'shield[eval]'"
        ) from None
    from shield.errors import ShieldError
    from shield.evaluation.beir import DatasetError

    settings = client_settings()
    chosen = [SearchMode(m) for m in modes] or list(SearchMode)
    try:
        run_evaluation(settings, dataset, collection, keep, chosen, as_json)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    except ShieldError as exc:
        raise click.ClickException(exc.message) from None


@main.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g. eval "$(shield completion bash)" in ~/.bashrc."""
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)
    assert script is not None  # the three choices are click's own
    click.echo(script(main, {}, "shield", "_SHIELD_COMPLETE").source())


for client_command in (
    ingest,
    crawl,
    search,
    jobs,
    documents,
    collections,
    sources,
    tokens,
    backup,
    restore,
):
    main.add_command(client_command)


if __name__ == "__main__":  # pragma: no cover
    main()
