"""End to end: mentions, DMs, mention safety, long answers and the countdown sender's error mapping."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.render import render_reply
from bot.adapters.discord_bot.sender import nonce_for
from bot.core.models import Reply, ReplyKind, SourceRef
from bot.delivery.ports import Post, SendStatus
from bot.types import ChatRef, Platform
from tests.adapters.discord_bot.conftest import make_ctx, make_settings, start_adapter
from tests.fakes.discord_api import BOT_ID, CHANNEL_ID, USER_ID, FakeDiscord
from tests.fakes.ports import MemoryServices


def _post(key: str = "sub1:2025-01-10", channel: int = CHANNEL_ID, text: str = "9 days until the deadline.") -> Post:
    reply = Reply(kind=ReplyKind.COUNTDOWN, text=text, lang="en", title="Countdown")
    return Post(chat=ChatRef(Platform.DISCORD, str(channel)), reply=reply, key=key)


async def test_mention_in_a_channel_is_answered_as_a_reply(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    message = fake.message(
        CHANNEL_ID,
        author=fake.user(USER_ID),
        content=f"<@{BOT_ID}> what is the law that could ban TikTok called? @everyone <@&940000000000000001>",
        mentions=[fake.bot_user()],
    )
    await fake.dispatch("MESSAGE_CREATE", message)
    (sent,) = await fake.wait_kind("channel_message")
    body = sent.body
    assert sent.match["channel"] == str(CHANNEL_ID)
    assert body["allowed_mentions"]["parse"] == []  # @everyone and role pings in the input stay inert
    assert body["allowed_mentions"].get("replied_user") is False
    assert str(body["message_reference"]["message_id"]) == message["id"]
    assert "Protecting Americans" in body["embeds"][0]["description"]
    assert not body.get("content")
    assert body["components"][0]["components"][0]["custom_id"] == "bb:m:en:law-name"  # "More"


async def test_channel_message_without_mention_is_ignored(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.message(CHANNEL_ID, author=fake.user(USER_ID), content="tiktok law?"))
    await fake.dispatch("MESSAGE_CREATE", fake.message(CHANNEL_ID, author=fake.bot_user(), content="loop?"))
    await fake.idle(adapter.client)
    assert fake.of_kind("channel_message") == []


async def test_dm_is_answered(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    dm = fake.message(555, author=fake.user(USER_ID), content="最高法院支持TikTok法律了吗？", guild=False)
    await fake.dispatch("MESSAGE_CREATE", dm)
    (sent,) = await fake.wait_kind("channel_message")
    assert sent.match["channel"] == "555"
    assert "最高法院" in sent.body["embeds"][0]["description"]
    assert sent.body["allowed_mentions"]["parse"] == []


async def test_long_answer_fits_embed_limits(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    paragraph = "The TikTok law @everyone keeps being discussed at length. " * 30
    text = "\n\n".join([paragraph] * 12)  # about 21,000 characters
    sources = tuple(
        SourceRef(f"s{i}", f"Source number {i} " + "x" * 150, "Publisher", f"https://example.org/{i}")
        for i in range(40)
    )
    reply = Reply(kind=ReplyKind.ANSWER, text=text, lang="en", title="T" * 400, entry_id="law-name", sources=sources)
    messages = render_reply(reply)
    assert 1 < len(messages) <= 4
    for embeds in messages:
        assert len(embeds) <= 10
        assert sum(len(e) for e in embeds) <= 6000
        for embed in embeds:
            assert len(embed.description or "") <= 4096
            assert len(embed.title or "") <= 256
            assert len(embed.fields) <= 25
            assert all(len(f.value or "") <= 1024 for f in embed.fields)

    # And through the real client: every message the sender posts is within the limits.
    result = await adapter.sender.send(
        Post(chat=ChatRef(Platform.DISCORD, str(CHANNEL_ID)), reply=reply, key="long:2025-01-10")
    )
    assert result.status is SendStatus.SENT
    sent = fake.of_kind("channel_message")
    assert len(sent) == len(messages)
    for rec in sent:
        assert sum(len(e.get("description", "")) + len(e.get("title", "")) for e in rec.body["embeds"]) <= 6000
        assert rec.body["allowed_mentions"]["parse"] == []
    assert len({rec.body["nonce"] for rec in sent}) == len(sent)


async def test_sender_posts_with_deterministic_nonce(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    first = await adapter.sender.send(_post())
    again = await adapter.sender.send(_post())  # a retry of the same post (e.g. after a crash)
    assert first.status is SendStatus.SENT and again.status is SendStatus.SENT
    bodies = [r.body for r in fake.of_kind("channel_message")]
    assert [b["nonce"] for b in bodies] == [nonce_for("sub1:2025-01-10")] * 2
    assert all(b["enforce_nonce"] is True for b in bodies)
    assert len(fake.nonces) == 1  # Discord returned the first message: one post in the channel
    assert len(nonce_for("x")) <= 25


async def test_short_429_with_via_header_is_honoured(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.fail_next_channel_message(429, retry_after=0.4)
    started = time.monotonic()
    result = await adapter.sender.send(_post())
    elapsed = time.monotonic() - started
    assert result.status is SendStatus.SENT
    attempts = fake.of_kind("channel_message")
    assert len(attempts) == 2 and attempts[0].body["nonce"] == attempts[1].body["nonce"]
    assert elapsed >= 0.4  # waited retry_after before trying again


async def test_long_429_is_rate_limited_with_retry_after(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.fail_next_channel_message(429, retry_after=120.0)
    result = await adapter.sender.send(_post())
    assert result.status is SendStatus.RATE_LIMITED
    assert result.retry_after == 120.0
    assert len(fake.of_kind("channel_message")) == 1


async def test_429_without_via_is_rate_limited_not_retried(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.fail_next_channel_message(429, retry_after=5.0, via=False)
    result = await adapter.sender.send(_post())
    assert result.status is SendStatus.RATE_LIMITED
    assert result.retry_after == 5.0


@pytest.mark.parametrize(("status", "code"), [(403, 50001), (403, 50013), (404, 10003)])
async def test_permanent_failures_are_gone(adapter: DiscordAdapter, fake: FakeDiscord, status: int, code: int) -> None:
    fake.fail_next_channel_message(status, code=code)
    result = await adapter.sender.send(_post())
    assert result.status is SendStatus.GONE
    assert str(code) in result.detail
    assert len(fake.of_kind("channel_message")) == 1  # never retried


async def test_sender_before_login_is_transient(settings, ctx) -> None:  # type: ignore[no-untyped-def]
    adapter = DiscordAdapter(settings, ctx)
    result = await adapter.sender.send(_post())
    assert result.status is SendStatus.TRANSIENT
    await adapter.stop()


async def test_a_limited_user_is_told_once_per_window(
    fake: FakeDiscord, tmp_path: Path, services: MemoryServices
) -> None:
    settings = make_settings(tmp_path, user_rate_limit=1)
    adapter = await start_adapter(settings, make_ctx(settings, services), fake)
    try:
        for _ in range(4):
            await fake.dispatch(
                "MESSAGE_CREATE", fake.message(555, author=fake.user(USER_ID), content="what is RedNote", guild=False)
            )
        await fake.idle(adapter.client)
        texts = [e["description"] for r in fake.of_kind("channel_message") for e in r.body["embeds"]]
        assert len(texts) == 2  # one answer, one notice; then silence until the window ends
        assert sum("faster than I can keep up" in t for t in texts) == 1
    finally:
        await adapter.stop()


async def test_a_typed_command_in_a_mention_points_to_the_slash_menu(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    message = fake.message(
        CHANNEL_ID, author=fake.user(USER_ID), content=f"<@{BOT_ID}> /countdwn", mentions=[fake.bot_user()]
    )
    await fake.dispatch("MESSAGE_CREATE", message)
    (sent,) = await fake.wait_kind("channel_message")
    assert sent.body["embeds"][0]["description"] == (
        "Commands work from the / menu here: type /countdown and pick it from the list."
    )
