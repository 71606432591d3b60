"""`shield tokens create|list|revoke|whoami`: named tokens and their scopes
(docs/SECURITY.md)."""

from __future__ import annotations

import re

import click
from rich.table import Table

from shield import apiclient
from shield.access.scopes import SCOPE_FORMS, TOKEN_NAME_PATTERN, parse_scope
from shield.client.api import ShieldApi, client_settings, request
from shield.client.output import console, error_console, print_json
from shield.schemas import TokenCreate

_JSON = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
_DURATION = re.compile(r"^(\d+)([mhdw])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def duration_seconds(text: str) -> int:
    """`90m`, `12h`, `30d`, `4w` in seconds; ValueError otherwise."""
    found = _DURATION.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration: write it as 90m, 12h, 30d or 4w")
    return int(found.group(1)) * _SECONDS[found.group(2)]


def _scopes(values: tuple[str, ...]) -> list[str]:
    if not values:
        raise click.UsageError(f"give at least one --scope: {SCOPE_FORMS}")
    try:
        return sorted({parse_scope(value) for value in values})
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.group("tokens", invoke_without_command=True)
@_JSON
@click.pass_context
def tokens(context: click.Context, as_json: bool) -> None:
    """List named tokens (or: create, revoke, whoami). Needs an admin token."""
    if context.invoked_subcommand is None:
        context.invoke(list_tokens, as_json=as_json)


@tokens.command("create")
@click.option("--name", required=True, help="Unique, lower case: ops-bot, alice.laptop.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="read:<collection>, write:<collection> (a name or *), or admin; repeat for several.",
)
@click.option("--expires", help="Stop working after 90m, 12h, 30d, 4w (default: until revoked).")
@_JSON
def create_token(name: str, scopes: tuple[str, ...], expires: str | None, as_json: bool) -> None:
    """Create a token; it is printed this once (only its hash is kept)."""
    if not re.match(TOKEN_NAME_PATTERN, name):
        raise click.UsageError(
            f"--name {name!r}: 1 to 64 lower-case letters, digits, '.', '_' or '-'"
        )
    try:
        seconds = duration_seconds(expires) if expires is not None else None
    except ValueError as exc:
        raise click.UsageError(f"--expires: {exc}") from None
    body = request(TokenCreate, name=name, scopes=_scopes(scopes), expires_in=seconds)
    with ShieldApi(client_settings()) as api:
        made = api.send(apiclient.create_token(body))
    if as_json:
        print_json(made)
        return
    click.echo(made.token)  # alone on stdout, for `TOKEN=$(shield tokens create ...)`
    until = f"until {made.expires_at}" if made.expires_at else "until revoked"
    error_console().print(
        f"token {made.name} ({', '.join(made.scopes)}), {until}: keep it now, it is not shown again"
    )


@tokens.command("list")
@_JSON
def list_tokens(as_json: bool) -> None:
    """Every named token: name, scopes, created, expires (never the secret)."""
    with ShieldApi(client_settings()) as api:
        found = api.send(apiclient.list_tokens())
    if as_json:
        print_json(found)
        return
    table = Table("name", "scopes", "created", "expires")
    for item in found.tokens:
        expires = item.expires_at or "never"
        if item.expired:
            expires += " (expired)"
        table.add_row(item.name, " ".join(item.scopes), item.created_at[:19], expires)
    console().print(table)


@tokens.command("revoke")
@click.argument("name")
@_JSON
def revoke_token(name: str, as_json: bool) -> None:
    """Revoke a token: refused everywhere within a second."""
    with ShieldApi(client_settings()) as api:
        gone = api.send(apiclient.revoke_token(name))
    if as_json:
        print_json(gone)
    else:
        click.echo(f"revoked token {gone['revoked']}")


@tokens.command("whoami")
@_JSON
def whoami(as_json: bool) -> None:
    """The token this command sends: its name and scopes."""
    with ShieldApi(client_settings()) as api:
        who = api.send(apiclient.whoami())
    if as_json:
        print_json(who)
    else:
        click.echo(f"{who.name} ({who.kind}): {' '.join(who.scopes)}")
