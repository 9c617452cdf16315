"""`banbot kb links`: is every source URL of the knowledge still there?

Each distinct URL is requested once, HEAD first. A HEAD that fails (405, 403 and 501 are the usual "use GET"
answers, some servers even say 404) is confirmed with a GET whose body is never read, so no link is called
dead on a HEAD alone. Redirects are followed. Every URL ends in one verdict:

  ok        2xx, directly or after temporary redirects
  moved     a permanent redirect (301/308) on the way: cite the final URL instead
  slow      answered, but after more than the slow threshold; or no complete answer within the deadline of
            a request (`--timeout`), or still unfinished when the run's time (`--max-time`) ran out
  blocked   401, 403 or 429 even to GET: the site refuses automated checks; a person should open it
  dead      404, 410, any other 4xx or 5xx, a connection error, or an address that is not public
            ("refused: private address", before anything is sent; bot.freshness.http)

Only dead links fail `--strict`: blocked and slow ones are reported but may well work in a browser.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import httpx

from bot.errors import KnowledgeError
from bot.freshness.http import FetchDeadlineError, PrivateAddressError, gather_within, make_client
from bot.knowledge.check import print_problems
from bot.knowledge.loader import KnowledgeBase, load_knowledge

BLOCKED = frozenset({401, 403, 429})
PERMANENT = frozenset({301, 308})
PER_HOST = 2
"""At most this many requests to one host at a time, whatever the overall concurrency."""


class Verdict(StrEnum):
    DEAD = "dead"
    BLOCKED = "blocked"
    MOVED = "moved"
    SLOW = "slow"
    OK = "ok"


SEVERITY = list(Verdict)
"""Report order: worst first."""


@dataclass(frozen=True, slots=True)
class LinkResult:
    url: str
    sources: tuple[str, ...]
    """Ids of the sources that cite this URL."""
    verdict: Verdict
    status: int | None
    """The final HTTP status; None when no response came."""
    final_url: str
    seconds: float
    method: str
    detail: str = ""

    def line(self) -> str:
        code = str(self.status) if self.status is not None else "---"
        cited = ", ".join(self.sources)
        if self.verdict is Verdict.MOVED:
            what = f"{self.url} -> {self.final_url}"
        elif self.final_url != self.url:
            what = f"{self.url} (redirected to {self.final_url})"
        else:
            what = self.url
        extra = f"; {self.detail}" if self.detail else ""
        return f"{self.verdict.value:7} {code}  {self.seconds:5.1f}s  {what}  [{cited}]{extra}"


def source_urls(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Every distinct source URL, with the ids of the sources citing it, in file order."""
    cited: dict[str, list[str]] = defaultdict(list)
    for source in kb.sources.values():
        cited[str(source.url)].append(source.id)
    return {url: tuple(ids) for url, ids in cited.items()}


def _host(url: str) -> str:
    return (urllib.parse.urlsplit(url).hostname or "").lower()


class LinkChecker:
    """Checks URLs with one client: bounded concurrency overall and per host; each request's deadline comes
    from the client (bot.freshness.http), the whole run's from `check_all`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        concurrency: int = 8,
        slow_seconds: float = 5.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._overall = asyncio.Semaphore(max(1, concurrency))
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))
        self._slow = slow_seconds
        self._timer = timer

    async def check_all(self, urls: Mapping[str, Sequence[str]], *, within: float) -> list[LinkResult]:
        """Results worst first (dead, blocked, moved, slow, ok), then by URL. Checks still unfinished after
        `within` seconds are stopped and reported as slow."""
        checked = await gather_within(within, [self.check(url, tuple(ids)) for url, ids in urls.items()])
        results = [
            result or LinkResult(url, tuple(ids), Verdict.SLOW, None, url, within, "", f"unfinished after {within:g} s")
            for result, (url, ids) in zip(checked, urls.items(), strict=True)
        ]
        return sorted(results, key=lambda r: (SEVERITY.index(r.verdict), r.url))

    async def check(self, url: str, sources: tuple[str, ...] = ()) -> LinkResult:
        async with self._overall, self._hosts[_host(url)]:
            start = self._timer()
            method = "HEAD"
            try:
                response = await self._client.head(url)
                if response.status_code >= 400:
                    method = "GET"
                    response = await self._get(url)
            except FetchDeadlineError as exc:
                seconds = self._timer() - start
                return LinkResult(url, sources, Verdict.SLOW, None, url, seconds, method, str(exc))
            except PrivateAddressError as exc:
                return self._failed(url, sources, start, method, str(exc))
            except httpx.TimeoutException:
                return self._failed(url, sources, start, method, "timed out")
            except httpx.TooManyRedirects:
                return self._failed(url, sources, start, method, "too many redirects")
            except httpx.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
                return self._failed(url, sources, start, method, f"connection error: {reason}")
            except httpx.InvalidURL as exc:
                return self._failed(url, sources, start, method, f"invalid URL: {exc}")
            seconds = self._timer() - start
        return self._judge(url, sources, response, seconds, method)

    async def _get(self, url: str) -> httpx.Response:
        """GET without reading the body: the status and redirect history are all we need."""
        async with self._client.stream("GET", url) as response:
            return response

    def _failed(self, url: str, sources: tuple[str, ...], start: float, method: str, detail: str) -> LinkResult:
        seconds = self._timer() - start
        return LinkResult(url, sources, Verdict.DEAD, None, url, seconds, method, detail)

    def _judge(
        self, url: str, sources: tuple[str, ...], response: httpx.Response, seconds: float, method: str
    ) -> LinkResult:
        status = response.status_code
        final = str(response.url)
        permanent = [r for r in response.history if r.status_code in PERMANENT]
        if status in BLOCKED:
            verdict, detail = Verdict.BLOCKED, "the site refuses automated checks: open it in a browser"
        elif status >= 400:
            verdict, detail = Verdict.DEAD, response.reason_phrase
        elif permanent:
            verdict, detail = Verdict.MOVED, f"{permanent[0].status_code}: cite the new address"
        elif seconds > self._slow:
            verdict, detail = Verdict.SLOW, f"slower than {self._slow:g}s"
        else:
            verdict, detail = Verdict.OK, ""
        return LinkResult(url, sources, verdict, status, final, seconds, method, detail)


def summary(results: Iterable[LinkResult]) -> str:
    counts = dict.fromkeys(Verdict, 0)
    total = 0
    for result in results:
        counts[result.verdict] += 1
        total += 1
    parts = ", ".join(f"{counts[v]} {v.value}" for v in reversed(SEVERITY))
    return f"kb links: {total} URL(s) checked: {parts}"


async def check_knowledge_links(
    kb: KnowledgeBase,
    *,
    concurrency: int,
    request_seconds: float,
    slow_seconds: float,
    run_seconds: float,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[LinkResult]:
    async with make_client(
        "linkcheck",
        timeout=request_seconds,
        max_connections=concurrency,
        allow_private=allow_private,
        transport=transport,
    ) as client:
        checker = LinkChecker(client, concurrency=concurrency, slow_seconds=slow_seconds)
        return await checker.check_all(source_urls(kb), within=run_seconds)


def kb_links(
    root: Path,
    *,
    strict: bool = False,
    concurrency: int = 8,
    timeout: float = 15.0,
    slow_seconds: float = 5.0,
    max_time: float = 300.0,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Print one line per link that is not plainly ok, then a summary. Exit 1 on dead links with `strict`.

    Each request ends `timeout` seconds after it began, the whole run `max_time` seconds after it began."""
    try:
        kb = load_knowledge(root)
    except KnowledgeError as exc:
        print_problems(
            exc.problems, f"kb links: {len(exc.problems)} problem(s) in the knowledge, see `banbot kb check`"
        )
        return 1
    results = asyncio.run(
        check_knowledge_links(
            kb,
            concurrency=concurrency,
            request_seconds=timeout,
            slow_seconds=slow_seconds,
            run_seconds=max_time,
            allow_private=allow_private,
            transport=transport,
        )
    )
    for result in results:
        if result.verdict is not Verdict.OK:
            print(result.line())
    print(summary(results))
    dead = any(r.verdict is Verdict.DEAD for r in results)
    return 1 if strict and dead else 0
