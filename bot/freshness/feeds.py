"""News feeds: the list in knowledge/feeds.yaml, conditional GET with a size cap, RSS/Atom parsing.

Fetching remembers each feed's ETag and Last-Modified and sends them back (If-None-Match, If-Modified-Since),
so an unchanged feed costs a 304 and no parsing. Parsing is feedparser's (RSS 0.9x/1.0/2.0 and Atom), fed
bytes we fetched ourselves: feedparser never touches the network or the file system here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import io
import re
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import feedparser
import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from bot.errors import KnowledgeError, Problem
from bot.freshness.http import FetchDeadlineError, PrivateAddressError
from bot.knowledge.check import print_problems
from bot.knowledge.schema import ID_PATTERN
from bot.storage.sql.news import FeedState, NewsItem

FEEDS_FILE = "feeds.yaml"
MAX_FEED_BYTES = 2 * 1024 * 1024
"""A feed body larger than this is refused: news searches are a few hundred kilobytes at most."""
SUMMARY_CHARS = 1000


class Feed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    url: HttpUrl


class FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    feeds: list[Feed] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> FeedsFile:
        for attr in ("id", "url"):
            values = [str(getattr(feed, attr)) for feed in self.feeds]
            doubled = sorted({v for v in values if values.count(v) > 1})
            if doubled:
                raise ValueError(f"duplicate feed {attr}: {', '.join(doubled)}")
        return self


def load_feeds(root: Path) -> list[Feed]:
    """The feeds of knowledge/feeds.yaml; raise KnowledgeError naming file and field for every problem."""
    path = root / FEEDS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError([Problem(FEEDS_FILE, "(file)", "missing: list the news feeds to poll")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeError([Problem(FEEDS_FILE, "(file)", f"cannot read: {exc}".replace("\n", " "))]) from None
    try:
        return FeedsFile.model_validate(data).feeds
    except ValidationError as exc:
        problems = [
            Problem(FEEDS_FILE, ".".join(str(part) for part in err["loc"]) or "(file)", err["msg"])
            for err in exc.errors()
        ]
        raise KnowledgeError(problems) from None


def check_feeds(root: Path) -> int:
    """`banbot kb check`'s part for feeds.yaml (optional): print its problems, exit status 1 if any."""
    if not (root / FEEDS_FILE).exists():
        return 0
    try:
        feeds = load_feeds(root)
    except KnowledgeError as exc:
        print_problems(exc.problems, f"kb check: {len(exc.problems)} problem(s) in {FEEDS_FILE}")
        return 1
    print(f"kb check: {FEEDS_FILE} ok, {len(feeds)} feed(s)")
    return 0


class FetchStatus(StrEnum):
    FETCHED = "fetched"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Fetched:
    status: FetchStatus
    body: bytes = b""
    state: FeedState | None = None
    """The validators to send next time (set when FETCHED)."""
    content_type: str = ""
    final_url: str = ""
    detail: str = ""


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


async def fetch_feed(
    client: httpx.AsyncClient, feed: Feed, previous: FeedState | None, *, max_bytes: int = MAX_FEED_BYTES
) -> Fetched:
    """GET the feed, conditionally when the last response had validators; never read more than `max_bytes`,
    nor for longer than the client's deadline."""
    url = str(feed.url)
    headers: dict[str, str] = {}
    if previous is not None and previous.url == url:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(FetchStatus.NOT_MODIFIED, final_url=str(response.url))
            if response.status_code >= 400:
                detail = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                return Fetched(FetchStatus.FAILED, detail=detail)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                too_big = f"body of {_megabytes(int(declared))} refused (limit {_megabytes(max_bytes)})"
                return Fetched(FetchStatus.FAILED, detail=too_big)
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    return Fetched(FetchStatus.FAILED, detail=f"body over {_megabytes(max_bytes)} refused")
                chunks.append(chunk)
            state = FeedState(feed.id, url, response.headers.get("ETag"), response.headers.get("Last-Modified"))
            return Fetched(
                FetchStatus.FETCHED,
                body=b"".join(chunks),
                state=state,
                content_type=response.headers.get("Content-Type", ""),
                final_url=str(response.url),
            )
    except (FetchDeadlineError, PrivateAddressError) as exc:  # "slow: cut at …", "refused: private address"
        return Fetched(FetchStatus.FAILED, detail=str(exc))
    except httpx.TimeoutException:
        return Fetched(FetchStatus.FAILED, detail="timed out")
    except httpx.HTTPError as exc:
        return Fetched(FetchStatus.FAILED, detail=f"connection error: {exc or type(exc).__name__}")
    except httpx.InvalidURL as exc:
        return Fetched(FetchStatus.FAILED, detail=f"invalid URL: {exc}")


@dataclass(frozen=True, slots=True)
class Parsed:
    items: list[NewsItem]
    problem: str = ""
    """Why the body is not a usable feed (no items then), or what was wrong with it (items recovered)."""
    usable: bool = True


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(markup: str) -> str:
    """Feed HTML as one line of text: tags dropped, entities decoded, whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip()


def _is_web_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _published(entry: Any) -> dt.datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC)


def item_key(guid: str) -> str:
    return hashlib.sha256(guid.encode("utf-8")).hexdigest()


def parse_feed(feed_id: str, body: bytes, *, base_url: str, content_type: str = "") -> Parsed:
    """Items with a title and a web link. Malformed XML is reported; whatever feedparser recovers is kept."""
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    error = result.get("bozo_exception")
    benign = isinstance(error, (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride))
    problem = f"malformed XML: {plain_text(str(error))[:200]}" if result.get("bozo") and error and not benign else ""
    if not result.get("version") and not result.entries:
        return Parsed([], problem or "not an RSS or Atom feed", usable=False)
    items: list[NewsItem] = []
    for entry in result.entries:
        link = str(entry.get("link") or "").strip()
        title = plain_text(str(entry.get("title") or ""))
        if not title or not _is_web_url(link):
            continue
        source = entry.get("source") or {}
        publisher_url = str(source.get("href") or "").strip() or None
        items.append(
            NewsItem(
                key=item_key(str(entry.get("id") or link)),
                feed_id=feed_id,
                url=link,
                title=title[:500],
                summary=plain_text(str(entry.get("summary") or ""))[:SUMMARY_CHARS],
                publisher=plain_text(str(source.get("title") or "")) or None,
                publisher_url=publisher_url if publisher_url and _is_web_url(publisher_url) else None,
                published_at=_published(entry),
            )
        )
    if problem and not items:
        return Parsed([], problem, usable=False)
    return Parsed(items, problem)
