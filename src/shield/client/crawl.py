"""`shield crawl URL`: a site, breadth first, into a collection (one job)."""

from __future__ import annotations

import sys

import click

from shield import apiclient
from shield.client.api import REFUSED, ShieldApi, client_settings, request
from shield.client.follow import Submitted, wait_for_crawl
from shield.client.output import console, documents_table, print_json
from shield.jobs.models import JobStatus
from shield.jobs.requests import (
    CRAWL_MAX_DEPTH,
    CRAWL_MAX_DEPTH_LIMIT,
    CRAWL_MAX_PAGES,
    CRAWL_MAX_PAGES_LIMIT,
    CrawlIngest,
)


@click.command("crawl")
@click.argument("url")
@click.option("--collection", help="Into this collection (default: shield-api's default).")
@click.option(
    "--max-pages",
    type=click.IntRange(1, CRAWL_MAX_PAGES_LIMIT),
    default=CRAWL_MAX_PAGES,
    show_default=True,
    help="Pages read at most.",
)
@click.option(
    "--max-depth",
    type=click.IntRange(0, CRAWL_MAX_DEPTH_LIMIT),
    default=CRAWL_MAX_DEPTH,
    show_default=True,
    help="Links followed from the start page, at most.",
)
@click.option(
    "--allow",
    "allowed",
    multiple=True,
    metavar="ORIGIN",
    help="Another origin the crawl may follow links into, e.g. https://docs.example.com "
    "(repeatable).",
)
@click.option(
    "--engine",
    type=click.Choice(["http", "browser"]),
    help="browser renders pages with Chromium first (for sites built by JavaScript).",
)
@click.option(
    "--create-collection",
    is_flag=True,
    help="Make the collection if it does not exist (a misspelt name is refused otherwise).",
)
@click.option(
    "--wait",
    is_flag=True,
    help="Follow the crawl with a progress bar, then show each page; exit 1 unless it succeeded.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
def crawl(
    url: str,
    collection: str | None,
    max_pages: int,
    max_depth: int,
    allowed: tuple[str, ...],
    engine: str | None,
    create_collection: bool,
    wait: bool,
    as_json: bool,
) -> None:
    """Crawl a web site from URL and ingest its pages."""
    body = request(
        CrawlIngest,
        kind="crawl",
        url=url,
        max_pages=max_pages,
        max_depth=max_depth,
        allowed_domains=list(allowed) or None,
        engine=engine or None,
        collection=collection or None,
        create_collection=create_collection or None,
    )
    with ShieldApi(client_settings()) as api:
        job_id = api.send(apiclient.ingest(body)).job_id
        if not wait:
            if as_json:
                print_json({"job_id": job_id})
            else:
                click.echo(job_id)
            return
        job = wait_for_crawl(api, Submitted(url, job_id), max_pages)
    if as_json:
        print_json(job)
    else:
        if job.result.documents:
            console().print(documents_table(job.result.documents))
        if job.error:
            click.echo(f"error: {job.error.message}", err=True)
    if job.status != JobStatus.SUCCEEDED:
        sys.exit(REFUSED)
