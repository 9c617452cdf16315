"""A fake Telegram Bot API server on 127.0.0.1 (aiohttp.web) for end-to-end tests of the real PTB client.

It serves the methods banbot uses, records every call, long-polls `getUpdates` from a queue the test
fills, checks HTML messages the way Telegram does (well-formed, allowed tags, length after parsing),
and can be told to fail the next `sendMessage` to a chat with 429, 403, "chat not found" or a migration.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

JSON_FIELDS = {
    "reply_markup",
    "results",
    "commands",
    "allowed_updates",
    "entities",
    "reply_parameters",
    "link_preview_options",
    "button",
    "scope",
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
}
MESSAGE_LIMIT = 4096
_TAG = re.compile(r"</?[a-z][a-z-]*(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: Any = None
    """The test's clock when the call arrived (see FakeTelegramAPI.stamp)."""

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id"))


@dataclass
class Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None = None


class _HTMLCheck(HTMLParser):
    """Parses Telegram HTML: only allowed tags, properly nested; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'unexpected end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> tuple[str, str | None]:
    """The visible text of a Telegram HTML message and the parse error, if any."""
    checker = _HTMLCheck()
    checker.feed(text)
    checker.close()
    if checker.stack and not checker.error:
        checker.error = f'unclosed tag "{checker.stack[-1]}"'
    if checker.error is None:
        rest = _ENTITY.sub("", _TAG.sub("", text))
        for char in "<>&":
            if char in rest:
                checker.error = f"unescaped {char!r} outside a tag or entity"
                break
    return "".join(checker.text), checker.error


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegramAPI:
    """Start with `await api.start()`; point PTB at `api.base_url`; stop with `await api.stop()`."""

    def __init__(self, token: str, username: str = "banbot_test", bot_id: int = 999000) -> None:
        self.token = token
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "banbot", "username": username}
        self.calls: list[Call] = []
        self.admins: dict[str, set[int]] = {}
        self.chats: dict[str, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._failures: dict[str, list[Failure]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.stamp: Callable[[], Any] = lambda: None
        """Set to the test's clock to record, on each call, when it arrived."""
        self.port = 0
        self.unreachable = False
        """While set (see `go_down`), every request's connection is dropped without an answer (calls are still
        recorded)."""
        self.answering: int | None = None
        """While set (see `answer_all_with`), every request is answered with this HTTP status (calls are still
        recorded): a front end whose back end is down."""

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert self._runner.addresses, "the fake server did not bind"
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        async with self._changed:  # release pending long polls so shutdown does not wait for them
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- what tests call ---------------------------------------------------------------------

    async def inject(self, update: dict[str, Any]) -> int:
        """Queue an update for the next getUpdates; returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        for key in ("message", "channel_post", "my_chat_member"):
            if key in update:
                chat = update[key]["chat"]
                self.chats[str(chat["id"])] = chat
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    def fail_next_send(self, chat_id: int | str, kind: str, *, retry_after: int = 3, migrate_to: int = 0) -> None:
        """Make the next sendMessage to `chat_id` fail: 429, 403, not_found, migrate, bad_request or 502."""
        failures = {
            "429": Failure(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}),
            "403": Failure(403, "Forbidden: bot was kicked from the group chat"),
            "not_found": Failure(400, "Bad Request: chat not found"),
            "bad_request": Failure(400, "Bad Request: can't parse entities: unsupported start tag"),
            "502": Failure(502, "Bad Gateway"),
            "migrate": Failure(
                400, "Bad Request: group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": migrate_to}
            ),
        }
        self._failures.setdefault(str(chat_id), []).append(failures[kind])

    async def go_down(self, down: bool = True) -> None:
        """Become unreachable (or reachable again): pending long polls end without an answer too."""
        async with self._changed:
            self.unreachable = down
            self._changed.notify_all()

    async def answer_all_with(self, status: int | None) -> None:
        """Answer every request with `status` (502: "Bad Gateway"), pending long polls too; None: normally."""
        async with self._changed:
            self.answering = status
            self._changed.notify_all()

    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == str(chat_id))]

    async def wait_for(
        self, method: str, count: int = 1, *, chat_id: int | str | None = None, within: float = 5.0
    ) -> list[Call]:
        """Wait until at least `count` calls of `method` (to `chat_id`) were recorded; return them."""
        await self.wait_until(lambda: len(self.calls_to(method, chat_id)) >= count, within=within)
        return self.calls_to(method, chat_id)

    async def wait_until(self, predicate: Callable[[], bool], *, within: float = 5.0) -> bool:
        deadline = time.monotonic() + within
        async with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"condition not met in {within}s; calls: {[c.method for c in self.calls]}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue
        return True

    async def drained(self, within: float = 5.0) -> None:
        """Wait until every injected update was fetched and confirmed by a later getUpdates offset."""
        await self.wait_until(lambda: not self._updates, within=within)

    async def idle(self, updates: asyncio.Queue[object], within: float = 5.0) -> None:
        """The barrier for negative checks ("nothing else was sent"): every injected update was fetched,
        and the bot finished handling it. PTB marks an update done on its queue only after its handlers
        returned, and the poller queues a batch before asking for the next one."""
        await self.drained(within)
        async with asyncio.timeout(within):
            await updates.join()

    # --- the server --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(Failure(401, "Unauthorized"))
        method = request.match_info["method"]
        params = await self._params(request)
        async with self._changed:
            self.calls.append(Call(method, params, self.stamp()))
            self._changed.notify_all()
        if self.unreachable:  # recorded all the same: tests wait on calls
            return self._drop(request)
        if self.answering is not None:
            return self._error(Failure(self.answering, "Bad Gateway"))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(Failure(404, "Not Found: method not found"))
        result = await handler(params)
        if self.unreachable:
            return self._drop(request)
        if self.answering is not None:
            return self._error(Failure(self.answering, "Bad Gateway"))
        if isinstance(result, Failure):
            return self._error(result)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else str(value)
            params[key] = json.loads(text) if key in JSON_FIELDS else text
        return params

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Close the connection without an answer, as a network failure looks to the client."""
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=204)

    @staticmethod
    def _error(failure: Failure) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
        if failure.parameters:
            body["parameters"] = failure.parameters
        return web.json_response(body, status=failure.status)

    def _chat(self, chat_id: str) -> dict[str, Any]:
        if chat_id in self.chats:
            return self.chats[chat_id]
        kind = "private" if not chat_id.startswith("-") else ("supergroup" if chat_id.startswith("-100") else "group")
        return {"id": int(chat_id), "type": kind}

    # --- methods -----------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._changed.notify_all()
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: bool(self._updates) or self._closing or self.unreachable or bool(self.answering)
                        ),
                        timeout,
                    )
            return list(self._updates)

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = str(params["chat_id"])
        queue = self._failures.get(chat_id)
        if queue:
            return queue.pop(0)
        text = str(params.get("text", ""))
        visible = text
        if params.get("parse_mode") == "HTML":
            visible, error = parse_html(text)
            if error:
                return Failure(400, f"Bad Request: can't parse entities: {error}")
        if not visible.strip():
            return Failure(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MESSAGE_LIMIT:
            return Failure(400, "Bad Request: message is too long")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            "text": visible,
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        if params.get("parse_mode") == "HTML":
            _, error = parse_html(str(params.get("text", "")))
            if error:
                return Failure(400, f"Bad Request: can't parse entities: {error}")
        if "inline_message_id" in params:
            return True
        return {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": self._chat(str(params["chat_id"])),
            "text": params.get("text", ""),
        }

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True
        return {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": self._chat(str(params["chat_id"])),
            "text": "",
        }

    async def _m_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        for result in params.get("results", []):
            content = result.get("input_message_content", {})
            if content.get("parse_mode") == "HTML":
                _, error = parse_html(content.get("message_text", ""))
                if error:
                    return Failure(400, f"Bad Request: can't parse entities: {error}")
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = str(params["chat_id"]), int(params["user_id"])
        user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if user_id in self.admins.get(chat_id, set()):
            rights = dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
            return {"status": "administrator", "user": user, **rights, "can_manage_chat": True}
        return {"status": "member", "user": user}


# --- update builders ---------------------------------------------------------------------------

_NOW = int(time.time())


def user(user_id: int, language_code: str = "en") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "language_code": language_code}


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": f"user{user_id}"}


def group_chat(chat_id: int, kind: str = "group") -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": f"chat {chat_id}"}


_message_ids = itertools.count(1)


def message(
    chat: dict[str, Any], sender: dict[str, Any] | None, text: str, *, kind: str = "message", **extra: Any
) -> dict[str, Any]:
    """A `message` update (or `channel_post` with no sender); a leading /command gets its bot_command
    entity, @names get mention entities."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        entities.append(
            {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0].encode("utf-16-le")) // 2}
        )
    for word_start, word in _words(text):
        if word.startswith("@") and len(word) > 1:
            entities.append({"type": "mention", "offset": word_start, "length": utf16_len(word)})
    msg: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": _NOW,
        "chat": chat,
        "text": text,
        **extra,
    }
    if sender is not None:
        msg["from"] = sender
    if entities:
        msg["entities"] = entities
    return {kind: msg}


def _words(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    offset = 0
    for word in text.split(" "):
        out.append((utf16_len(text[:offset]), word.rstrip(",.!?")))
        offset += len(word) + 1
    return out


def inline_query(sender: dict[str, Any], query: str, query_id: str = "iq1") -> dict[str, Any]:
    return {"inline_query": {"id": query_id, "from": sender, "query": query, "offset": ""}}


def callback_query(
    sender: dict[str, Any],
    data: str,
    message_: dict[str, Any] | None = None,
    query_id: str = "cq1",
    inline_message_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"id": query_id, "from": sender, "chat_instance": "ci1", "data": data}
    if message_ is not None:
        body["message"] = message_
    if inline_message_id is not None:
        body["inline_message_id"] = inline_message_id
    return {"callback_query": body}


def my_chat_member(
    chat: dict[str, Any], sender: dict[str, Any], bot_user: dict[str, Any], old: str = "member", new: str = "left"
) -> dict[str, Any]:
    return {
        "my_chat_member": {
            "chat": chat,
            "from": sender,
            "date": _NOW,
            "old_chat_member": {"status": old, "user": bot_user},
            "new_chat_member": {"status": new, "user": bot_user}
            if new != "kicked"
            else {"status": "kicked", "user": bot_user, "until_date": 0},
        }
    }
