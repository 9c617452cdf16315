"""The Discord CLI helpers (invite URL, sync), the command-set hash, sharding and render limits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import discord

from bot.__main__ import _parser
from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot._helpers import timezone_choices
from bot.adapters.discord_bot.cli import invite_url, required_permissions, sync_commands
from bot.adapters.discord_bot.client import ShardedBanbotClient, application_id_from_token, commands_hash_path
from bot.adapters.discord_bot.commands import build_tree, command_hash, command_payload
from bot.context import BotContext
from bot.delivery.modes import MODE_CHOICES
from bot.settings import Settings
from tests.adapters.discord_bot.conftest import make_settings
from tests.fakes.discord_api import GUILD_ID, FakeDiscord


def test_invite_url_has_exact_scopes_and_permissions() -> None:
    query = parse_qs(urlparse(invite_url(1234)).query)
    assert query["client_id"] == ["1234"]
    assert query["scope"] == ["bot applications.commands"]
    perms = discord.Permissions(int(query["permissions"][0]))
    assert perms == required_permissions()
    assert perms.send_messages and perms.embed_links and perms.view_channel
    assert not perms.administrator and not perms.manage_guild and not perms.mention_everyone


def test_cli_parser_and_token_application_id() -> None:
    args = _parser().parse_args(["discord", "sync", "--guild", "42"])
    assert (args.discord_command, args.guild) == ("sync", 42)
    assert application_id_from_token("MTIzNDU2.x.y") == 123456


async def test_sync_to_a_guild_and_hash_file(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert commands_hash_path(settings) == tmp_path / "discord_commands.sha256"
    count = await sync_commands(settings, GUILD_ID)
    assert count == 9
    (rec,) = fake.of_kind("commands")
    assert rec.match["guild"] == str(GUILD_ID)
    assert not commands_hash_path(settings).exists()  # a guild test sync says nothing about global commands

    await sync_commands(settings, None)
    assert commands_hash_path(settings).exists()


async def test_command_hash_changes_with_the_command_set() -> None:
    client = discord.Client(intents=discord.Intents.none())
    tree = build_tree(client, Settings(_env_file=None))
    before = await command_hash(tree, 1)
    assert before == await command_hash(tree, 1)
    assert before != await command_hash(tree, 2)
    tree.remove_command("help")
    assert before != await command_hash(tree, 1)


async def test_sharded_client_when_shards_are_set(fake: FakeDiscord, tmp_path: Path, ctx: BotContext) -> None:
    settings = make_settings(tmp_path, discord_shard_count=1, discord_shard_ids=[0])
    adapter = DiscordAdapter(settings, ctx)
    assert isinstance(adapter.client, ShardedBanbotClient)
    await adapter.start()
    try:
        async with asyncio.timeout(10):
            await adapter.wait_until_ready()
        assert fake.identifies[0]["shard"] == [0, 1]
        assert adapter.connected
    finally:
        await adapter.stop()
    assert not adapter.connected


def test_timezone_choices() -> None:
    assert "Asia/Shanghai" in timezone_choices("shang")
    assert len(timezone_choices("a")) == 25
    assert timezone_choices("")[0] == "UTC"


async def test_subscribe_describes_the_configured_defaults() -> None:
    settings = Settings(_env_file=None, default_timezone="Europe/Berlin", default_post_time="07:30")
    tree = build_tree(discord.Client(intents=discord.Intents.none()), settings)
    (subscribe,) = [c for c in await command_payload(tree) if c["name"] == "subscribe"]
    options = {o["name"]: o for o in subscribe["options"]}
    assert options["timezone"]["description"].endswith("(default Europe/Berlin)")
    assert options["timezone"]["description_localizations"]["zh-CN"].endswith("（默认 Europe/Berlin）")
    assert options["time"]["description"] == "Local time HH:MM (default 07:30)"
    assert "UTC" not in str(subscribe)


async def test_subscribe_offers_the_modes_as_choices_named_in_chinese_too() -> None:
    tree = build_tree(discord.Client(intents=discord.Intents.none()), Settings(_env_file=None))
    (subscribe,) = [c for c in await command_payload(tree) if c["name"] == "subscribe"]
    options = {o["name"]: o for o in subscribe["options"]}
    choices = options["mode"]["choices"]
    assert [c["value"] for c in choices] == [c.value for c in MODE_CHOICES]
    assert [c["name_localizations"]["zh-CN"] for c in choices] == [c.zh for c in MODE_CHOICES]
    assert options["deadline"]["autocomplete"] is True  # picked by title, from the knowledge
    assert options["mode"]["description_localizations"]["zh-CN"].startswith("发布什么")
