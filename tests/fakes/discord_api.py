"""A local fake of Discord's gateway (websocket) and REST API, enough to drive the real discord.py client.

Start it, point the bot at it with BANBOT_DISCORD_API_BASE_URL=`api_url` and BANBOT_DISCORD_GATEWAY_URL=
`gateway_url` (as an operator points it at a REST or gateway proxy), log in with any token. The fake sends
HELLO, accepts IDENTIFY, sends READY and a GUILD_CREATE for one test guild, ACKs heartbeats, and lets tests
inject dispatches (INTERACTION_CREATE, MESSAGE_CREATE). REST records what the bot sends: interaction
callbacks, follow-ups, webhook edits, channel messages (with nonce), command overwrites. Tests can make the
next channel message fail with a 429, 403 (50001/50013) or 404 (10003).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
BOT_ID = 900000000000000001
APP_ID = BOT_ID
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
OTHER_CHANNEL_ID = 920000000000000002
OWNER_ID = 930000000000000001
USER_ID = 930000000000000002
BOT_ROLE_ID = 940000000000000001
TOKEN = "ZmFrZQ.fake.token"  # never a real token
HANDLER_TASKS = ("discord.py: on_", "CommandTree-invoker", "discord-ui-")
"""The names discord.py gives the tasks that run event handlers, commands and button callbacks."""

ALL_TEXT_PERMS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    read_message_history=True,
)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly "application/json" (no charset)
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class Recorded:
    """One request the bot made."""

    kind: str
    method: str
    path: str
    body: Any
    query: dict[str, str]
    match: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class FakeDiscord:
    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._outage])
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.requests: list[Recorded] = []
        self.identifies: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.sockets: list[web.WebSocketResponse] = []
        self.channel_failures: list[Failure] = []
        self.nonces: dict[str, dict[str, Any]] = {}
        self.drop_logins = False  # logins (GET /users/@me) get no answer, as from a Discord that is unreachable
        self.rest_status: int | None = None  # while set, every REST request is answered with it (an outage: 502)
        self._seq = 0
        self._ids = itertools.count(980000000000000001)
        self._changed = asyncio.Event()
        r = self.app.router
        p = API_PREFIX
        r.add_get(p + "/users/@me", self._users_me)
        r.add_get(p + "/oauth2/applications/@me", self._application)
        r.add_get(p + "/applications/@me", self._application)
        r.add_get(p + "/gateway", self._gateway)
        r.add_get(p + "/gateway/bot", self._gateway_bot)
        r.add_put(p + "/applications/{app}/commands", self._commands)
        r.add_put(p + "/applications/{app}/guilds/{guild}/commands", self._commands)
        r.add_post(p + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(p + "/webhooks/{app}/{token}", self._followup)
        r.add_patch(p + "/webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message)
        r.add_delete(p + "/webhooks/{app}/{token}/messages/{message}", self._delete_webhook_message)
        r.add_post(p + "/channels/{channel}/messages", self._channel_message)
        r.add_get("/gateway-ws", self._websocket)

    @web.middleware
    async def _outage(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.rest_status is not None and request.path.startswith(API_PREFIX):
            self._record(Recorded("outage", request.method, request.path, None, dict(request.query)))
            return _json({"message": "upstream connect error", "code": 0}, status=self.rest_status)
        response: web.StreamResponse = await handler(request)
        return response

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-ws"

    # --- test helpers ------------------------------------------------------------------------------

    def _record(self, rec: Recorded) -> None:
        self.requests.append(rec)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every recorded request); return its value."""
        async with asyncio.timeout(within):
            while True:
                value = predicate()
                if value:
                    return value
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._changed.wait()

    async def idle(self, client: discord.Client, within: float = 5.0) -> None:
        """The barrier for negative checks ("nothing else was sent"): the client read every event dispatched
        so far, and every handler it started for them finished.

        Gateway events are read in order, so once a RESUMED sent now reaches the client, all earlier ones
        did; discord.py runs their handlers as named tasks, which are then awaited.
        """
        async with asyncio.timeout(within):
            resumed = asyncio.ensure_future(client.wait_for("resumed"))
            await self.dispatch("RESUMED", {})
            await resumed
            while busy := [t for t in asyncio.all_tasks() if t.get_name().startswith(HANDLER_TASKS)]:
                await asyncio.gather(*busy, return_exceptions=True)

    def of_kind(self, kind: str) -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind]

    async def wait_kind(self, kind: str, count: int = 1, within: float = 5.0) -> list[Recorded]:
        await self.wait_for(lambda: len(self.of_kind(kind)) >= count, within)
        return self.of_kind(kind)

    def fail_next_channel_message(self, status: int, *, code: int = 0, retry_after: float = 0.0, via: bool = True):  # type: ignore[no-untyped-def]
        """Make the next POST /channels/{id}/messages fail once."""
        headers: dict[str, str] = {}
        body: dict[str, Any] = {"message": "fake failure", "code": code}
        if status == 429:
            body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
            headers = {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(retry_after),
                "X-RateLimit-Bucket": "fakebucket",
                "X-RateLimit-Scope": "user",
                "Retry-After": str(max(1, round(retry_after))),
            }
            if via:
                headers["Via"] = "1.1 google"
        self.channel_failures.append(Failure(status, body, headers))

    async def close_gateway(self, code: int) -> None:
        """Close every gateway socket with `code` (4004: authentication failed, and so on)."""
        for ws in list(self.sockets):
            await ws.close(code=code)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH to every connected gateway socket."""
        for ws in list(self.sockets):
            if not ws.closed:
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    def next_id(self) -> int:
        return next(self._ids)

    # --- payload builders --------------------------------------------------------------------------

    @staticmethod
    def user(user_id: int, name: str = "someone", *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
        }

    def bot_user(self) -> dict[str, Any]:
        return self.user(BOT_ID, "banbot", bot=True)

    def member(self, user_id: int, permissions: discord.Permissions, name: str = "someone") -> dict[str, Any]:
        return {
            "user": self.user(user_id, name),
            "roles": [],
            "joined_at": _now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions.value),
        }

    def guild(self) -> dict[str, Any]:
        def text_channel(cid: int, name: str, position: int) -> dict[str, Any]:
            return {
                "id": str(cid),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": name,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }

        def role(rid: int, name: str, perms: int, managed: bool) -> dict[str, Any]:
            return {
                "id": str(rid),
                "name": name,
                "permissions": str(perms),
                "position": 1 if managed else 0,
                "color": 0,
                "hoist": False,
                "managed": managed,
                "mentionable": True,
                "flags": 0,
            }

        return {
            "id": str(GUILD_ID),
            "name": "Test guild",
            "icon": None,
            "owner_id": str(OWNER_ID),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [
                role(GUILD_ID, "@everyone", discord.Permissions(view_channel=True, send_messages=True).value, False),
                role(BOT_ROLE_ID, "banbot", ALL_TEXT_PERMS.value, True),
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": _now_iso(),
            "large": False,
            "unavailable": False,
            "member_count": 3,
            "voice_states": [],
            "members": [
                {
                    "user": self.bot_user(),
                    "roles": [str(BOT_ROLE_ID)],
                    "joined_at": _now_iso(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "channels": [text_channel(CHANNEL_ID, "general", 0), text_channel(OTHER_CHANNEL_ID, "news", 1)],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def message(
        self,
        channel_id: int,
        *,
        author: dict[str, Any],
        content: str = "",
        embeds: list[Any] | None = None,
        components: list[Any] | None = None,
        guild: bool = True,
        mentions: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
        flags: int = 0,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
        }
        if nonce is not None:
            data["nonce"] = nonce
        if guild:
            data["guild_id"] = str(GUILD_ID)
        return data

    def interaction(
        self,
        itype: int,
        data: dict[str, Any] | None,
        *,
        user_id: int = USER_ID,
        permissions: discord.Permissions | None = None,
        app_permissions: discord.Permissions = ALL_TEXT_PERMS,
        channel_id: int = CHANNEL_ID,
        guild: bool = True,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        iid = self.next_id()
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": itype,
            "token": f"itoken{iid}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(app_permissions.value),
            "attachment_size_limit": 8 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)} if guild else {"1": str(user_id)},
            "context": 0 if guild else 1,
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0 if guild else 1, "name": "general"},
        }
        if data is not None:
            payload["data"] = data
        if guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild_locale"] = "en-US"
            payload["member"] = self.member(user_id, permissions or discord.Permissions.none())
            payload["channel"]["guild_id"] = str(GUILD_ID)
        else:
            payload["user"] = self.user(user_id)
            payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [self.user(user_id)]}
        if message is not None:
            payload["message"] = message
        return payload

    def slash(self, name: str, options: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        opts = [{"name": k, "type": 4 if isinstance(v, int) else 3, "value": v} for k, v in (options or {}).items()]
        data = {"id": str(self.next_id()), "name": name, "type": 1, "options": opts}
        return self.interaction(2, data, **kwargs)

    def autocomplete(self, name: str, option: str, value: str, **kwargs: Any) -> dict[str, Any]:
        data = {
            "id": str(self.next_id()),
            "name": name,
            "type": 1,
            "options": [{"name": option, "type": 3, "value": value, "focused": True}],
        }
        return self.interaction(4, data, **kwargs)

    def message_command(self, name: str, target: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data = {
            "id": str(self.next_id()),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        return self.interaction(2, data, **kwargs)

    def button_click(self, message: dict[str, Any], custom_id: str, **kwargs: Any) -> dict[str, Any]:
        data = {"custom_id": custom_id, "component_type": 2}
        return self.interaction(3, data, message=message, **kwargs)

    # --- REST handlers -----------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> Any:
        if request.can_read_body:
            if request.content_type == "application/json":
                return await request.json()
            if request.content_type.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if getattr(part, "name", None) == "payload_json":
                        return json.loads(await part.text())  # type: ignore[union-attr]
            return await request.text()
        return None

    async def _users_me(self, request: web.Request) -> web.Response:
        if self.drop_logins:
            assert request.transport is not None
            request.transport.close()  # the client sees the server disconnect without an answer
            return web.Response(status=204)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bot "):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(self.bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(APP_ID),
                "name": "banbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": self.user(OWNER_ID, "owner"),
                "team": None,
                "flags": 0,
                "summary": "",
            }
        )

    async def _gateway(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def _commands(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(
            Recorded("commands", request.method, request.path, body, dict(request.query), dict(request.match_info))
        )
        out = []
        for cmd in body:
            out.append(
                {
                    "description": "",
                    "options": [],
                    **cmd,
                    "id": str(self.next_id()),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "default_member_permissions": cmd.get("default_member_permissions"),
                    "dm_permission": cmd.get("dm_permission", True),
                    "nsfw": cmd.get("nsfw", False),
                }
            )
        return _json(out)

    def _bot_message(self, channel_id: int, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
        return self.message(
            channel_id,
            author=self.bot_user(),
            content=body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            nonce=body.get("nonce"),
            flags=flags | int(body.get("flags") or 0),
        )

    async def _callback(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(Recorded("callback", "POST", request.path, body, dict(request.query), dict(request.match_info)))
        rtype = body["type"]
        data = body.get("data") or {}
        interaction: dict[str, Any] = {"id": request.match_info["id"], "type": 2}
        resource: dict[str, Any] = {"type": rtype}
        if rtype in (4, 5, 7):
            ephemeral = bool(int(data.get("flags") or 0) & 64)
            interaction["response_message_loading"] = rtype == 5
            interaction["response_message_ephemeral"] = ephemeral
            if rtype == 4:
                message = self._bot_message(CHANNEL_ID, data)
                interaction["response_message_id"] = message["id"]
                resource["message"] = message
        if rtype == 8:
            return web.Response(status=204)
        return _json({"interaction": interaction, "resource": resource})

    async def _followup(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(Recorded("followup", "POST", request.path, body, dict(request.query), dict(request.match_info)))
        return _json(self._bot_message(CHANNEL_ID, body))

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(
            Recorded("edit_original", "PATCH", request.path, body, dict(request.query), dict(request.match_info))
        )
        return _json(self._bot_message(CHANNEL_ID, body))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        self._record(
            Recorded("delete_original", "DELETE", request.path, None, dict(request.query), dict(request.match_info))
        )
        return web.Response(status=204)

    async def _channel_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        channel_id = int(request.match_info["channel"])
        self._record(
            Recorded("channel_message", "POST", request.path, body, dict(request.query), dict(request.match_info))
        )
        if self.channel_failures:
            failure = self.channel_failures.pop(0)
            return _json(failure.body, status=failure.status, headers=failure.headers)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and nonce in self.nonces:
            return _json(self.nonces[nonce])  # Discord returns the first message for a repeated nonce
        message = self._bot_message(channel_id, body)
        if nonce is not None:
            self.nonces[nonce] = message
        return _json(message)

    # --- gateway -----------------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                msg = json.loads(frame.data)
                op = msg.get("op")
                if op == 1:
                    self.heartbeats += 1
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._on_identify(ws, msg["d"])
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def _on_identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        shard = data.get("shard") or [0, 1]
        self._seq += 1
        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}] if shard[0] == 0 else [],
            "session_id": f"session{len(self.identifies)}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "shard": shard,
            "private_channels": [],
            "relationships": [],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
        if shard[0] == 0:
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": self.guild()}))


@contextlib.asynccontextmanager
async def running_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
