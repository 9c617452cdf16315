"""The `banbot` command line: run | chat | ask | kb check|gaps|feedback|links|news | bench | discord sync|invite-url.

Platform SDKs are imported only by the commands that need them, so `banbot ask` starts fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.errors import KnowledgeError
from bot.settings import Settings, SettingsError, load_settings


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="banbot", description="Sourced answers and countdowns about the US TikTok ban.")
    sub = p.add_subparsers(dest="command")
    sub.add_parser(
        "run",
        help="run every configured adapter, or the console chat when no token is set",
        description="Run the bot: every adapter whose token is set (BANBOT_TELEGRAM_TOKEN, BANBOT_DISCORD_TOKEN), "
        "the countdown scheduler, knowledge hot reload and, with BANBOT_HEALTH_PORT, the health server; until "
        "SIGTERM or Ctrl-C. With no token set it opens the console chat instead. Settings come from the "
        "environment and .env (see .env.example).",
    )
    sub.add_parser(
        "chat",
        help="interactive console chat (plain stdin when not a terminal)",
        description="Chat with the bot in this terminal, whatever tokens are set: questions in English or "
        "Chinese, /countdown [time zone], /timeline, /sources, /subscribe [HH:MM] [time zone] "
        "[daily|milestones|updates] [deadline], /unsubscribe, /subscriptions, /help, /quit. Countdown posts "
        "arrive in the chat. On a terminal, logs go to "
        "data/banbot.log (or BANBOT_LOG_FILE) so they never interleave with the conversation. With piped "
        "input it answers line by line until the end of input, logging to stderr.",
    )

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
    test = kb_sub.add_parser("test", help="score question sets (JSON lines): per category, with confusions")
    test.add_argument("files", nargs="+", type=Path, help="question sets in the eval/*.jsonl format")
    test.add_argument("--min", type=float, help="exit 1 when a set scores below this share (0..1), e.g. 0.9")
    test.add_argument("--quiet", action="store_true", help="print the per-category table only, no confusions")
    links = kb_sub.add_parser("links", help="check every source URL: dead, moved and slow links")
    links.add_argument("--strict", action="store_true", help="exit 1 when a link is dead")
    links.add_argument("--concurrency", type=_positive_int, default=8, help="requests in flight (default 8)")
    links.add_argument(
        "--timeout", type=_positive_float, default=15.0, help="seconds per request, body included (default 15)"
    )
    links.add_argument("--slow", type=_positive_float, default=5.0, help="report answers slower than this (s)")
    links.add_argument(
        "--max-time", type=_positive_float, default=300.0, help="seconds for the whole run (default 300)"
    )
    news = kb_sub.add_parser("news", help="poll knowledge/feeds.yaml; list stories the knowledge does not cover")
    news.add_argument("--days", type=_positive_float, default=7.0, help="items first seen this recently (default 7)")
    news.add_argument("--limit", type=_positive_int, default=30, help="list at most this many (default 30)")
    news.add_argument("--timeout", type=_positive_float, default=20.0, help="seconds per feed (default 20)")
    news.add_argument(
        "--max-time", type=_positive_float, default=120.0, help="seconds for polling every feed (default 120)"
    )

    bench = sub.add_parser("bench", help="benchmarks: answer latency (default), delivery, or the per-user limiter")
    bench.add_argument("what", nargs="?", choices=["answers", "delivery", "limiter"], default="answers")
    bench.add_argument("--questions", type=Path, action="append", help="JSON-lines question files (repeatable)")
    bench.add_argument("--rounds", type=int, default=20, help="passes over the questions")
    bench.add_argument(
        "--scale",
        type=_positive_int,
        default=1,
        help="answers: grow the knowledge to N times its entries with perturbed copies (in a temp dir)",
    )
    bench.add_argument("--seed", type=int, help="answers with --scale: seed of the perturbation (default fixed)")

    discord = sub.add_parser("discord", help="Discord tools")
    d_sub = discord.add_subparsers(dest="discord_command", required=True)
    sync = d_sub.add_parser("sync", help="register slash commands now (globally, or in one guild)")
    sync.add_argument("--guild", type=int, help="guild id for instant, guild-only registration")
    invite = d_sub.add_parser("invite-url", help="print the invite link with the scopes and permissions needed")
    invite.add_argument("--application-id", type=int, help="defaults to the id read from the bot token")
    return p


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_ask import BadLineError, ask_jsonl, ask_text, parse_now
    from bot.engine import AnswererFactory
    from bot.knowledge.loader import load_knowledge

    try:
        now = parse_now(args.now, dt.datetime.now(dt.UTC))
    except BadLineError as exc:
        print(f"banbot ask: --now: {exc}", file=sys.stderr)
        return 2
    answerer = AnswererFactory.from_settings(settings)(load_knowledge(settings.knowledge_dir))
    if args.jsonl:
        ask_jsonl(answerer, sys.stdin.buffer, sys.stdout.buffer, args.lang)
        return 0
    print(ask_text(answerer, " ".join(args.question), now, args.lang))
    return 0


def _cmd_kb(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge.check import kb_check

    if args.kb_command == "check":
        from bot.freshness.feeds import check_feeds

        status = kb_check(settings.knowledge_dir, dt.date.today())
        return max(status, check_feeds(settings.knowledge_dir))
    if args.kb_command == "test":
        from bot.engine import AnswererFactory
        from bot.kbtest import kb_test
        from bot.knowledge.loader import load_knowledge

        answerer = AnswererFactory.from_settings(settings)(load_knowledge(settings.knowledge_dir))
        return kb_test(answerer, args.files, args.min, sys.stdout, quiet=args.quiet)
    if args.kb_command == "links":
        from bot.freshness.links import kb_links

        return kb_links(
            settings.knowledge_dir,
            strict=args.strict,
            concurrency=args.concurrency,
            timeout=args.timeout,
            slow_seconds=args.slow,
            max_time=args.max_time,
            allow_private=settings.fetch_allow_private,
        )
    if args.kb_command == "news":
        from bot.freshness.news import kb_news

        return kb_news(settings, days=args.days, limit=args.limit, timeout=args.timeout, max_time=args.max_time)
    from bot.ops.reports import kb_feedback, kb_gaps

    if args.kb_command == "gaps":
        return kb_gaps(settings, args.limit)
    return kb_feedback(settings)


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    if args.what != "answers" and (args.scale != 1 or args.seed is not None):
        print(f"banbot bench {args.what}: --scale and --seed are for the answer bench", file=sys.stderr)
        return 2
    if args.what == "delivery":
        from bot.bench.delivery import run_delivery_bench

        print(run_delivery_bench(settings))
        return 0
    if args.what == "limiter":
        from bot.bench.limiter import run_limiter_bench

        print(run_limiter_bench())
        return 0
    from bot.bench.answers import run_answer_bench

    print(run_answer_bench(settings, args.questions or [], args.rounds, args.scale, args.seed))
    return 0


def _cmd_discord(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.discord_bot.cli import run_discord_cli

    return run_discord_cli(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    command = args.command or "run"
    if command in ("run", "chat"):
        from bot.app import run_app

        return run_app(settings, console_only=command == "chat")
    try:
        return _COMMANDS[command](args, settings)
    except KnowledgeError as exc:
        first = f"; first: {exc.problems[0]}" if exc.problems else ""
        print(
            f"BANBOT_KNOWLEDGE_DIR={settings.knowledge_dir}: cannot load the knowledge, "
            f"{len(exc.problems)} problem(s){first} (see `banbot kb check`)",
            file=sys.stderr,
        )
        return 1


_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "ask": _cmd_ask,
    "kb": _cmd_kb,
    "bench": _cmd_bench,
    "discord": _cmd_discord,
}


def run() -> int:
    """The console script: `main`, quiet when the reader of our output goes away (`banbot ask … | head`)."""
    # The sentence encoder multiplies small matrices once per question: one BLAS thread is fastest, and on a
    # busy machine several threads per process fight over the cores (p99 of 70 ms measured with 2 threads).
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    try:
        return main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(run())
