"""Faults at the Telegram edge: a webhook cannot be forged, its secret never reaches a log, and a Bot API
that cannot be reached, or answers 5xx, is reported (retryable at start, "not connected" while polling, /readyz
503 until it answers normally) in one-line WARNINGs."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.adapters.lifecycle import PlatformUnavailableError
from bot.adapters.telegram_bot import TelegramAdapter
from bot.app import App
from tests.adapters.telegram_bot.conftest import BuildAdapter, StartAdapter, make_settings
from tests.fakes.telegram_api import FakeTelegramAPI, message, private_chat, user
from tests.ops.test_readiness import readyz

ALICE = 1001
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_webhook(start_adapter: StartAdapter, **settings: object) -> tuple[TelegramAdapter, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    adapter = await start_adapter(
        telegram_webhook_url=url, telegram_webhook_listen="127.0.0.1", telegram_webhook_port=port, **settings
    )
    return adapter, url


async def test_a_webhook_without_a_configured_secret_refuses_forged_updates(
    api: FakeTelegramAPI, start_adapter: StartAdapter
) -> None:
    _, url = await start_webhook(start_adapter)
    (registered,) = api.calls_to("setWebhook")
    secret = registered.params.get("secret_token")
    assert isinstance(secret, str) and len(secret) >= 32  # generated: Telegram sends it with every update

    update = {"update_id": 7, **message(private_chat(ALICE), user(ALICE), "when is the deadline")}
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, json=update)).status_code == 403  # forged: no secret
        assert (await client.post(url, json=update, headers={SECRET_HEADER: "guess"})).status_code == 403
        assert (await client.post(url, json=update, headers={SECRET_HEADER: secret})).status_code == 200
    (reply,) = await api.wait_for("sendMessage", chat_id=ALICE)
    assert "January 19, 2025" in reply.params["text"]


@pytest.mark.parametrize("configured", [True, False], ids=["configured", "generated"])
async def test_the_webhook_secret_never_reaches_a_log(
    api: FakeTelegramAPI, start_adapter: StartAdapter, caplog: pytest.LogCaptureFixture, configured: bool
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger
    settings = {"telegram_webhook_secret": SecretStr("webhook-secret-123")} if configured else {}
    adapter, url = await start_webhook(start_adapter, **settings)
    (registered,) = api.calls_to("setWebhook")
    secret = registered.params["secret_token"]
    async with httpx.AsyncClient() as client:
        await client.post(url, json={"update_id": 1}, headers={SECRET_HEADER: secret})
    await adapter.stop()
    lines = [logging.Formatter("%(name)s %(levelname)s %(message)s").format(r) for r in caplog.records]
    assert any("setWebhook" in line for line in lines), "PTB logs its calls at DEBUG: the check must see them"
    leaked = [line for line in lines if secret in line]
    assert not leaked, leaked
    if not configured:
        assert any("using a random secret" in line for line in lines)


async def test_bot_api_unreachable_at_start_is_retryable(api: FakeTelegramAPI, build_adapter: BuildAdapter) -> None:
    adapter = build_adapter()
    await api.go_down()
    for _ in range(2):
        with pytest.raises(PlatformUnavailableError, match="cannot reach the Telegram Bot API at http://127"):
            await adapter.start()
        assert not adapter.connected
    await api.go_down(False)
    await adapter.start()  # the same adapter, once the API answers again
    assert adapter.connected
    await api.inject(message(private_chat(ALICE), user(ALICE), "when is the deadline?"))
    await api.wait_for("sendMessage", chat_id=ALICE)


async def test_an_invalid_token_is_not_retryable(api: FakeTelegramAPI, build_adapter: BuildAdapter) -> None:
    adapter = build_adapter()
    api.token = "000:another-bot"  # the server refuses ours: 401
    with pytest.raises(Exception) as caught:
        await adapter.start()
    assert not isinstance(caught.value, PlatformUnavailableError)
    assert type(caught.value).__name__ == "InvalidToken"


async def test_polling_through_an_outage_is_not_connected_then_recovers(
    api: FakeTelegramAPI, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    assert adapter.connected
    await api.go_down()
    await api.wait_until(lambda: not adapter.connected, within=10)
    await api.go_down(False)
    await api.inject(message(private_chat(ALICE), user(ALICE), "when is the deadline?"))
    await api.wait_for("sendMessage", chat_id=ALICE, within=60)  # PTB's retry backs off a few seconds
    assert adapter.connected
    failures = [r for r in caplog.records if "telegram polling failed" in r.getMessage()]
    assert failures and all(r.levelno == logging.WARNING and r.exc_info is None for r in failures)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # PTB's traceback lines are replaced


async def test_a_bot_api_answering_502_turns_readyz_503_then_200_again(
    api: FakeTelegramAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.lifecycle")
    settings = make_settings(
        api, health_port=0, tick_seconds=3600, database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    )
    app = App(settings, stdout=io.StringIO())  # the real adapter, polling for 30 s as in production
    await app.start()
    try:
        await until_readyz(app, 200)
        await api.answer_all_with(502)  # the front end answers, the Bot API behind it is down
        await until_readyz(app, 503, within=10)
        await api.answer_all_with(None)
        await until_readyz(app, 200, within=10)
    finally:
        await app.stop()
    changes = [r for r in caplog.records if r.name == "bot.adapters.lifecycle"]
    assert [(r.levelname, r.getMessage()) for r in changes] == [
        ("WARNING", "telegram Bot API answered HTTP 502: not ready until it answers normally"),
        ("INFO", "telegram Bot API answers again: ready"),
    ]


async def until_readyz(app: App, status: int, within: float = 5.0) -> None:
    """Ask /readyz every 0.1 s until it answers `status` (as an orchestrator's probe would, only faster)."""
    async with asyncio.timeout(within):
        while True:
            if (await readyz(app))[0] == status:
                return
            await asyncio.sleep(0.1)
