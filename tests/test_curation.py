"""Feedback and the knowledge-gap log, over every store."""

from __future__ import annotations

import pytest

from bot.curation import CurationService, FeedbackRecorder, normalize_gap, scrub_gap_text, voter_key
from bot.storage.base import Store
from bot.types import Platform
from tests.delivery.support import FakeClock, make_settings, utc


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2025, 3, 8, 12, 0))


@pytest.fixture
def curation(store: Store, clock: FakeClock) -> CurationService:
    return CurationService(store, clock, make_settings())


def test_implements_the_port(curation: CurationService) -> None:
    recorder: FeedbackRecorder = curation
    assert recorder is curation


async def test_feedback_and_gaps(curation: CurationService, clock: FakeClock) -> None:
    await curation.record_feedback(Platform.DISCORD, "court-ruling", True, voter="42")
    await curation.record_feedback(Platform.TELEGRAM, "court-ruling", False, voter="42")
    [count] = await curation.feedback_counts()
    assert (count.entry_id, count.helpful, count.unhelpful) == ("court-ruling", 1, 1)
    await curation.record_gap("Is @alice's CapCut banned? mail me a@b.co", "en", 0.2, clock())
    await curation.record_gap("is @bob's capcut banned?? mail me x@y.org", "en", 0.3, clock())
    [gap] = await curation.top_gaps(5)
    assert gap.count == 2 and "alice" not in gap.text and "@" not in gap.text.replace("@user", "")


async def test_one_vote_per_user_and_entry_and_no_user_id_kept(curation: CurationService, store: Store) -> None:
    for _ in range(50):  # 50 taps on 👍 by one user
        await curation.record_feedback(Platform.DISCORD, "law-name", True, voter="1234567890")
    await curation.record_feedback(Platform.DISCORD, "law-name", False, voter="1234567890")  # changed their mind
    await curation.record_feedback(Platform.DISCORD, "law-name", True, voter="987")
    [count] = await curation.feedback_counts()
    assert (count.helpful, count.unhelpful) == (1, 1)
    assert voter_key(Platform.DISCORD, "1234567890") != voter_key(Platform.TELEGRAM, "1234567890")
    assert "1234567890" not in voter_key(Platform.DISCORD, "1234567890")


def test_gap_text_helpers() -> None:
    assert scrub_gap_text("call +1 415 555 0100 now") == "call <number> now"
    assert normalize_gap("What  about CapCut?!") == "what about capcut"
