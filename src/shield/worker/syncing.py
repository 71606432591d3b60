"""A source's sync: list what the source holds now, read only what changed, store what is new or
changed, remove what is gone, and count each.

What tells a change, by kind:
- folder: a file's modification time and size (unchanged: not even read); a changed one is read,
  and stored again only if its bytes differ;
- web: a conditional request with the page's ETag and Last-Modified (304: not read; its links
  are followed as they were); a page that answers 404 or 410, or that no page links to any more
  (in a crawl that read the whole site within its limits), is gone;
- sitemap: a page's `<lastmod>` (unchanged: not fetched at all), else a conditional request; a
  page the sitemap no longer lists is gone;
- git: the branch's newest commit is fetched, and each file's blob id in its tree (unchanged:
  not read); a file the tree no longer holds (deleted, renamed) is gone.

What stays the same is never embedded again. Each document's entry is written as soon as it is
stored or removed, so a sync cut short (a worker killed) leaves the next one the rest to do, and
nothing half-removed. A sync that cannot list the source, or that would remove more than
`source_max_remove_share` of its documents at once, removes nothing and fails with the reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shield.config import WorkerSettings
from shield.documents.identity import document_id
from shield.documents.models import SourceDocument
from shield.errors import InvalidInput, JobCancelled, ShieldError
from shield.jobs.models import ItemResult, JobError, utcnow
from shield.jobs.requests import CrawlIngest, SourceSync
from shield.jobs.transitions import JobReporter
from shield.logging import get_logger
from shield.net.fetch import GuardedFetcher
from shield.sources.git import (
    GitFile,
    GitRepository,
    Remote,
    cache_folder,
    drop_caches,
    inbox_remote,
    url_remote,
)
from shield.sources.listing import (
    FolderFile,
    SitemapPage,
    SourceUnreachable,
    folder_files,
    sitemap_children,
    sitemap_pages,
)
from shield.sources.models import Source, SyncSummary
from shield.sources.store import Entry, SourceStore
from shield.worker.sources import DocumentReader, PendingDocument

if TYPE_CHECKING:  # the crawler (Crawl4AI) is imported only when a web source syncs
    from shield.crawl.crawler import CrawlOptions, Page
    from shield.worker.crawling import CrawlRun
    from shield.worker.pipeline import IngestPipeline

log = get_logger(__name__)
#: Pages of a sitemap (and of the sitemaps an index lists) read at most.
MAX_SITEMAP_PAGES = 50_000
#: Page answers that say a page is gone for good.
GONE = frozenset({404, 410})


@dataclass
class _Run:
    """One sync: its job, its source and what the source held at its last sync; its counts,
    and the keys (page URLs, file paths) it saw in the source."""

    pipeline: IngestPipeline
    job: JobReporter
    source: Source
    known: dict[str, Entry]
    summary: SyncSummary
    seen: set[str] = field(default_factory=set)
    complete: bool = True  # the whole source was listed: what it lacks is gone


def _one(document: SourceDocument) -> SourceDocument:
    return document


class SourceSyncer:
    def __init__(
        self,
        settings: WorkerSettings,
        sources: SourceStore,
        reader: DocumentReader,
        crawls: Callable[[CrawlOptions], CrawlRun],
    ) -> None:
        self.settings = settings
        self.sources = sources
        self.reader = reader
        self.crawls = crawls

    @property
    def fetcher(self) -> GuardedFetcher:
        return self.reader.fetcher

    def run(
        self, pipeline: IngestPipeline, job: JobReporter, request: SourceSync
    ) -> JobError | None:
        """Sync the source; the job's error if the sync failed as a whole."""
        state = job.state
        source = self.sources.get(request.source_id)
        if source is None:
            raise InvalidInput(f"source {request.source_id} no longer exists")
        summary = SyncSummary(job_id=state.job_id, started_at=utcnow(), status="running")
        run = _Run(pipeline, job, source, self.sources.entries(source.source_id), summary)
        error: JobError | None = None
        ended = False  # else a dependency's failure escapes, for RQ to run the job again
        try:
            job.stage("listing")
            self._read(run)
            gone = [key for key in run.known if key not in run.seen] if run.complete else []
            if source.prune:
                self._remove(run, gone, request.force)
            ended = True
        except SourceUnreachable as exc:
            error = JobError(code="source_unreachable", message=exc.message, cause="dependency")
            ended = True
        except _TooMuchGone as exc:
            error = JobError(code="sync_guarded", message=str(exc), cause="input")
            ended = True
        except JobCancelled:
            summary.status, ended = "cancelled", True
            raise
        finally:
            if ended:
                summary.ended_at = utcnow()
                if summary.status == "running":
                    summary.status = "failed" if error else "succeeded"
                summary.error = error.message if error else None
                self.sources.set_summary(source.source_id, summary, succeeded=error is None)
                self.sources.release_sync(source.source_id, state.job_id)
        log.info(
            "source_synced", source_id=source.source_id, kind=source.kind, status=summary.status,
            added=summary.added, changed=summary.changed, unchanged=summary.unchanged,
            removed=summary.removed, failed=summary.failed,
        )  # fmt: skip
        return error

    def _read(self, run: _Run) -> None:
        """Read what the source holds now, storing what is new or changed."""
        kind = run.source.kind
        if kind == "folder":
            self._folder(run)
        elif kind == "web":
            self._crawl(run, self._crawl_options(run))
        elif kind == "sitemap":
            self._sitemap(run)
        elif kind == "git":
            self._git(run)
        else:
            raise InvalidInput(f"this worker cannot sync a {kind} source")

    # Each document: stored (added or changed), unchanged or failed.

    def _ingest(
        self, run: _Run, key: str, pending: PendingDocument, entry: Callable[[str], Entry]
    ) -> None:
        item = ItemResult(source=pending.source)
        run.job.state.result.documents.append(item)
        run.job.state.progress.documents_total += 1
        run.pipeline.ingest_counted(run.job, pending, item)
        summary = run.summary
        if item.status == "failed":
            summary.failed += 1
            return
        if item.status == "unchanged":
            summary.unchanged += 1
        elif key in run.known:
            summary.changed += 1
        else:
            summary.added += 1
        self.sources.put_entry(run.source.source_id, key, entry(item.document_id or ""))

    def _unchanged(self, run: _Run, key: str, known: Entry) -> None:
        run.job.state.result.documents.append(
            ItemResult(source=key, status="unchanged", document_id=known.document_id)
        )
        run.summary.unchanged += 1

    # Kinds.

    def _folder(self, run: _Run) -> None:
        source = run.source
        files = folder_files(
            self.settings.inbox_dir, source.path or ".", source.include, source.exclude,
            self.settings.inbox_max_files,
        )  # fmt: skip
        for file in files:
            run.pipeline.check_cancel(run.job)
            run.seen.add(file.key)
            before = run.known.get(file.key)
            if before and (before.mtime_ns, before.size) == (file.mtime_ns, file.size):
                self._unchanged(run, file.key, before)
                continue
            pending = PendingDocument(file.key, functools.partial(self._file, source, file))
            self._ingest(run, file.key, pending, functools.partial(_file_entry, file))

    def _file(self, source: Source, file: FolderFile) -> SourceDocument:
        document = self.reader.read_inbox_file(file.key, file.path, "", {})
        document.source_id = source.source_id
        return document

    def _git(self, run: _Run) -> None:
        source, settings = run.source, self.settings
        drop_caches(settings.data_dir, self.sources.ids())  # removed sources' repositories
        repository = GitRepository(
            cache_folder(settings.data_dir, source.source_id), self._remote(source),
            settings.git_timeout,
        )  # fmt: skip
        run.summary.commit = repository.fetch(source.branch)
        for file in repository.files(source.include, settings.inbox_max_files):
            run.pipeline.check_cancel(run.job)
            run.seen.add(file.key)
            before = run.known.get(file.key)
            if before and before.blob == file.blob:
                self._unchanged(run, file.key, before)
                continue
            read = functools.partial(self._blob, source, repository, file)
            self._ingest(run, file.key, PendingDocument(file.key, read), file.entry)

    def _remote(self, source: Source) -> Remote:
        if source.url is not None:
            return url_remote(source.url, self.fetcher.policy, self.settings.git_credentials_path)
        return inbox_remote(self.settings.inbox_dir, source.path or "")

    def _blob(self, source: Source, repository: GitRepository, file: GitFile) -> SourceDocument:
        self.reader.check_size(file.key, file.size)
        name = file.path.rsplit("/", 1)[-1]
        document = self.reader.read_file_bytes(file.key, name, repository.read(file))
        document.source_id = source.source_id
        return document

    def _sitemap(self, run: _Run) -> None:
        listed = self._sitemap_pages(run.source.url or "")
        limit = run.source.max_pages or MAX_SITEMAP_PAGES
        changed: list[str] = []
        lastmods: dict[str, str | None] = {}
        for page in listed[:limit]:
            run.seen.add(page.url)
            lastmods[page.url] = page.lastmod
            before = run.known.get(page.url)
            if before and page.lastmod and before.lastmod == page.lastmod:
                self._unchanged(run, page.url, before)
            else:
                changed.append(page.url)
        run.seen.update(page.url for page in listed[limit:])  # listed: not gone
        if not changed:
            return
        options = self._crawl_options(run)
        options.seeds, options.max_depth, options.use_sitemaps = changed, 0, False
        options.max_pages = len(changed)
        self._crawl(run, options, lastmods)

    def _sitemap_pages(self, url: str) -> list[SitemapPage]:
        text = self._fetched_text(url)
        pages = sitemap_pages(text)
        for child in sitemap_children(text)[:50]:
            pages += sitemap_pages(self._fetched_text(child))
            if len(pages) >= MAX_SITEMAP_PAGES:
                break
        if not pages:
            raise SourceUnreachable(f"the sitemap {url} lists no page")
        return pages[:MAX_SITEMAP_PAGES]

    def _fetched_text(self, url: str) -> str:
        try:
            return self.fetcher.fetch(url).data.decode("utf-8", errors="replace")
        except ShieldError as exc:  # FetchFailed, the egress guard, too large
            raise SourceUnreachable(f"the sitemap cannot be read: {exc.message}") from None

    def _crawl_options(self, run: _Run) -> CrawlOptions:
        from shield.crawl.crawler import KnownPage
        from shield.crawl.fetch import Validators
        from shield.worker.crawling import crawl_options

        source = run.source
        request = CrawlIngest(
            kind="crawl", url=source.url or "", allowed_domains=source.allowed_domains,
            max_pages=source.max_pages or CrawlIngest.model_fields["max_pages"].default,
            max_depth=(
                source.max_depth
                if source.max_depth is not None
                else CrawlIngest.model_fields["max_depth"].default
            ),
        )  # fmt: skip
        options = crawl_options(self.settings, request)
        options.engine = "http"  # conditional requests are the HTTP engine's
        options.known = {
            url: KnownPage(Validators(entry.etag, entry.last_modified), tuple(entry.links))
            for url, entry in run.known.items()
            if entry.etag or entry.last_modified
        }
        return options

    def _crawl(
        self, run: _Run, options: CrawlOptions, lastmods: dict[str, str | None] | None = None
    ) -> None:
        run.job.stage("crawling")
        crawl = self.crawls(options)
        answered = 0
        try:
            for page in crawl.pages():
                run.pipeline.check_cancel(run.job)
                answered += self._page(run, page, lastmods)
        except JobCancelled:
            crawl.cancel()
            raise
        summary = crawl.summary
        if not answered:
            raise SourceUnreachable(
                f"{options.url} answered no page (is the site down, or the address wrong?); "
                "nothing was removed"
            )
        if lastmods is None and summary is not None:
            # A crawl cut short by its page limit has not seen the whole site.
            run.complete = not summary.truncated
            if run.complete:
                run.seen |= set(crawl.crawler.frontier.seen) - _gone_pages(summary.pages)

    def _page(self, run: _Run, page: Page, lastmods: dict[str, str | None] | None) -> int:
        """Take one page of the crawl; 1 if the site answered it (read or unchanged)."""
        before = run.known.get(page.url)
        if page.status == "unchanged" and before is not None:
            run.seen.add(page.url)
            if lastmods is not None and lastmods.get(page.url) != before.lastmod:
                changed = before.model_copy(update={"lastmod": lastmods.get(page.url)})
                self.sources.put_entry(run.source.source_id, page.url, changed)
            self._unchanged(run, page.url, before)
            return 1
        if page.status != "fetched":
            if page.status_code in GONE:
                run.seen.discard(page.url)
                return 1
            if before is not None:  # failed this time: kept, not gone
                run.seen.add(page.url)
                run.summary.failed += 1
                run.job.state.result.documents.append(
                    ItemResult(source=page.url, status="failed", error=page.reason, cause="input")
                )
            return 0
        run.seen.add(page.url)
        document = SourceDocument(
            source=page.url, text=page.markdown, title=page.title, source_id=run.source.source_id
        )
        pending = PendingDocument(page.url, functools.partial(_one, document))
        lastmod = (lastmods or {}).get(page.url)
        self._ingest(run, page.url, pending, functools.partial(_page_entry, page, lastmod))
        return 1

    # What is gone.

    def _remove(self, run: _Run, gone: list[str], force: bool) -> None:
        if not gone:
            return
        source, share = run.source, self.settings.source_max_remove_share
        if not force and len(gone) > share * len(run.known):
            raise _TooMuchGone(
                f"the sync would remove {len(gone)} of the source's {len(run.known)} documents, "
                f"more than {share:.0%} at once (SHIELD_SOURCE_MAX_REMOVE_SHARE): nothing was "
                "removed. If the source did lose them, sync again with force "
                f"(shield sources sync {source.source_id} --force)"
            )
        run.job.stage("removing")
        for key in gone:
            run.pipeline.check_cancel(run.job)
            doc_id = run.known[key].document_id or document_id(source.collection, key)
            run.pipeline.patience.call(
                run.job, run.pipeline.api.delete_document, source.collection, doc_id
            )
            self.sources.drop_entry(source.source_id, key)
            run.summary.removed += 1
            run.job.state.result.documents.append(
                ItemResult(source=key, status="removed", document_id=doc_id)
            )
            run.job.save()


class _TooMuchGone(Exception):
    """A sync that would remove more of a source than it may at once."""


def _gone_pages(pages: list[Page]) -> set[str]:
    return {page.url for page in pages if page.status_code in GONE}


def _file_entry(file: FolderFile, doc_id: str) -> Entry:
    return Entry(document_id=doc_id, mtime_ns=file.mtime_ns, size=file.size)


def _page_entry(page: Page, lastmod: str | None, doc_id: str) -> Entry:
    return Entry(
        document_id=doc_id,
        etag=page.validators.etag,
        last_modified=page.validators.last_modified,
        lastmod=lastmod,
        links=list(page.links),
    )
