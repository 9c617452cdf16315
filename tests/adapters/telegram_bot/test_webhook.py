"""Webhook mode: Telegram is told the URL and secret, and updates posted to it are answered."""

from __future__ import annotations

import socket

import httpx
from pydantic import SecretStr

from tests.adapters.telegram_bot.conftest import StartAdapter
from tests.fakes.telegram_api import FakeTelegramAPI, message, private_chat, user

ALICE = 1001
SECRET = "webhook-secret-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_registers_url_and_answers_posted_updates(
    api: FakeTelegramAPI, start_adapter: StartAdapter
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    adapter = await start_adapter(
        telegram_webhook_url=url,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret=SecretStr(SECRET),
    )
    assert adapter.connected
    (registered,) = api.calls_to("setWebhook")
    assert registered.params["url"] == url
    assert registered.params["secret_token"] == SECRET
    assert not api.calls_to("getUpdates")  # no polling in webhook mode

    update = {"update_id": 501, **message(private_chat(ALICE), user(ALICE), "when is the deadline")}
    async with httpx.AsyncClient() as client:
        refused = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert refused.status_code == 403
        accepted = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert accepted.status_code == 200
    (reply,) = await api.wait_for("sendMessage", chat_id=ALICE)
    assert "January 19, 2025" in reply.params["text"]
