"""One call to shield-api for a client command, and what its failure means for the exit code.

Exit codes: 0 done; 1 shield-api refused the request (its message is printed); 2 a usage or
configuration mistake (click's own, and settings); 3 shield-api could not be reached or is
unavailable (worth trying again later).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from pydantic import ValidationError

from shield.config import ClientSettings, friendly_errors
from shield.errors import DependencyUnavailable, error_message
from shield.net.service_client import ServiceClient, api_breaker, api_endpoint

REFUSED = 1
UNAVAILABLE = 3


class Refused(click.ClickException):
    exit_code = REFUSED


class Unavailable(click.ClickException):
    exit_code = UNAVAILABLE


def client_settings() -> ClientSettings:
    """SHIELD_API_URL and SHIELD_API_TOKEN from the environment; exit 2 naming what is wrong."""
    try:
        return ClientSettings()
    except ValidationError as error:
        for line in friendly_errors(error):
            click.echo(f"shield: {line}", err=True)
        sys.exit(2)


class ShieldApi:
    def __init__(self, settings: ClientSettings) -> None:
        self._client = ServiceClient(api_endpoint(settings), api_breaker(settings, "cli"))

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a 2xx answer; otherwise an exception that prints the API's own message
        and exits with its code."""
        try:
            response = self._client.request(method, path, **kwargs)
        except DependencyUnavailable as exc:
            raise Unavailable(exc.message) from None
        if response.status_code >= 400:
            raise Refused(f"{method} {path}: {response.status_code} {error_message(response)}")
        return response.json()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ShieldApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
