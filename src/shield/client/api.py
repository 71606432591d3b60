"""One call to shield-api for a client command, and what its failure means for the exit code.

Exit codes: 0 done; 1 shield-api refused the request (its message is printed); 2 a usage or
configuration mistake (click's own, and settings); 3 shield-api could not be reached or is
unavailable (worth trying again later).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
from pydantic import ValidationError

from shield import apiclient
from shield.apiclient import Answer, ApiClient, ApiRefused, Call
from shield.client.profile import ProfileError, check_private, profile_path
from shield.config import ClientSettings, friendly_errors
from shield.errors import DependencyUnavailable, InvalidInput, error_message
from shield.jobs.models import JobState
from shield.net.service_client import api_breaker, api_endpoint

REFUSED = 1
UNAVAILABLE = 3


class Refused(click.ClickException):
    """shield-api answered 4xx; `status` says which."""

    exit_code = REFUSED

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Unavailable(click.ClickException):
    exit_code = UNAVAILABLE


PROFILE_KEY = "shield.profile"


def client_settings() -> ClientSettings:
    """SHIELD_API_URL and SHIELD_API_TOKEN from the environment, else from the profile file
    (`shield --profile`); exit 2 naming what is wrong."""
    context = click.get_current_context(silent=True)
    name = context.meta.get(PROFILE_KEY) if context else None
    try:
        path = profile_path(name)
        if path is None:
            return ClientSettings()
        check_private(path)
        return ClientSettings(_env_file=path)
    except ProfileError as error:
        click.echo(f"shield: {error}", err=True)
    except ValidationError as error:
        for line in friendly_errors(error):
            click.echo(f"shield: {line}", err=True)
    sys.exit(2)


class ShieldApi(ApiClient):
    """The one shield-api client, its failures turned into the command's exit codes."""

    service = "cli"

    def __init__(self, settings: ClientSettings) -> None:
        endpoint = api_endpoint(settings)
        super().__init__(endpoint, api_breaker(settings, self.service))

    def send(self, call: Call[Answer], **extra: Any) -> Answer:
        """The call's answer; otherwise an exception that prints the API's own message and
        exits with its code."""
        try:
            return super().send(call, **extra)
        except DependencyUnavailable as exc:
            raise Unavailable(exc.message) from None
        except ApiRefused as exc:
            raise Refused(str(exc), exc.status) from None

    def backup_into(self, target: Path, path: str = "/backup") -> None:
        """POST `path` and stream the answer into `target` (written whole, or not at all).
        No read timeout: a large backup takes its time."""
        timeout = httpx.Timeout(self.endpoint.timeout, read=None)
        url = f"{self.endpoint.base_url}{path}"
        partial = target.with_name(target.name + ".partial")
        try:
            with httpx.stream("POST", url, headers=self.endpoint.headers, timeout=timeout) as reply:
                if reply.status_code >= 400:
                    reply.read()
                    kind = Unavailable if reply.status_code in (429, 503) else Refused
                    raise kind(f"POST {path}: {reply.status_code} {error_message(reply)}")
                with partial.open("wb") as out:
                    for block in reply.iter_bytes():
                        out.write(block)
        except httpx.HTTPError as exc:
            partial.unlink(missing_ok=True)
            raise Unavailable(f"POST {path} broke off: {exc}") from None
        partial.replace(target)

    def restore(self, source: Path) -> dict[str, Any]:
        """A backup archive restored, its file streamed as the request body."""
        timeout = httpx.Timeout(self.endpoint.timeout, read=None, write=None)
        with source.open("rb") as stream:
            return self.send(
                apiclient.restore(stream),
                headers={"Content-Type": "application/octet-stream"},
                timeout=timeout,
            )

    def job_events(self, job_id: str) -> Iterator[JobState]:
        """Each state of the job from its event stream (SSE), until a final one."""
        self.send(apiclient.get_job(job_id))  # an unknown job is refused before streaming
        # No read timeout: the stream is quiet between changes (a ping every 15 s).
        timeout = httpx.Timeout(self.endpoint.timeout, read=None)
        url = f"{self.endpoint.base_url}{apiclient.job_path(job_id)}/events"
        try:
            with httpx.stream("GET", url, headers=self.endpoint.headers, timeout=timeout) as reply:
                if reply.status_code >= 400:
                    reply.read()
                    raise Refused(
                        f"GET {url}: {reply.status_code} {error_message(reply)}", reply.status_code
                    )
                for line in reply.iter_lines():
                    if line.startswith("data:"):
                        yield JobState.model_validate_json(line.removeprefix("data:"))
        except httpx.HTTPError as exc:
            raise Unavailable(f"the event stream of job {job_id} broke off: {exc}") from None

    def __enter__(self) -> ShieldApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def request(model: type[apiclient.Model], **fields: Any) -> apiclient.Model:
    """A request body for shield-api from the command's options (None: not given), checked
    with shield-api's own model: refused here, as shield-api would refuse it, if it is not one."""
    try:
        return apiclient.request(model, **fields)
    except InvalidInput as exc:
        raise Refused(f"invalid request: {exc.message}", 422) from None
