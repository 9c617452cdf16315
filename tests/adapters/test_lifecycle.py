"""ApiHealth: a 5xx or no answer makes an adapter unready, any other answer ready again; while unhealthy the API
is asked again on its own, so an idle bot (or a webhook) gets ready again once the platform answers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.adapters.lifecycle import ApiHealth


async def test_any_answer_below_500_is_healthy_a_5xx_or_none_is_not() -> None:
    async def never() -> None:
        raise AssertionError("not rechecked while healthy")

    health = ApiHealth("test API", never, interval=3600)
    for status in (200, 204, 400, 404, 429):
        health.answered(status)
        assert health.ok
    health.answered(502)
    assert not health.ok
    health.answered(404)  # an error, but an answer
    assert health.ok
    health.unanswered("ConnectError")
    assert not health.ok
    await health.close()


async def test_an_unhealthy_api_is_asked_again_until_it_answers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    answers: list[int | None] = [502, None, 200]
    asked_enough = asyncio.Event()

    async def recheck() -> None:
        status = answers.pop(0)
        if not answers:
            asked_enough.set()
        if status is None:
            health.unanswered("ConnectError: refused")
            raise OSError("refused")
        health.answered(status)

    health = ApiHealth("test API", recheck, interval=0.01)
    health.answered(503)
    await asyncio.wait_for(asked_enough.wait(), 5)
    assert health.ok and answers == []
    await health.close()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "test API answered HTTP 503: not ready until it answers normally"),
        ("INFO", "test API answers again: ready"),
    ]
