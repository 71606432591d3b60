from __future__ import annotations

from pathlib import Path

import pytest

from shield.documents.inbox import check_in_inbox, check_relative_path, inbox_files
from shield.errors import Forbidden, InvalidInput, NotFound


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    (root / "reports" / "2026").mkdir(parents=True)
    (root / "reports" / "q1.pdf").write_bytes(b"%PDF-1.4")
    (root / "reports" / "2026" / "q2.docx").write_bytes(b"PK")
    (root / "reports" / "notes.exe").write_bytes(b"MZ")
    (root / "reports" / ".draft.md").write_text("# hidden")
    (tmp_path / "secret.md").write_text("# outside")
    (root / "reports" / "escape.md").symlink_to(tmp_path / "secret.md")
    (root / "escape-dir").symlink_to(tmp_path)
    return root


@pytest.mark.parametrize("path", ["/etc/passwd", "../secret.md", "a/../../b", "a\\b", "x\x00"])
def test_paths_that_could_leave_the_inbox_are_refused_by_form(path: str) -> None:
    with pytest.raises(ValueError, match=r"relative|'\.\.'|NUL"):
        check_relative_path(path)


def test_a_folder_gives_its_supported_files_sorted_and_no_hidden_or_escaping_ones(
    inbox: Path,
) -> None:
    files = inbox_files(inbox, "reports", 100)
    assert [source for source, _ in files] == ["reports/2026/q2.docx", "reports/q1.pdf"]


def test_a_single_file(inbox: Path) -> None:
    [(source, path)] = inbox_files(inbox, "reports/q1.pdf", 100)
    assert source == "reports/q1.pdf"
    assert path.read_bytes() == b"%PDF-1.4"


def test_a_symlink_out_of_the_inbox_is_refused(inbox: Path) -> None:
    with pytest.raises(Forbidden, match="outside the inbox"):
        inbox_files(inbox, "reports/escape.md", 100)
    with pytest.raises(Forbidden, match="outside the inbox"):
        inbox_files(inbox, "escape-dir/secret.md", 100)


def test_missing_paths_no_inbox_and_too_many_files(inbox: Path) -> None:
    with pytest.raises(NotFound, match="not in the inbox"):
        inbox_files(inbox, "reports/q9.pdf", 100)
    with pytest.raises(InvalidInput, match="SHIELD_INBOX_DIR"):
        inbox_files(None, "reports", 100)
    with pytest.raises(InvalidInput, match="more than 1 files"):
        inbox_files(inbox, "reports", 1)


def test_shield_api_checks_a_path_is_there_before_it_queues_the_job(tmp_path: Path) -> None:
    (tmp_path / "manuals").mkdir()
    (tmp_path / "manuals" / "pump.md").write_text("# Pump\n")
    (tmp_path / "escape").symlink_to("/etc")
    check_in_inbox(tmp_path, "manuals")
    check_in_inbox(tmp_path, "manuals/pump.md")
    with pytest.raises(NotFound, match=r"'manuals/valve\.md' is not in the inbox"):
        check_in_inbox(tmp_path, "manuals/valve.md")
    with pytest.raises(Forbidden, match="leads outside the inbox"):
        check_in_inbox(tmp_path, "escape/passwd")
