"""Sources kept in sync, against a plain crawl of the same site, in the same run: a local site of
interlinked pages (ETag and Last-Modified on every page, 304 to a request naming the current
one), and a Git repository of Markdown files, through a real shield-api, worker and Redis.

- first sync of a `web` source, against a `shield crawl` of the same site (ratio);
- a re-sync of the unchanged site: its time against the first sync's (goal at most 0.1), the
  passages embedded (goal 0) and the share of page requests answered 304 (goal at least 0.9);
- a re-sync after 1% of the pages changed, 1% were removed and 1% added: its time against the
  first sync's (goal at most 0.15), and exactly those documents touched;
- the same three syncs of a `git` source (a repository of 1,000 files in the inbox), the first
  against an ingest of the same files by path, and commits that change, delete and add 1% of
  them (renames among them).

    python -m bench.sources [--pages 980] [--files 1000] [--rounds 3]

(980 pages: with the 1% added and the navigation's one dead link, the site stays within the
1,000 pages a crawl, and so a sync, reads at most.)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Platform, corpus, median, save
from shield.jobs.requests import CRAWL_MAX_PAGES_LIMIT
from support.gitrepos import WorkingTree
from support.services import wait_job
from support.sites import EditableSite

TIMEOUT = 3600


def build(site: EditableSite, pages: int, texts: list[str]) -> None:
    """An index and pages 0..pages-2: the index links to every tenth page, each page to the
    next nine, so that a crawl of depth 2 reaches them all."""
    pages -= 1
    site.put("/", "Index", "The site's index.", [f"/page/{i}" for i in range(0, pages, 10)])
    for i in range(pages):
        links = [f"/page/{j}" for j in range(i + 1, min(i + 10, pages))]
        site.put(f"/page/{i}", f"Topic {i}", texts[i % len(texts)], links)


def _job(client: httpx.Client, response: httpx.Response) -> tuple[dict[str, Any], float]:
    assert response.status_code == 202, response.text
    started = time.perf_counter()
    state = wait_job(client, response.json()["job_id"], timeout=TIMEOUT)
    return state, time.perf_counter() - started


def _sync(client: httpx.Client, source_id: str) -> tuple[dict[str, Any], float]:
    return _job(client, client.post(f"/sources/{source_id}/sync"))


def _counts(client: httpx.Client, source_id: str) -> dict[str, int]:
    last = client.get(f"/sources/{source_id}").json()["last_sync"]
    return {k: last[k] for k in ("added", "changed", "unchanged", "removed", "failed")}


def one_round(root: Path, pages: int, texts: list[str], number: int) -> dict[str, Any]:
    site = EditableSite()
    build(site, pages, texts)
    # No embedding cache: the sync would find the crawl's passages in it.
    platform = Platform(
        root / f"round-{number}", workers=1, SHIELD_CRAWL_ALLOWLIST="127.0.0.1",
        SHIELD_EMBEDDING_CACHE_SIZE="0",
    )  # fmt: skip
    # The crawl's page limit above the site (its navigation's one dead link among its pages):
    # a sync that reaches the limit has not seen the whole site, and removes nothing.
    limits = {"max_pages": CRAWL_MAX_PAGES_LIMIT, "max_depth": 3}
    try:
        with platform.client() as client:
            for name in ("crawled", "synced"):
                assert client.post("/collections", json={"name": name}).status_code == 201
            crawl, crawl_seconds = _job(
                client,
                client.post(
                    "/ingest-async",
                    json={"kind": "crawl", "url": f"{site.url}/", "collection": "crawled",
                          **limits},
                ),
            )  # fmt: skip
            assert crawl["status"] == "succeeded", crawl["error"]
            made = client.post(
                "/sources",
                json={"kind": "web", "url": f"{site.url}/", "collection": "synced", **limits},
            )
            source_id = made.json()["source_id"]
            first, first_seconds = _sync(client, source_id)
            assert first["status"] == "succeeded", first["error"]
            first_counts = _counts(client, source_id)

            asked, answered_304 = site.conditional, site.not_modified
            same, same_seconds = _sync(client, source_id)
            conditional = site.conditional - asked
            not_modified = site.not_modified - answered_304
            same_counts = _counts(client, source_id)

            step = 100  # 1% of the pages: every hundredth changed, removed, added
            changed = list(range(1, pages - 1, step))
            removed = list(range(2, pages - 1, step))
            for i in changed:
                links = [f"/page/{j}" for j in range(i + 1, min(i + 10, pages - 1))]
                site.put(f"/page/{i}", f"Topic {i}", f"{texts[i % len(texts)]} Revised.", links)
            for i in removed:
                site.remove(f"/page/{i}")
            added = [f"/new/{i}" for i in range(len(changed))]
            for path in added:
                site.put(path, f"New {path}", texts[-1])
            # The index links the new pages; the removed ones are still linked (they answer
            # 404 now, as a page taken down does).
            index_links = [f"/page/{i}" for i in range(0, pages - 1, 10)] + added
            site.put("/", "Index", "The site's index.", index_links)
            touched, touched_seconds = _sync(client, source_id)
            touched_counts = _counts(client, source_id)
    finally:
        platform.stop()
        site.stop()
    return {
        "pages": pages,
        "crawl_seconds": crawl_seconds,
        "first_sync_seconds": first_seconds,
        "first_sync": first_counts,
        "unchanged_sync_seconds": same_seconds,
        "unchanged_sync": same_counts,
        "unchanged_sync_embedded": same["progress"]["chunks_embedded"],
        "unchanged_sync_conditional_requests": conditional,
        "unchanged_sync_304": not_modified,
        "touched_sync_seconds": touched_seconds,
        "touched_sync": touched_counts,
        "touched_sync_expected": {
            "added": len(added),
            "changed": len(changed) + 1,  # and the index
            "removed": len(removed),
        },
        "touched_sync_embedded": touched["progress"]["chunks_embedded"],
    }


def git_round(root: Path, files: int, texts: list[str], number: int) -> dict[str, Any]:
    inbox = root / f"git-inbox-{number}"
    tree = WorkingTree(inbox / "handbook")
    for i in range(files):
        tree.write(f"docs/{i // 100}/note-{i}.md", f"# Note {i}\n\n{texts[i % len(texts)]}\n")
    tree.commit("A thousand notes")
    platform = Platform(
        root / f"git-round-{number}", workers=1, SHIELD_INBOX_DIR=str(inbox),
        SHIELD_EMBEDDING_CACHE_SIZE="0", SHIELD_INBOX_MAX_FILES=str(files * 2),
    )  # fmt: skip
    try:
        with platform.client() as client:
            for name in ("ingested", "synced"):
                assert client.post("/collections", json={"name": name}).status_code == 201
            # A first small job warms the worker (its model, its converter) for both.
            warm, _ = _job(
                client,
                client.post("/ingest-async", json={"kind": "document", "text": texts[0]}),
            )
            assert warm["status"] == "succeeded", warm["error"]
            ingest, ingest_seconds = _job(
                client,
                client.post(
                    "/ingest-async",
                    json={"kind": "document", "path": "handbook/docs", "collection": "ingested"},
                ),
            )
            assert ingest["status"] == "succeeded", ingest["error"]
            made = client.post(
                "/sources", json={"kind": "git", "path": "handbook", "collection": "synced"}
            )
            source_id = made.json()["source_id"]
            first, first_seconds = _sync(client, source_id)
            assert first["status"] == "succeeded", first["error"]
            first_counts = _counts(client, source_id)
            same, same_seconds = _sync(client, source_id)
            same_counts = _counts(client, source_id)

            step = 100  # 1%: every hundredth file changed, deleted, renamed, and as many added
            path = "docs/{}/note-{}.md".format
            for i in range(1, files, step):
                tree.write(path(i // 100, i), f"# Note {i}\n\n{texts[i % len(texts)]} Revised.\n")
            for i in range(2, files, step):
                tree.delete(path(i // 100, i))
            for i in range(3, files, step):
                tree.rename(path(i // 100, i), f"moved/note-{i}.md")
            for i in range(files // step):
                tree.write(f"new/note-{i}.md", f"# New note {i}\n\n{texts[-1 - i]}\n")
            tree.commit("1% changed, deleted, renamed and added")
            touched, touched_seconds = _sync(client, source_id)
            touched_counts = _counts(client, source_id)
    finally:
        platform.stop()
    renamed = len(range(3, files, step))
    return {
        "files": files,
        "ingest_seconds": ingest_seconds,
        "first_sync_seconds": first_seconds,
        "first_sync": first_counts,
        "unchanged_sync_seconds": same_seconds,
        "unchanged_sync": same_counts,
        "unchanged_sync_embedded": same["progress"]["chunks_embedded"],
        "touched_sync_seconds": touched_seconds,
        "touched_sync": touched_counts,
        "touched_sync_expected": {
            "added": files // step + renamed,
            "changed": len(range(1, files, step)),
            "removed": len(range(2, files, step)) + renamed,
        },
        "touched_sync_embedded": touched["progress"]["chunks_embedded"],
    }


def _share_304(round_: dict[str, Any]) -> float:
    return float(round_["unchanged_sync_304"]) / max(
        1, round_["unchanged_sync_conditional_requests"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--pages", type=int, default=980, help=f"At most {CRAWL_MAX_PAGES_LIMIT} - 2%% - 1."
    )
    parser.add_argument("--files", type=int, default=1000, help="The Git repository's files.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", choices=["web", "git"], default=["web", "git"])
    args = parser.parse_args()
    texts = corpus(max(args.pages, args.files, 200))
    root = Path(tempfile.mkdtemp()) / "sources-bench"
    figures: dict[str, Any] = {}
    if "web" in args.kinds:
        figures |= web_figures([one_round(root, args.pages, texts, n) for n in range(args.rounds)])
    if "git" in args.kinds:
        figures["git"] = git_figures(
            [git_round(root, args.files, texts, n) for n in range(args.rounds)]
        )
    save("sources", figures)


def _within(rounds: list[dict[str, Any]], part: str, whole: str) -> float:
    """The median over the rounds of one time against another of the same round."""
    return median([r[part] / r[whole] for r in rounds])


def web_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios within each round (the crawl and the syncs share its platform), then medians."""
    first = median([r["first_sync_seconds"] for r in rounds])
    figures = {
        "pages": rounds[0]["pages"],
        "rounds": rounds,
        "crawl_seconds": median([r["crawl_seconds"] for r in rounds]),
        "first_sync_seconds": first,
        "first_sync_vs_crawl": _within(rounds, "first_sync_seconds", "crawl_seconds"),
        "unchanged_vs_first": _within(rounds, "unchanged_sync_seconds", "first_sync_seconds"),
        "unchanged_share_304": median([_share_304(r) for r in rounds]),
        "unchanged_embedded": max(r["unchanged_sync_embedded"] for r in rounds),
        "touched_vs_first": _within(rounds, "touched_sync_seconds", "first_sync_seconds"),
    }
    print(f"site of {figures['pages']} pages, {len(rounds)} rounds (medians)")
    print(f"plain crawl             {figures['crawl_seconds']:8.1f} s")
    print(f"first sync              {first:8.1f} s   {figures['first_sync_vs_crawl']:.2f} x crawl")
    print(
        f"unchanged re-sync       {figures['unchanged_vs_first']:8.3f} x first sync   "
        f"304s {figures['unchanged_share_304']:.2f}   embedded {figures['unchanged_embedded']}"
    )
    print(f"1% changed/removed/added {figures['touched_vs_first']:7.3f} x first sync")
    for r in rounds:
        print(f"  touched: {r['touched_sync']}  expected: {r['touched_sync_expected']}")
    return figures


def git_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios within each round (the ingest and the syncs share its platform), then medians."""
    figures = {
        "files": rounds[0]["files"],
        "rounds": rounds,
        "ingest_seconds": median([r["ingest_seconds"] for r in rounds]),
        "first_sync_seconds": median([r["first_sync_seconds"] for r in rounds]),
        "first_sync_vs_ingest": _within(rounds, "first_sync_seconds", "ingest_seconds"),
        "unchanged_vs_first": _within(rounds, "unchanged_sync_seconds", "first_sync_seconds"),
        "unchanged_embedded": max(r["unchanged_sync_embedded"] for r in rounds),
        "touched_vs_first": _within(rounds, "touched_sync_seconds", "first_sync_seconds"),
    }
    print(f"git repository of {figures['files']} files, {len(rounds)} rounds (medians)")
    print(f"ingest of the files     {figures['ingest_seconds']:8.1f} s")
    print(
        f"first sync              {figures['first_sync_seconds']:8.1f} s   "
        f"{figures['first_sync_vs_ingest']:.2f} x ingest"
    )
    print(
        f"unchanged re-sync       {figures['unchanged_vs_first']:8.3f} x first sync   "
        f"embedded {figures['unchanged_embedded']}"
    )
    print(f"1% changed/deleted/renamed/added {figures['touched_vs_first']:.3f} x first sync")
    for r in rounds:
        print(f"  touched: {r['touched_sync']}  expected: {r['touched_sync_expected']}")
    return figures


if __name__ == "__main__":
    main()
