"""`banbot discord sync [--guild ID]` and `banbot discord invite-url`.

`bot.__main__` parses `banbot discord ...` (without importing discord.py) and calls `run_discord_cli(args, settings)`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import discord

from bot.adapters.discord_bot.client import (
    application_id_from_token,
    client_options,
    commands_hash_path,
    use_endpoints,
)
from bot.adapters.discord_bot.commands import BanbotTranslator, build_tree, command_hash, write_hash
from bot.settings import Settings

log = logging.getLogger(__name__)

SCOPES = ("bot", "applications.commands")


def required_permissions() -> discord.Permissions:
    """Exactly what banbot needs: read the channel, post (also in threads), embed, reply to messages."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        read_message_history=True,
    )


def invite_url(application_id: int) -> str:
    """The OAuth2 link that adds the bot with the scopes bot + applications.commands and its permissions."""
    return discord.utils.oauth_url(application_id, permissions=required_permissions(), scopes=SCOPES)


async def sync_commands(settings: Settings, guild_id: int | None = None) -> int:
    """Log in over REST only and upload the command set (to one guild for testing, else globally).

    Returns the number of commands synced. A global sync also stores the command-set hash, so the next
    start does not sync again.
    """
    if settings.discord_token is None:
        raise RuntimeError("BANBOT_DISCORD_TOKEN is not set")
    use_endpoints(settings)
    client = discord.Client(**client_options(settings))
    tree = build_tree(client, settings)
    try:
        await client.login(settings.discord_token.get_secret_value())
        await tree.set_translator(BanbotTranslator())
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
        else:
            digest = await command_hash(tree, client.application_id)
            synced = await tree.sync()
            write_hash(commands_hash_path(settings), digest)
    finally:
        await client.close()
    log.info("discord commands synced: count=%d guild=%s", len(synced), guild_id)
    return len(synced)


def run_discord_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Run a `banbot discord …` command; returns the exit code."""
    if args.discord_command == "invite-url":
        app_id = args.application_id or settings.discord_application_id
        if app_id is None and settings.discord_token is not None:
            app_id = application_id_from_token(settings.discord_token.get_secret_value())
        if app_id is None:
            print("Set BANBOT_DISCORD_APPLICATION_ID or BANBOT_DISCORD_TOKEN, or pass --application-id.")
            return 2
        print(invite_url(app_id))
        return 0
    if args.discord_command == "sync":
        if settings.discord_token is None:
            print("BANBOT_DISCORD_TOKEN is not set.")
            return 2
        count = asyncio.run(sync_commands(settings, args.guild))
        where = f"guild {args.guild}" if args.guild else "globally (may take up to an hour to show)"
        print(f"Synced {count} commands {where}.")
        return 0
    return 2
