"""Subscription commands end to end: admins only in groups, removal and migration stop or move them."""

from __future__ import annotations

from bot.adapters.telegram_bot import TelegramAdapter
from bot.types import ChatRef, Platform
from tests.fakes.ports import MemoryServices, eventually
from tests.fakes.telegram_api import FakeTelegramAPI, group_chat, message, my_chat_member, private_chat, user

ADMIN, MEMBER = 501, 502
GROUP = -4001


def adapter_chat(chat_id: int) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(chat_id))


async def test_member_is_refused_and_told_why(
    api: FakeTelegramAPI, adapter: TelegramAdapter, services: MemoryServices
) -> None:
    api.admins[str(GROUP)] = {ADMIN}
    await api.inject(message(group_chat(GROUP), user(MEMBER), "/subscribe 08:30 Europe/Berlin"))
    [sent] = await api.wait_for("sendMessage", chat_id=GROUP)
    assert "Only admins of this chat can manage countdown subscriptions." in sent.params["text"]
    [asked] = api.calls_to("getChatMember")
    assert (asked.params["chat_id"], asked.params["user_id"]) == (str(GROUP), str(MEMBER))
    assert await services.subscriptions_of(adapter_chat(GROUP), include_inactive=True) == []


async def test_admin_subscribes_lists_and_unsubscribes(
    api: FakeTelegramAPI, adapter: TelegramAdapter, services: MemoryServices
) -> None:
    api.admins[str(GROUP)] = {ADMIN}
    chat = group_chat(GROUP)
    await api.inject(message(chat, user(ADMIN), "/subscribe 08:30 Europe/Berlin"))
    [sent] = await api.wait_for("sendMessage", chat_id=GROUP)
    assert (
        "Subscribed (#1): a daily countdown to the TikTok divest-or-ban law taking effect, at 08:30 (Europe/Berlin)."
        in sent.params["text"]
    )
    [sub] = await services.subscriptions_of(adapter_chat(GROUP))
    assert (sub.chat.chat_id, sub.timezone, sub.created_by) == (str(GROUP), "Europe/Berlin", f"telegram:{ADMIN}")

    await api.inject(message(chat, user(MEMBER), "/subscriptions"))
    listed = (await api.wait_for("sendMessage", 2, chat_id=GROUP))[-1]
    assert (
        "#1 a daily countdown to the TikTok divest-or-ban law taking effect, at 08:30 (Europe/Berlin) [daily]"
        in (listed.params["text"])
    )

    await api.inject(message(chat, user(ADMIN), "/unsubscribe"))
    done = (await api.wait_for("sendMessage", 3, chat_id=GROUP))[-1]
    assert "Unsubscribed #1: a daily countdown to the TikTok divest-or-ban law taking effect" in (done.params["text"])


async def test_refusal_from_the_service_is_shown_in_the_users_language(
    api: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    await api.inject(message(private_chat(ADMIN), user(ADMIN, "zh-hans"), "/subscribe 08:30 Mars/Base"))
    [sent] = await api.wait_for("sendMessage", chat_id=ADMIN)
    assert "Mars/Base" in sent.params["text"]
    await api.inject(message(private_chat(ADMIN), user(ADMIN, "zh-hans"), "/subscriptions"))
    listed = (await api.wait_for("sendMessage", 2, chat_id=ADMIN))[-1]
    assert listed.params["text"] == "这里还没有订阅。使用 /subscribe 接收倒计时和新动态。"
    assert api.calls_to("getChatMember") == []  # a private chat is its own admin


async def test_bot_removed_stops_the_chats_subscriptions(
    api: FakeTelegramAPI, adapter: TelegramAdapter, services: MemoryServices
) -> None:
    chat = group_chat(GROUP)
    await services.subscriptions.subscribe(
        adapter_chat(GROUP), created_by="telegram:1", lang="en", time_text="09:00", tz_text="UTC"
    )
    await api.inject(my_chat_member(chat, user(ADMIN), api.bot_user, old="member", new="kicked"))
    await api.drained()

    async def gone() -> bool:
        return await services.subscriptions_of(adapter_chat(GROUP)) == []

    await eventually(gone)
    [sub] = await services.subscriptions_of(adapter_chat(GROUP), include_inactive=True)
    assert sub.inactive_reason is not None and "kicked" in sub.inactive_reason


async def test_group_upgrade_moves_the_subscription(
    api: FakeTelegramAPI, adapter: TelegramAdapter, services: MemoryServices
) -> None:
    await services.subscriptions.subscribe(adapter_chat(GROUP), created_by="telegram:1", lang="en")
    await api.inject(message(group_chat(GROUP), user(ADMIN), "", migrate_to_chat_id=-1004001))

    async def moved() -> bool:
        return len(await services.subscriptions_of(adapter_chat(-1004001))) == 1

    await eventually(moved)
    assert await services.subscriptions_of(adapter_chat(GROUP), include_inactive=True) == []


async def test_channel_post_subscribes_without_a_member_check(
    api: FakeTelegramAPI, adapter: TelegramAdapter, services: MemoryServices
) -> None:
    channel = {"id": -1007001, "type": "channel", "title": "news"}
    await api.inject(message(channel, None, "/subscribe 07:00", kind="channel_post"))
    [sent] = await api.wait_for("sendMessage", chat_id=-1007001)
    assert "Subscribed" in sent.params["text"]
    assert api.calls_to("getChatMember") == []  # only a channel's admins can post in it
    [sub] = await services.subscriptions_of(adapter_chat(-1007001))
    assert sub.created_by == "telegram:chat:-1007001"
