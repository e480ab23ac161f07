"""The build state's archived list pages: what each page lists, read in one query (ADR 0164)."""

from __future__ import annotations

import orjson
import pytest

from site_generator.state import DOC_COLUMNS, State


def _row(n: int, lists: list[str]) -> dict:
    row = {c: "" for c in DOC_COLUMNS}
    row.update(id=f"d{n:03d}", site="zfb", ts=1_700_000_000 + n * 60, lists=orjson.dumps(lists).decode(),
               entry=f"<li>{n}</li>", feed=b"{}", interprets=None, replaced_by=None)
    return row


@pytest.fixture()
def state(tmp_path):
    st = State(tmp_path / "state.sqlite3", fresh=True)
    st.begin()
    st.put_docs([_row(n, ["all", "s:zfb"] if n % 2 else ["all"]) for n in range(1, 12)])
    st.recount_all()
    st.seal_all(3)
    st.finish_fresh()
    yield st
    st.close()


def test_archived_pages_hold_their_entries_oldest_first(state):
    assert state.page_entries("all", 1, 3) == {
        1: ["<li>1</li>", "<li>2</li>", "<li>3</li>"],
        2: ["<li>4</li>", "<li>5</li>", "<li>6</li>"],
        3: ["<li>7</li>", "<li>8</li>", "<li>9</li>"],
    }
    assert state.page_entries("all", 2, 2) == {2: ["<li>4</li>", "<li>5</li>", "<li>6</li>"]}
    assert state.page_entries("s:zfb", 1, 5) == {1: ["<li>1</li>", "<li>3</li>", "<li>5</li>"],
                                                 2: ["<li>7</li>", "<li>9</li>", "<li>11</li>"]}
    assert state.page_entries("all", 4, 9) == {}  # 10 and 11 are the open tail, on no archived page


def test_an_item_without_its_document_is_an_error_not_a_short_page(state):
    state.db.execute("DELETE FROM docs WHERE id='d005'")
    with pytest.raises(KeyError, match="d005"):
        state.page_entries("all", 2, 2)
