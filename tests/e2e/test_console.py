"""The web console in a real browser (Debian's Chromium, headless, driven by Playwright): sign
in with a token, upload a file and watch its job finish, find it by search (with the graph's
context beside it), read it, explore the knowledge graph around a name and expand it (and a
graph of over 300 entities, fitted, panned and zoomed, its labels never overlapping), and check
that stored HTML and script are shown as text and never run, under the page's strict
Content-Security-Policy. A crawl is started and cancelled from the jobs' list. Keyboard alone
reaches and works the sign-in and the sections. (One worker, allowed to fetch the test site on
127.0.0.1, takes every job.)"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from support.graphfacts import FAMILY_NAMES, GIVEN_NAMES
from support.services import TOKEN, ApiServer, GraphProcess, WorkerProcess, wait_graph
from support.sites import EditableSite, Site
from support.sites import page as site_page

pytestmark = pytest.mark.slow
PICTURES = Path(__file__).resolve().parents[2] / "docs" / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
AXE = Path(__file__).resolve().parents[1] / "clients" / "node_modules" / "axe-core" / "axe.min.js"
# The drawing's mean relation length, mean distance between entities, and the closest two.
LAYOUT_FIGURES = """() => {
  const at = [...document.querySelectorAll('#graph circle')]
    .map(c => [c.cx.baseVal.value, c.cy.baseVal.value]);
  const lines = [...document.querySelectorAll('#graph line')].map(l => Math.hypot(
    l.x1.baseVal.value - l.x2.baseVal.value, l.y1.baseVal.value - l.y2.baseVal.value));
  const pairs = [];
  at.forEach((a, i) => at.slice(i + 1).forEach(
    b => pairs.push(Math.hypot(a[0] - b[0], a[1] - b[1]))));
  const mean = xs => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {edge: mean(lines), pair: mean(pairs), closest: Math.min(...pairs), n: at.length};
}"""
HOSTILE = (
    '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'
    " The harbour master signs every mooring permit."
)


@pytest.fixture(scope="module")
def api(start_api: Callable[..., ApiServer], graph: GraphProcess) -> ApiServer:
    """shield-api with a knowledge graph, for the graph explorer."""
    return start_api(
        grafana_url="https://grafana.example.org",
        lightrag_url=graph.url,
        lightrag_token=graph.token,
        graph_idle_seconds=0.2,
        graph_retry_seconds=1,
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, api: ApiServer) -> Iterator[Page]:
    context = browser.new_context(base_url=api.url)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors  # no script error, and no CSP violation thrown as one


def picture(page: Page, name: str) -> None:
    """With SHIELD_CONSOLE_PICTURES=1, the docs' screenshots (docs/console/) from this run."""
    if os.environ.get("SHIELD_CONSOLE_PICTURES") == "1":
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(PICTURES / f"{name}.png"), full_page=True)


def sign_in(page: Page, token: str = TOKEN) -> None:
    page.goto("/console")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_contain_text("(admin)")
    expect(page.locator("#queue")).to_contain_text("queued")
    expect(page.locator("#grafana")).to_have_attribute("href", "https://grafana.example.org")
    expect(page.locator("#sign-in")).to_be_hidden()


def test_the_page_is_served_with_a_strict_policy(api: ApiServer) -> None:
    response = httpx.get(f"{api.url}/console")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.text  # only the module file, no inline code
    asset = response.text.split('src="')[1].split('"')[0]
    assert httpx.get(f"{api.url}{asset}").headers["cache-control"].endswith("immutable")
    assert httpx.get(f"{api.url}/console/assets/console.js").status_code == 404  # fingerprints only


def test_a_wrong_token_is_refused_and_asked_again(page: Page) -> None:
    sign_in_page = page
    sign_in_page.goto("/console")
    sign_in_page.get_by_label("Token").fill("not-the-token-at-all-0123456789")
    sign_in_page.get_by_role("button", name="Sign in").click()
    expect(sign_in_page.locator("#sign-in-error")).to_contain_text("invalid bearer token")
    expect(sign_in_page.locator("#app")).to_be_hidden()


def test_upload_watch_find_and_read(
    page: Page, api: ApiServer, loopback_worker: WorkerProcess, tmp_path: Path
) -> None:
    note = tmp_path / "lighthouse.md"
    note.write_text("# Lighthouse\n\nMira Holt keeps the lighthouse on Gannet Rock.\n")
    sign_in(page)
    page.get_by_role("button", name="Ingest").click()
    page.get_by_label("File").set_input_files(str(note))
    page.get_by_role("button", name="Upload").click()
    job = page.locator("#jobs tbody tr").first
    expect(job).to_have_attribute("data-status", "succeeded", timeout=120_000)
    outcomes = job.locator("details")
    expect(outcomes.locator("summary")).to_have_text("1 stored")
    outcomes.locator("summary").click()
    expect(outcomes.locator('li[data-status="stored"]')).to_contain_text("lighthouse.md")
    expect(outcomes.locator("li")).to_contain_text("1 chunks")

    page.get_by_role("button", name="Search").click()
    page.get_by_label("Query").fill("who keeps the lighthouse")
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#results li").first).to_contain_text("Mira Holt keeps the lighthouse")
    picture(page, "search")

    page.get_by_role("button", name="Collections").click()
    page.get_by_role("button", name="shield").click()
    page.get_by_role("button", name="lighthouse.md").click()
    expect(page.locator("#document-text")).to_contain_text("Gannet Rock")
    page.locator("#document-passages-count").click()
    expect(page.locator("#document-passages-count")).to_have_text(
        "Its 1 passages, as stored and searched"
    )
    expect(page.locator("#document-passages li")).to_contain_text("Mira Holt keeps the lighthouse")
    picture(page, "document")


def test_stored_html_and_script_are_shown_as_text_and_never_run(page: Page, api: ApiServer) -> None:
    with api.client() as client:
        stored = client.post("/store", json={"text": HOSTILE, "source": "hostile.html"})
        assert stored.status_code == 200, stored.text
    sign_in(page)
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Query").fill("harbour master mooring permit")
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#results li").first).to_contain_text('<img src=x onerror="window.__pwned')
    page.get_by_role("button", name="Collections").click()
    page.get_by_role("button", name="shield").click()
    page.get_by_role("button", name="hostile.html").click()
    expect(page.locator("#document-text")).to_contain_text("<script>window.__pwned = 2</script>")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#results img, #document img, #results script").count() == 0


def test_a_search_is_narrowed_by_its_filter(page: Page, api: ApiServer) -> None:
    with api.client() as client:
        for team in ("red", "blue"):
            stored = client.post(
                "/store",
                json={
                    "text": f"The {team} team repaints the buoys of the Tern Point channel.",
                    "source": f"buoys-{team}.md",
                    "metadata": {"team": team},
                },
            )
            assert stored.status_code == 200, stored.text
    sign_in(page)
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Query").fill("who repaints the buoys")
    page.get_by_label("Filter").fill("metadata.team=blue, source=buoys-blue.md|buoys-red.md")
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#results li").first).to_contain_text("The blue team repaints")
    expect(page.locator("#results")).not_to_contain_text("The red team")

    page.get_by_label("Filter").fill("metadata.team")  # no value: refused before any request
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#error")).to_contain_text('Filter "metadata.team" is not key=value')
    page.get_by_label("Filter").fill("colour=blue")  # a key the API does not know: its message
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#error")).to_contain_text("colour")


def test_the_keyboard_alone_signs_in_and_moves_between_sections(page: Page) -> None:
    page.goto("/console")
    expect(page.get_by_label("Token")).to_be_focused()
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_contain_text("service")
    page.get_by_role("button", name="Jobs").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#view-jobs")).to_be_visible()
    expect(page.get_by_role("button", name="Jobs")).to_have_attribute("aria-pressed", "true")


def test_the_graph_is_explored_around_a_name_and_expanded(page: Page, api: ApiServer) -> None:
    notes = [
        ("ferry.md", "The ferry Saltmere Star sails from Tollgard to Gannet Rock at dawn."),
        ("light.md", "Mira Holt keeps the lighthouse on Gannet Rock with Jonas Vell."),
    ]
    with api.client() as client:
        for source, text in notes:
            stored = client.post(
                "/store",
                json={
                    "create_collection": True,
                    "text": text,
                    "source": source,
                    "collection": "isles",
                },
            )
            assert stored.status_code == 200, stored.text
            assert wait_graph(client, "isles", stored.json()["document_id"])["graph"] == "stored"
    sign_in(page)
    page.get_by_role("button", name="Graph").click()
    page.get_by_label("A name or a question").fill("Mira Holt")
    page.locator("#graph-collection").select_option("isles")
    page.get_by_role("button", name="Explore").click()
    mira = page.locator('#graph g[data-entity="Mira Holt"]')
    expect(mira).to_be_visible()
    expect(mira.locator("circle")).to_have_class("focus")
    expect(page.locator("#focus-documents")).to_contain_text("light.md")
    before = page.locator("#graph g[data-entity]").count()
    # Choosing Gannet Rock focuses on it; expanding around it asks the graph again and merges
    # what it knows there: the ferry's side of the island, and every entity drawn before.
    page.locator("#entities").get_by_role("button", name="Gannet Rock", exact=True).click()
    expect(page.locator('#graph g[data-entity="Gannet Rock"] circle')).to_have_class("focus")
    expect(page.locator('#graph text[data-label="Mira Holt"]')).to_be_visible()  # a neighbour
    page.get_by_role("button", name="Expand around Gannet Rock").click()
    expect(page.locator('#graph g[data-entity="Saltmere Star"]')).to_be_visible()
    assert page.locator("#graph g[data-entity]").count() >= before
    expect(mira).to_be_visible()
    # Laid out by force: related entities are drawn closer than entities on average, and none
    # sits on another.
    drawn = page.evaluate(LAYOUT_FIGURES)
    assert drawn["edge"] < 0.8 * drawn["pair"], drawn
    assert drawn["closest"] > 9, drawn
    page.locator("#relations button").filter(has_text="Mira Holt").first.click()
    expect(page.locator("#passages")).to_contain_text("keeps the lighthouse")
    expect(page.locator("#passages-title")).to_contain_text("Passages behind")
    expect(page.locator("#passages .path").first).to_contain_text("document ")
    picture(page, "graph")
    # Beside a search's passages, the graph's context for the same query.
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Query").fill("Mira Holt")
    page.locator("#search-collection").select_option("isles")
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#search-graph")).to_contain_text("Mira Holt")


GUILDS = ["Tidewatch", "Northlight", "Emberline", "Saltwind", "Gullrock", "Heronsgate",
          "Ironbell", "Larkspur", "Mossbank", "Quayside", "Stormgate", "Amberley"]  # fmt: skip
TOWNS = [f"{stem}{end}" for stem in ("Tarn", "Cress", "Brin", "Osk", "Miren", "Dorn")
         for end in ("ford", "wick", "mere", "haven", "stead", "thorpe", "by", "holm", "dale",
                     "gate")]  # fmt: skip
# Every entity drawn, each inside the drawing; the labels shown, each with its box.
DRAWN = """() => {
  const frame = document.querySelector('#graph').getBoundingClientRect();
  const out = [...document.querySelectorAll('#graph circle')].filter(c => {
    const b = c.getBoundingClientRect();
    return b.left < frame.left || b.top < frame.top || b.right > frame.right
      || b.bottom > frame.bottom;
  }).length;
  const labels = [...document.querySelectorAll('#graph text')].map(t => {
    const b = t.getBoundingClientRect();
    return {name: t.dataset.label, left: b.left, top: b.top, right: b.right, bottom: b.bottom,
            inside: b.left >= frame.left && b.right <= frame.right && b.top >= frame.top
                    && b.bottom <= frame.bottom};
  });
  return {entities: document.querySelectorAll('#graph g[data-entity]').length, out, labels,
          viewBox: document.querySelector('#graph').getAttribute('viewBox')};
}"""


def _overlapping(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (a["name"], b["name"])
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if a["left"] < b["right"] and b["left"] < a["right"]
        and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]  # fmt: skip


def test_the_graph_explorer_stays_readable_at_300_entities(page: Page, api: ApiServer) -> None:
    """Twelve guilds, 240 people and 60 towns: each note names two people of a guild and the
    town where they work, so that exploring the guilds draws over 300 entities."""
    people = [f"{first} {last}" for last in FAMILY_NAMES[:12] for first in GIVEN_NAMES[:20]]
    with api.client() as client:
        stored = []
        for n in range(120):
            guild, town = GUILDS[n % 12], TOWNS[n % 60]
            text = (
                f"{people[2 * n]} of the {guild} Guild keeps the harbour store at {town}. "
                f"{people[2 * n + 1]} of the {guild} Guild mends the nets at {town}."
            )
            answer = client.post(
                "/store",
                json={"text": text, "source": f"guild-{n}.md", "collection": "guilds",
                      "create_collection": True},
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            stored.append(answer.json()["document_id"])
        for document in stored:
            assert wait_graph(client, "guilds", document, timeout=300)["graph"] == "stored"
    sign_in(page)
    page.get_by_role("button", name="Graph").click()
    page.locator("#graph-collection").select_option("guilds")
    for guild in GUILDS:
        page.get_by_label("A name or a question").fill(f"{guild} Guild")
        page.get_by_role("button", name="Explore").click()
        expect(page.locator(f'#graph g[data-entity="{guild} Guild"] circle')).to_have_class("focus")
    drawn = page.evaluate(DRAWN)
    assert drawn["entities"] >= 300, drawn["entities"]
    # Fitted: no entity outside the drawing. The guild in focus and its neighbours are named,
    # each label inside the drawing, no two overlapping, and nothing else is named.
    assert drawn["out"] == 0, drawn
    named = {label["name"] for label in drawn["labels"]}
    assert "Amberley Guild" in named
    neighbourhood = {"Amberley Guild"} | {
        p for n in range(11, 120, 12) for p in (people[2 * n], people[2 * n + 1], TOWNS[n % 60])
    }
    assert named <= neighbourhood, named - neighbourhood
    assert len(named) >= 10, named
    assert all(label["inside"] for label in drawn["labels"]), drawn["labels"]
    assert _overlapping(drawn["labels"]) == []
    picture(page, "graph-300")

    # Zoomed in, then a person far from the middle chosen in the list: the drawing moves to
    # them, stays on screen, and names them and their neighbours without overlap.
    for _ in range(3):
        page.get_by_role("button", name="Zoom in").click()
    assert page.evaluate(DRAWN)["viewBox"] != drawn["viewBox"]
    far = people[0]  # of the Tidewatch Guild, drawn first
    page.locator("#entities").get_by_role("button", name=far, exact=True).click()
    expect(page.locator(f'#graph g[data-entity="{far}"] circle')).to_have_class("focus")
    expect(page.locator("#graph")).to_be_in_viewport()
    focused = page.evaluate(DRAWN)
    assert far in {label["name"] for label in focused["labels"]}
    assert all(label["inside"] for label in focused["labels"])
    assert _overlapping(focused["labels"]) == []
    circle = page.locator(f'#graph g[data-entity="{far}"] circle').bounding_box()
    frame = page.locator("#graph").bounding_box()
    assert circle is not None
    assert frame is not None
    assert frame["x"] <= circle["x"] <= frame["x"] + frame["width"]
    assert frame["y"] <= circle["y"] <= frame["y"] + frame["height"]
    # Dragging the background moves the drawing; Fit shows every entity again.
    page.mouse.move(frame["x"] + 20, frame["y"] + 20)
    page.mouse.down()
    page.mouse.move(frame["x"] + 120, frame["y"] + 80)
    page.mouse.up()
    assert page.evaluate(DRAWN)["viewBox"] != focused["viewBox"]
    page.get_by_role("button", name="Fit").click()
    assert page.evaluate(DRAWN)["out"] == 0


def test_a_crawl_is_started_and_cancelled(
    page: Page, api: ApiServer, loopback_worker: WorkerProcess
) -> None:
    def slow(handler: Any) -> None:
        time.sleep(1)
        handler.send(200, site_page("Slow", "A page that takes its time.", []))

    pages = [f"/p{i}" for i in range(40)]
    site = Site({path: slow for path in pages})
    site.html("/", site_page("Start", "Forty slow pages.", pages))
    try:
        sign_in(page)
        page.get_by_role("button", name="Ingest").click()
        page.get_by_label("URL").fill(f"{site.url}/")
        page.get_by_label("Crawl the site from here").check()
        page.get_by_role("button", name="Ingest", exact=True).last.click()
        job = page.locator("#jobs tbody tr").first
        expect(job).to_have_attribute("data-status", "running", timeout=60_000)
        job.get_by_role("button", name="Cancel").click()
        expect(job).to_have_attribute("data-status", "cancelled", timeout=30_000)
        # Pages in flight finish; then the crawl fetches nothing more, short of the forty.
        deadline, fetched = time.monotonic() + 30, -1
        while fetched != (fetched := sum(site.requests[path] for path in pages)):
            assert time.monotonic() < deadline, "the cancelled crawl kept fetching"
            time.sleep(3)
        assert fetched < len(pages)
    finally:
        site.stop()


def test_a_source_is_listed_with_its_last_sync_and_synced_on_demand(
    page: Page, api: ApiServer, loopback_worker: WorkerProcess
) -> None:
    site = EditableSite()
    site.put("/", "Keeper's handbook", "The keeper trims the wick.", ["/log"])
    site.put("/log", "The log", "The keeper writes the weather in the log.", ["/"])
    try:
        with api.client() as client:
            made = {"kind": "web", "url": f"{site.url}/", "every": "6h", "name": "Handbook"}
            source = client.post("/sources", json=made).json()
        sign_in(page)
        page.get_by_role("button", name="Sources", exact=True).click()
        row = page.locator(f"#source-{source['source_id']}")
        expect(row).to_contain_text("Handbook")
        expect(row).to_contain_text("never")
        expect(row).to_contain_text("6h")
        row.get_by_role("button", name="Sync now").click()
        job = page.locator("#jobs tbody tr").first
        expect(job).to_contain_text("sync")
        expect(job).to_have_attribute("data-status", "succeeded", timeout=120_000)
        page.get_by_role("button", name="Sources", exact=True).click()
        expect(row).to_contain_text("2 added, 0 changed, 0 unchanged, 0 removed, 0 failed")
        picture(page, "sources")
        # A second sync while one runs is refused with the running job's id, and said so.
        site.delay = 5
        with api.client() as client:
            running = client.post(f"/sources/{source['source_id']}/sync").json()["job_id"]
        row.get_by_role("button", name="Sync now").click()
        expect(page.locator("#error")).to_contain_text(running)
    finally:
        site.stop()


def audit(page: Page, where: str) -> list[str]:
    """axe-core's WCAG 2.1 A and AA rules on the page as it is; each violation as a line."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the browser's devtools: no script tag
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']})).violations.map(v => `${v.id} (${v.impact}): ${v.help}: ` + "
        "v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return [f"{where}: {line}" for line in result]


def test_every_view_passes_an_accessibility_audit(page: Page, api: ApiServer) -> None:
    with api.client() as client:
        note = {"text": "Mira Holt keeps the light.", "source": "a.md"}
        stored = client.post("/store", json=note)
        assert stored.status_code == 200, stored.text
    page.goto("/console")
    violations = audit(page, "sign-in")
    sign_in(page)
    for view in ("Collections", "Search", "Ingest", "Sources", "Jobs", "Graph"):
        page.get_by_role("button", name=view, exact=True).click()
        violations += audit(page, view)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label("Query").fill("who keeps the light")
    page.locator("#search-collection").select_option("shield")
    page.locator("#search-form").get_by_role("button", name="Search").click()
    expect(page.locator("#results li").first).to_contain_text("Mira Holt")
    violations += audit(page, "search results")
    assert violations == []
    # The audit sees what it should: a field without a label is reported.
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any("label (critical)" in line for line in audit(page, "control"))
