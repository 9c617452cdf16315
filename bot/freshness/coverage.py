"""Does the knowledge already cover a news item? Scored with the answering index, judged by two rules.

An item is covered when
  1. its URL is the URL of a known source (after normalising scheme, host case, "www.", a trailing slash,
     the fragment and utm_* tracking parameters): the story is already cited; or
  2. all of: the answering index's best entry for the item's title and summary holds at least
     COVERED_COVERAGE of the item's words (IDF-weighted, as for questions); the item comes from an outlet
     the knowledge cites as a primary or major source (its host, or the host of the feed's <source>
     element, is such a source's host or a subdomain of one); and the entry was last verified (`checked`,
     else `as_of`) on or after the item's publication date: a trusted outlet reporting what a current
     entry already says.

Everything else is uncovered and goes to curators: a story from an outlet the knowledge does not trust yet,
or one newer than the entry that matches it, is listed even when the words match well (the closest entry
is shown to help decide). Items that mention no anchor term (TikTok, RedNote, ByteDance, the ban …) are
off topic for the bot and are not listed. Relevance orders the list: the best entry's score weighted by its
coverage, as the answerer ranks entries.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from bot.core.index import COVERAGE_WEIGHT, Index
from bot.knowledge.loader import KnowledgeBase
from bot.storage.sql.news import NewsItem

COVERED_COVERAGE = 0.7
"""Share of an item's information the best entry must hold for rule 2."""
TRUSTED_TIERS = frozenset({"primary", "major"})
QUERY_CHARS = 300
"""Title plus the start of the summary: past that, summaries mostly add words no entry could hold."""


def normalize_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port:
        host = f"{host}:{parts.port}"
    query = urllib.parse.urlencode(
        [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    )
    path = parts.path.rstrip("/")
    return urllib.parse.urlunsplit(("https", host, path, query, ""))


def host_of(url: str) -> str:
    return (urllib.parse.urlsplit(url).hostname or "").lower().removeprefix("www.")


@dataclass(frozen=True, slots=True)
class Assessment:
    covered: bool
    reason: str
    """Why covered ("source …" or "entry …"), or what came closest when not."""
    entry_id: str | None
    coverage: float
    relevance: float
    on_topic: bool


class CoverageScorer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self._index = Index(kb)
        self._sources = {normalize_url(str(s.url)): s.id for s in kb.sources.values()}
        trusted = (s for s in kb.sources.values() if s.tier in TRUSTED_TIERS)
        self._hosts = frozenset(host_of(str(s.url)) for s in trusted) - {""}

    def known_host(self, url: str | None) -> bool:
        host = host_of(url or "")
        return bool(host) and any(host == known or host.endswith("." + known) for known in self._hosts)

    def assess(self, item: NewsItem) -> Assessment:
        search = self._index.search(f"{item.title}. {item.summary}"[:QUERY_CHARS], limit=1)
        top = search.hits[0] if search.hits else None
        coverage = top.coverage if top else 0.0
        relevance = top.score * coverage**COVERAGE_WEIGHT if top else 0.0
        entry_id = top.entry.id if top else None
        source_id = self._sources.get(normalize_url(item.url))
        if source_id is not None:
            return Assessment(True, f"source {source_id}", entry_id, coverage, relevance, search.on_topic)
        known = self.known_host(item.url) or self.known_host(item.publisher_url)
        if top is not None and coverage >= COVERED_COVERAGE and known:
            verified = max(top.entry.as_of, top.entry.checked or top.entry.as_of)
            if item.published_at is None or item.published_at.date() <= verified:
                reason = f"entry {entry_id} ({coverage:.0%}, trusted outlet, verified {verified})"
                return Assessment(True, reason, entry_id, coverage, relevance, search.on_topic)
        reason = f"closest entry {entry_id} ({coverage:.0%})" if top else "no entry matches"
        return Assessment(False, reason, entry_id, coverage, relevance, search.on_topic)
