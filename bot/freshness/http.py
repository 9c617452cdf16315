"""The one way freshness tools build an HTTP client: our user agent, redirects followed, an overall deadline
on every fetch, and no requests to loopback, private, link-local or multicast addresses.

- Deadline: a fetch (its redirects, headers and body together) that has not finished `timeout` seconds after
  it began raises FetchDeadlineError, however steadily the server trickles bytes; callers report it as slow.
  `gather_within` bounds a whole run the same way.
- Addresses: before every request, the first and each redirect's, the host is resolved and every address it
  has is checked; one that is not public (loopback, RFC 1918 and other private ranges, link-local, multicast,
  unspecified or reserved, also inside IPv4-mapped, 6to4 and NAT64 IPv6 addresses) raises
  PrivateAddressError before any connection is made. The connection then goes to a checked address (the
  host name still names the server for TLS and `Host`), so the name cannot resolve elsewhere in between.
  `allow_private` (BANBOT_FETCH_ALLOW_PRIVATE, for tests against local servers) turns the check off.

The transport is injectable so tests can hand in `httpx.MockTransport`; the default is httpx's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import httpx

from bot import __version__

PROJECT_HINT = "+banbot, a TikTok-law Q&A bot; see its knowledge/README.md"
"""Tells a site operator reading their logs what is calling and why."""
REFUSED = "refused: private address"
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_DEADLINE_AT = "banbot.deadline_at"
"""Request extension holding the loop time a fetch must end by; httpx copies it onto each redirect."""

Resolver = Callable[[str, int], Awaitable[list[str]]]
T = TypeVar("T")


class PrivateAddressError(httpx.RequestError):
    """The target (or a redirect's) resolves to an address that is not public: nothing was sent."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(REFUSED, request=request)


class FetchDeadlineError(httpx.TimeoutException):
    """The fetch, redirects and body included, did not finish within its deadline."""

    def __init__(self, seconds: float, request: httpx.Request) -> None:
        super().__init__(f"slow: cut at the {seconds:g} s deadline", request=request)


def user_agent(tool: str) -> str:
    """For example "banbot-linkcheck/0.1.0 (+…)": names the tool, its version and where to learn more."""
    return f"banbot-{tool}/{__version__} ({PROJECT_HINT})"


def is_public(address: str) -> bool:
    """A global unicast address, and so is any IPv4 address it carries (IPv4-mapped, 6to4, NAT64)."""
    ip = ipaddress.ip_address(address)
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            candidates = [ip.ipv4_mapped]  # ::ffff:8.8.8.8 is 8.8.8.8
        elif ip.sixtofour is not None:
            candidates.append(ip.sixtofour)
        elif ip in NAT64:
            candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return all(c.is_global and not c.is_multicast for c in candidates)


async def resolve(host: str, port: int) -> list[str]:
    """Every address the host name has (an address literal is its own)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """The request sent to `address`; its host name still names the server (Host header, TLS)."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.host},
    )


class AddressGuard(httpx.AsyncBaseTransport):
    """Checks every address of each request's host, then connects to those addresses in turn."""

    def __init__(self, inner: httpx.AsyncBaseTransport, resolver: Resolver = resolve) -> None:
        self._inner = inner
        self._resolve = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
        if not addresses or not all(is_public(a) for a in addresses):
            raise PrivateAddressError(request)
        for address in addresses[:-1]:  # the others in turn if one cannot be reached (no IPv6 route, say)
            with contextlib.suppress(httpx.ConnectError):
                return await self._inner.handle_async_request(_pinned(request, address))
        return await self._inner.handle_async_request(_pinned(request, addresses[-1]))

    async def aclose(self) -> None:
        await self._inner.aclose()


class _DeadlineStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request, seconds: float) -> None:
        self._inner, self._request, self._seconds = inner, request, seconds

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = aiter(self._inner)
        while True:
            try:
                async with asyncio.timeout_at(self._request.extensions[_DEADLINE_AT]):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise FetchDeadlineError(self._seconds, self._request) from None
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class Deadline(httpx.AsyncBaseTransport):
    """Ends a fetch `seconds` after its first request began: the redirects' requests and the body count too."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = request.extensions.setdefault(_DEADLINE_AT, asyncio.get_running_loop().time() + self._seconds)
        try:
            async with asyncio.timeout_at(at):
                response = await self._inner.handle_async_request(request)
        except TimeoutError:
            raise FetchDeadlineError(self._seconds, request) from None
        response.stream = _DeadlineStream(response.stream, request, self._seconds)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def make_client(
    tool: str,
    *,
    timeout: float,
    max_connections: int = 10,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver = resolve,
) -> httpx.AsyncClient:
    """An AsyncClient that follows redirects (each response keeps its `history`), ends each fetch `timeout`
    seconds after it began, and refuses addresses that are not public unless `allow_private`."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    if allow_private:
        inner = transport or httpx.AsyncHTTPTransport(limits=limits)
    else:
        # Connections go to addresses, not names: one kept alive for a name must not serve another name that
        # shares its address (CDNs), so none is kept.
        direct = httpx.Limits(max_connections=max_connections, max_keepalive_connections=0)
        inner = AddressGuard(transport or httpx.AsyncHTTPTransport(limits=direct), resolver)
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent(tool)},
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=10,
        transport=Deadline(inner, timeout),
    )


async def gather_within(seconds: float, work: Sequence[Awaitable[T]]) -> list[T | None]:
    """Run `work` concurrently for at most `seconds`: results in order, None for what had not finished (it is
    cancelled). An exception in finished work is raised."""
    tasks = [asyncio.ensure_future(w) for w in work]
    try:
        if tasks:
            await asyncio.wait(tasks, timeout=seconds)
    finally:
        unfinished = [t for t in tasks if not t.done()]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
    return [None if t.cancelled() else t.result() for t in tasks]
