"""PL13: the comment service lets only who may read a record list or add its comments."""
from __future__ import annotations

import pytest

from stageflow.data import RecordNotFound
from stageflow.data.comments import CommentRefused
from stageflow.data.timeline import EntryKind, add_comment
from stageflow.storage.database import write_transaction
from tests.data.test_attachments import platform_admin

APP = "mini"


@pytest.fixture
def deal(sf):
    return sf.records.create(sf.actor("boss"), APP, "deal", {"title": "Talk", "assignee": "boris"})


def test_a_reader_of_the_record_adds_and_lists_comments(sf, deal):
    boris = sf.actor("boris")
    created = sf.comments.add(boris, APP, "deal", deal["id"], "Called the client")
    assert (created["author"], created["body"], created["kind"], created["files"]) == \
        ("boris", "Called the client", "comment", [])
    with write_transaction(sf.db) as conn:
        add_comment(conn, APP, "deal", deal["id"], "Reminder sent", author=None, kind=EntryKind.ROBOT, now=sf.clock())
    anna = sf.actor("anna")  # the sales head sees her department's deals
    assert [c["body"] for c in sf.comments.list(anna, APP, "deal", deal["id"])] == ["Called the client",
                                                                                    "Reminder sent"]
    assert [c["body"] for c in sf.comments.list(anna, APP, "deal", deal["id"], include_robots=False)] == [
        "Called the client"]


def test_who_cannot_see_the_record_gets_not_found_for_its_comments(sf, deal):
    sf.comments.add(sf.actor("boris"), APP, "deal", deal["id"], "Private talk")
    carl = sf.actor("carl")  # another department
    with pytest.raises(RecordNotFound):
        sf.comments.list(carl, APP, "deal", deal["id"])
    with pytest.raises(RecordNotFound):
        sf.comments.add(carl, APP, "deal", deal["id"], "Let me in")
    assert [c["body"] for c in sf.comments.list(sf.actor("boris"), APP, "deal", deal["id"])] == ["Private talk"]


def test_a_comment_needs_text_and_carries_only_the_authors_files(sf, deal):
    boris, anna = sf.actor("boris"), sf.actor("anna")
    with pytest.raises(CommentRefused) as empty:
        sf.comments.add(boris, APP, "deal", deal["id"], "   ")
    assert list(empty.value.errors) == ["body"]
    with pytest.raises(CommentRefused) as not_text:
        sf.comments.add(boris, APP, "deal", deal["id"], {"text": "x"})
    assert not_text.value.errors == {"body": "expected text"}
    mine = sf.files.put("scan.pdf", "application/pdf", b"%PDF", "boris", sf.clock())
    with pytest.raises(CommentRefused) as foreign:
        sf.comments.add(anna, APP, "deal", deal["id"], "mine?", files=[mine.id])
    assert foreign.value.errors == {"files": f"#{mine.id} is not yours"}
    for bad in ("1", [True], [2**64], [999_999]):
        with pytest.raises(CommentRefused):
            sf.comments.add(boris, APP, "deal", deal["id"], "see file", files=bad)
    assert sf.comments.add(boris, APP, "deal", deal["id"], "see file", files=[mine.id, mine.id])["files"] == [mine.id]
    # A platform administrator may attach anyone's file.
    assert sf.comments.add(platform_admin(sf), APP, "deal", deal["id"], "his file", files=[mine.id])["files"] == [mine.id]
