"""Documents through the HTTP API end to end: every format uploaded, converted offline by
Docling, chunked along its structure and found by search; re-ingest rules for files; document
URLs through the egress guard; the inbox; and hostile files refused with the right status."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from shield.jobs.store import upload_key
from support import documents
from support.processes import RedisServer
from support.services import ApiServer, WorkerProcess, sse_states, wait_job

MAX_UPLOAD = 2 * 1024 * 1024
MAX_CHUNKS = 60  # the per-document budget of this module's worker


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inbox")
    (root / "manuals").mkdir()
    (root / "manuals" / "glacier.md").write_bytes(documents.make("md"))
    (root / "manuals" / "violin.adoc").write_bytes(documents.make("asciidoc"))
    (root / "manuals" / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x8f" * 500)
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Documents served on loopback, as an intranet file server would."""
    root = tmp_path_factory.mktemp("site")
    (root / "handbook.docx").write_bytes(documents.make("docx"))
    (root / "handbook.pdf").write_bytes(documents.make("pdf"))
    handler = partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def api(start_api: Callable[..., ApiServer], inbox: Path) -> ApiServer:
    # shield-api sees the workers' inbox, as on one host: a missing path is refused at once.
    return start_api(max_upload_bytes=MAX_UPLOAD, inbox_dir=inbox)


@pytest.fixture(scope="module")
def worker(
    api: ApiServer, inbox: Path, start_worker: Callable[..., WorkerProcess]
) -> WorkerProcess:
    return start_worker(
        api,
        SHIELD_INBOX_DIR=str(inbox),
        SHIELD_CRAWL_ALLOWLIST="127.0.0.1",  # the test site, and nothing else on loopback
        SHIELD_MAX_UPLOAD_BYTES=str(MAX_UPLOAD),
        SHIELD_MAX_DOCUMENT_CHUNKS=str(MAX_CHUNKS),
    )


def upload(client: httpx.Client, name: str, data: bytes, **form: str) -> httpx.Response:
    # A named collection is made by the upload that names it first.
    create = {"create_collection": "true"} if "collection" in form else {}
    return client.post(
        "/ingest-async/upload", files={"file": (name, data)}, data={**form, **create}
    )


def accepted_job(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def search(client: httpx.Client, query: str, **extra: Any) -> list[dict[str, Any]]:
    response = client.post("/search", json={"query": query, "limit": 3, **extra})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def test_every_format_is_converted_and_found_by_search(
    api: ApiServer, worker: WorkerProcess
) -> None:
    with api.client() as client:
        jobs = {
            fmt: accepted_job(
                upload(client, documents.filename(fmt), documents.make(fmt), collection="formats")
            )
            for fmt in documents.FORMATS
        }
        for fmt, job_id in jobs.items():
            state = wait_job(client, job_id, timeout=180)
            assert state["status"] == "succeeded", (fmt, state, worker.log()[-3000:])
            [item] = state["result"]["documents"]
            assert item["status"] == "stored", item
            assert item["chunks"] >= 1, item
            assert item["format"] == fmt
            assert item["source"] == documents.filename(fmt)
        for fmt in documents.FORMATS:
            subject = documents.SUBJECTS[fmt]
            hits = search(client, subject.query, collection="formats")
            assert hits[0]["source"] == documents.filename(fmt), (fmt, hits)

        docx_hits = search(client, documents.SUBJECTS["docx"].query, collection="formats")
        assert docx_hits[0]["metadata"]["headings"] == ["Beekeeping handbook", "Overview"]
        assert docx_hits[0]["metadata"]["title"] == "Beekeeping handbook"
        pdf_hits = search(client, documents.SUBJECTS["pdf"].query, collection="formats")
        assert 1 in pdf_hits[0]["metadata"]["pages"]
        pdf_state = client.get(f"/jobs/{jobs['pdf']}").json()
        assert pdf_state["result"]["documents"][0]["pages"] == 2


def test_a_photo_of_a_page_is_read_by_ocr_and_found(api: ApiServer, worker: WorkerProcess) -> None:
    from PIL import Image, ImageDraw, ImageFont

    lines = [
        "Harbour notice for the winter months.",
        "The pilot boat leaves the quay at six.",
        "Ferries keep to the marked channel in fog,",
        "and every vessel reports to the harbour",
        "master before it enters the inner basin.",
    ]
    page = Image.new("L", (1400, 120 + 80 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=44)
    for number, line in enumerate(lines):
        draw.text((60, 60 + 80 * number), line, font=font, fill=0)
    photo = io.BytesIO()
    page.rotate(180).save(photo, format="JPEG")  # upside down, as a phone may take it
    with api.client() as client:
        state = wait_job(client, accepted_job(upload(client, "notice.jpg", photo.getvalue())))
        assert state["status"] == "succeeded", (state, worker.log()[-3000:])
        [item] = state["result"]["documents"]
        assert (item["format"], item["ocr_pages"]) == ("jpeg", 1)
        hits = search(client, "when does the pilot boat leave?")
        assert hits[0]["source"] == "notice.jpg"
        assert "pilot boat leaves the quay" in hits[0]["text"]


def test_progress_shows_each_document_stage(api: ApiServer, worker: WorkerProcess) -> None:
    with api.client() as client:
        job_id = accepted_job(upload(client, "stages.docx", documents.make("docx")))
        accepted = client.get(f"/jobs/{job_id}").json()
    states, _ = sse_states(api, f"/jobs/{job_id}/events")
    seen = [s["result"]["documents"][0]["status"] for s in states if s["result"]["documents"]]
    ordered = ["converting", "chunking", "embedding", "storing", "stored"]
    assert [s for s in dict.fromkeys(seen) if s in ordered] == ordered, seen
    assert accepted["request"]["upload"] == {
        "filename": "stages.docx",
        "format": "docx",
        "bytes": len(documents.make("docx")),
    }


def test_same_file_changes_nothing_and_new_content_replaces_it(
    api: ApiServer, worker: WorkerProcess, redis_server: RedisServer
) -> None:
    with api.client() as client:
        first = wait_job(client, accepted_job(upload(client, "tides.txt", documents.make("txt"))))
        assert first["result"]["documents"][0]["status"] == "stored"
        assert redis_server.client().get(upload_key(first["job_id"])) is None  # freed at the end

        again = wait_job(client, accepted_job(upload(client, "tides.txt", documents.make("txt"))))
        assert again["result"]["documents"][0]["status"] == "unchanged"

        changed = documents.make("txt", extra="Seals rest on the turbine platform at low tide.")
        third = wait_job(client, accepted_job(upload(client, "tides.txt", changed)))
        assert third["result"]["documents"][0]["status"] == "stored"
        [doc] = [
            d for d in client.get("/documents").json()["documents"] if d["source"] == "tides.txt"
        ]
        assert doc["job_id"] == third["job_id"]
        hits = search(client, "seals resting on the turbine platform")
        assert hits[0]["source"] == "tides.txt"
        assert "Seals" in hits[0]["text"]


def test_hostile_uploads_are_refused_before_anything_is_queued(
    api: ApiServer, worker: WorkerProcess
) -> None:
    with api.client() as client:
        before = len(client.get("/jobs", params={"limit": 500}).json()["jobs"])
        cases = [
            ("bomb.docx", documents.zip_bomb_docx(), 415, "would expand to"),
            ("random.pdf", bytes(range(256)) * 64, 415, "claims to be PDF"),
            ("empty.md", b"", 415, "is empty"),
            ("program.exe", b"MZ\x90\x00", 415, "not a format Shield reads"),
            ("huge.txt", b"a" * (MAX_UPLOAD + 1), 413, "larger than"),
        ]
        for name, data, status, message in cases:
            response = upload(client, name, data)
            assert response.status_code == status, (name, response.text)
            assert message in response.json()["error"]["message"], (name, response.text)
        bad_metadata = upload(client, "ok.md", documents.make("md"), metadata="[1, 2]")
        assert bad_metadata.status_code == 422
        after = len(client.get("/jobs", params={"limit": 500}).json()["jobs"])
        assert after == before

        traversal = wait_job(
            client, accepted_job(upload(client, "../../etc/passwd.md", documents.make("md")))
        )
        assert traversal["status"] == "succeeded"
        assert traversal["result"]["documents"][0]["source"] == "passwd.md"


def test_a_damaged_file_fails_its_job_with_the_reason(
    api: ApiServer, worker: WorkerProcess
) -> None:
    with api.client() as client:
        broken = b"%PDF-1.7\n" + b"\x8f" * 2000  # a PDF's signature, then nothing readable
        state = wait_job(client, accepted_job(upload(client, "broken.pdf", broken)))
    assert state["status"] == "failed"
    assert state["error"]["code"] == "documents_failed"
    assert "broken.pdf could not be converted" in state["error"]["message"]
    assert state["error"]["cause"] == "input"  # the caller's file, not Shield's failure
    assert state["result"]["documents"][0]["status"] == "failed"
    assert state["result"]["documents"][0]["cause"] == "input"


def test_a_document_over_its_budget_fails_alone_and_says_which_limit(
    api: ApiServer, worker: WorkerProcess
) -> None:
    import io

    import docx

    sprawling = docx.Document()
    for n in range(3000):  # a small file that expands to thousands of passages
        sprawling.add_heading(f"Section {n}", level=2)
        sprawling.add_paragraph(f"Paragraph {n} of a document that costs more than it should.")
    data = io.BytesIO()
    sprawling.save(data)
    long_text = "\n\n".join(f"# Part {n}\n\n" + "word " * 150 for n in range(200))
    with api.client() as client:
        docx_job = accepted_job(upload(client, "sprawling.docx", data.getvalue()))
        text_job = accepted_job(
            client.post(
                "/ingest-async",
                json={"kind": "document", "text": long_text, "source": "long-notes"},
            )
        )
        small = accepted_job(upload(client, "fits.md", documents.make("md")))
        states = [wait_job(client, job, timeout=180) for job in (docx_job, text_job, small)]
    for state in states[:2]:
        assert state["status"] == "failed", state
        assert state["error"]["cause"] == "input"
        assert f"at most {MAX_CHUNKS}" in state["error"]["message"] or (
            f"more than {MAX_CHUNKS} passages" in state["error"]["message"]
        ), state["error"]
        assert "SHIELD_MAX_DOCUMENT_CHUNKS" in state["error"]["message"]
        assert state["progress"]["chunks_embedded"] == 0  # refused before any embedding
    assert states[2]["status"] == "succeeded"  # the next document is read as usual


def test_documents_by_url_go_through_the_egress_guard(
    api: ApiServer, worker: WorkerProcess, site: str
) -> None:
    port = site.rsplit(":", 1)[1]
    with api.client() as client:
        ok = client.post(
            "/ingest-async", json={"kind": "document", "url": f"{site}/handbook.docx#intro"}
        )
        state = wait_job(client, accepted_job(ok))
        assert state["status"] == "succeeded", state
        assert state["result"]["documents"][0]["source"] == f"{site}/handbook.docx"
        # The same file was uploaded as stages.docx by another test: the two tie for first.
        hits = search(client, documents.SUBJECTS["docx"].query)
        best = [h["source"] for h in hits if h["score"] == pytest.approx(hits[0]["score"])]
        assert f"{site}/handbook.docx" in best

        # Loopback beyond the allowlisted address is refused, and the job says why.
        other = client.post(
            "/ingest-async",
            json={"kind": "document", "url": f"http://127.0.0.2:{port}/handbook.pdf"},
        )
        refused = wait_job(client, accepted_job(other))
        assert refused["status"] == "failed"
        assert "127.0.0.2 is a loopback address" in refused["result"]["documents"][0]["error"]

        for url in ("file:///etc/passwd", "ftp://example.com/a.pdf", "http://u:p@example.com/"):
            response = client.post("/ingest-async", json={"kind": "document", "url": url})
            assert response.status_code == 422, response.text
            assert response.json()["error"]["fields"][0]["field"] == "url"


def test_inbox_folders_ingest_every_file_and_paths_stay_inside(
    api: ApiServer, worker: WorkerProcess
) -> None:
    with api.client() as client:
        ok = client.post("/ingest-async", json={"kind": "document", "path": "manuals"})
        state = wait_job(client, accepted_job(ok))
        items = {d["source"]: d for d in state["result"]["documents"]}
        assert set(items) == {"manuals/broken.pdf", "manuals/glacier.md", "manuals/violin.adoc"}
        assert items["manuals/glacier.md"]["status"] == "stored"
        assert items["manuals/violin.adoc"]["status"] == "stored"
        assert items["manuals/broken.pdf"]["status"] == "failed"
        assert state["status"] == "succeeded"  # one bad file does not fail the others
        assert state["progress"]["documents_failed"] == 1

        for path in ("../etc", "/etc/passwd", "manuals/../../x"):
            response = client.post("/ingest-async", json={"kind": "document", "path": path})
            assert response.status_code == 422, response.text
        before = len(client.get("/jobs", params={"limit": 500}).json()["jobs"])
        missing = client.post("/ingest-async", json={"kind": "document", "path": "nope.pdf"})
        assert missing.status_code == 404, missing.text  # at once, not as the job's failure
        assert "'nope.pdf' is not in the inbox" in missing.json()["error"]["message"]
        assert len(client.get("/jobs", params={"limit": 500}).json()["jobs"]) == before


def test_exactly_one_source_per_document_request(api: ApiServer) -> None:
    with api.client() as client:
        for body in (
            {"kind": "document"},
            {"kind": "document", "text": "a", "url": "https://example.com/a.pdf"},
            {"kind": "document", "url": "https://example.com/a.pdf", "source": "x"},
        ):
            response = client.post("/ingest-async", json=body)
            assert response.status_code == 422, response.text


def test_conversions_keep_sentences_whole_and_the_text_view_shows_each_heading_once(
    api: ApiServer, worker: WorkerProcess
) -> None:
    markdown = (
        b"# Console guide\n\nLog in with `admin` and the password `hunter2` on the console.\n\n"
        b"## Backups\n\nRun `shield backup` every night.\n\n## Restores\n\nRestore with care.\n"
    )
    html = (
        b'<html><body><h1>Ferry timetable<a class="headerlink" href="#top">\xc2\xb6</a></h1>'
        b"<p>The ferry leaves the north pier at seven.</p>"
        b'<h2 id="w">Winter<a href="#w" title="Permalink to this heading">#</a></h2>'
        b"<p>In winter it leaves at eight.</p></body></html>"
    )
    with api.client() as client:
        for name, data in (("console.md", markdown), ("ferry.html", html)):
            state = wait_job(client, accepted_job(upload(client, name, data)))
            assert state["status"] == "succeeded", state
        [login] = search(client, "log in with admin password console")[:1]
        assert "Log in with `admin` and the password `hunter2` on the console." in login["text"]
        [winter] = [hit for hit in search(client, "ferry in winter") if "eight" in hit["text"]]
        assert winter["headings"] == ["Ferry timetable", "Winter"]  # no permalink marks
        doc_id = login["document_id"]
        whole = client.get(f"/documents/{doc_id}/text").json()["text"]
    assert whole == (
        "# Console guide\n\nLog in with `admin` and the password `hunter2` on the console.\n\n"
        "## Backups\n\nRun `shield backup` every night.\n\n## Restores\n\nRestore with care."
    )
