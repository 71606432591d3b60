"""`/console`: the web console (static files from `shield.console`), with a strict
Content-Security-Policy. The page holds no data: it asks for a token and calls the same API as
any client, so it needs none itself."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from shield.api.deps import ServicesDep
from shield.errors import NotFound

router = APIRouter(tags=["console"], include_in_schema=False)
# A script names another by `{{name}}` (an import), so an asset comes after those it names.
ASSETS = ("drawing.js", "console.js", "console.css")
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}
# Scripts and styles from this server's own files only, no inline code, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Console:
    index: str
    assets: dict[str, tuple[bytes, str]]  # fingerprinted name -> content, media type


@cache
def console() -> Console:
    """The page with its assets' fingerprinted names (`console.3f2a9c1e.js`), so that a browser
    may keep an asset for a year and still never runs an old one after an upgrade."""
    folder = resources.files("shield.console") / "assets"
    index = (folder / "index.html").read_text()
    assets = {}
    served: dict[str, str] = {}  # name -> its fingerprinted address
    for name in ASSETS:
        text = (folder / name).read_text()
        for named, address in served.items():
            text = text.replace("{{" + named + "}}", address)
        content = text.encode()
        stem, _, suffix = name.rpartition(".")
        fingerprinted = f"{stem}.{hashlib.sha256(content).hexdigest()[:12]}.{suffix}"
        assets[fingerprinted] = (content, MEDIA_TYPES[f".{suffix}"])
        served[name] = f"/console/assets/{fingerprinted}"
    for name, address in served.items():
        index = index.replace("{{" + name + "}}", address)
    return Console(index, assets)


@router.get("/console", response_class=HTMLResponse)
def page(services: ServicesDep) -> HTMLResponse:
    """The page, with Grafana's address (SHIELD_GRAFANA_URL) for its link when one is set."""
    grafana = html.escape(services.settings.grafana_url, quote=True)
    return HTMLResponse(
        console().index.replace("{{grafana}}", grafana),
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


@router.get("/console/assets/{name}")
def asset(name: str) -> Response:
    found = console().assets.get(name)
    if found is None:
        raise NotFound(f"no console asset {name!r}")
    content, media_type = found
    return Response(
        content,
        media_type=media_type,
        headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"},
    )
