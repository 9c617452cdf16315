"""The `banbot` command line: run | chat | ask | kb check|gaps|feedback | bench | discord sync|invite-url.

Platform SDKs are imported only by the commands that need them, so `banbot ask` starts fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="banbot", description="Sourced answers and countdowns about the US TikTok ban.")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="run every configured adapter, or the console chat when no token is set")
    sub.add_parser("chat", help="interactive console chat (plain stdin when not a terminal)")

    ask = sub.add_parser("ask", help="answer one question, or JSON lines on stdin with --jsonl")
    ask.add_argument("question", nargs="*", help="the question (omit with --jsonl)")
    ask.add_argument(
        "--jsonl", action="store_true", help="read {id, question, now?} lines, write answers as JSON lines"
    )
    ask.add_argument("--lang", choices=["en", "zh"], help="answer in this language instead of the question's")
    ask.add_argument("--now", help="answer as of this ISO time (default: the current time)")

    kb = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("check", help="validate every knowledge file; exit 1 listing every problem")
    gaps = kb_sub.add_parser("gaps", help="most frequent questions the bot could not answer")
    gaps.add_argument("--limit", type=int, default=20)
    kb_sub.add_parser("feedback", help="helpful / not helpful votes per entry")

    bench = sub.add_parser("bench", help="benchmarks: answer latency (default) or delivery")
    bench.add_argument("what", nargs="?", choices=["answers", "delivery"], default="answers")
    bench.add_argument("--questions", type=Path, action="append", help="JSON-lines question files (repeatable)")
    bench.add_argument("--rounds", type=int, default=20, help="passes over the questions")

    discord = sub.add_parser("discord", help="Discord tools")
    d_sub = discord.add_subparsers(dest="discord_command", required=True)
    sync = d_sub.add_parser("sync", help="register slash commands now (globally, or in one guild)")
    sync.add_argument("--guild", type=int, help="guild id for instant, guild-only registration")
    invite = d_sub.add_parser("invite-url", help="print the invite link with the scopes and permissions needed")
    invite.add_argument("--application-id", type=int, help="defaults to the id read from the bot token")
    return p


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_ask import ask_jsonl, ask_text, parse_now
    from bot.core.answering import Answerer
    from bot.knowledge.loader import load_knowledge

    answerer = Answerer(load_knowledge(settings.knowledge_dir))
    if args.jsonl:
        ask_jsonl(answerer, sys.stdin, sys.stdout, args.lang)
        return 0
    now = parse_now(args.now, dt.datetime.now(dt.UTC))
    print(ask_text(answerer, " ".join(args.question), now, args.lang))
    return 0


def _cmd_kb(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge.check import kb_check

    if args.kb_command == "check":
        return kb_check(settings.knowledge_dir, dt.date.today())
    from bot.ops.reports import kb_feedback, kb_gaps

    if args.kb_command == "gaps":
        return kb_gaps(settings, args.limit)
    return kb_feedback(settings)


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    if args.what == "delivery":
        from bot.bench.delivery import run_delivery_bench

        print(run_delivery_bench(settings))
        return 0
    from bot.bench.answers import run_answer_bench

    print(run_answer_bench(settings, args.questions or [], args.rounds))
    return 0


def _cmd_discord(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.discord_bot.cli import run_discord_cli

    return run_discord_cli(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    command = args.command or "run"
    if command in ("run", "chat"):
        from bot.app import run_app

        return run_app(settings, console_only=command == "chat")
    if command == "ask":
        return _cmd_ask(args, settings)
    if command == "kb":
        return _cmd_kb(args, settings)
    if command == "bench":
        return _cmd_bench(args, settings)
    return _cmd_discord(args, settings)


def run() -> int:
    """The console script: `main`, quiet when the reader of our output goes away (`banbot ask … | head`)."""
    try:
        return main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(run())
