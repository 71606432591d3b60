"""`python -m monitoring.generate [--check]`: write the generated monitoring assets, or (with
--check) fail when one differs from what its sources give."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitoring.generate import catalogue, dashboards, reference, slo

DOC = catalogue.ROOT / "docs" / "MONITORING.md"


def assets() -> dict[Path, str]:
    """The dashboards and the SLO rules, and the text each must hold."""
    files = {
        catalogue.DASHBOARDS_DIR / name: text for name, text in dashboards.render_all().items()
    }
    files[catalogue.RULES_DIR / "slo.yml"] = slo.render(slo.load(catalogue.MONITORING / "slo.yml"))
    return files


def document() -> str:
    """docs/MONITORING.md as the dashboards and rules on disk describe it."""
    return reference.render(DOC, slo.load(catalogue.MONITORING / "slo.yml"))


def _sync(path: Path, text: str, check: bool) -> bool:
    """Whether `path` was stale; writes it unless checking."""
    if path.exists() and path.read_text() == text:
        return False
    print(f"{'stale' if check else 'wrote'}: {path.relative_to(catalogue.ROOT)}")
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    check = parser.parse_args().check
    stale = [_sync(path, text, check) for path, text in assets().items()]
    # Rendered after the assets are written: the document lists what they hold.
    stale.append(_sync(DOC, document(), check))
    return 1 if check and any(stale) else 0


if __name__ == "__main__":
    sys.exit(main())
