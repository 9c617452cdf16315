"""The operators' HTTP endpoints: /healthz (alive), /readyz (every part working), /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Probe:
    """One readiness check: a name and a coroutine saying whether that part works."""

    name: str
    check: Callable[[], Awaitable[bool]]


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        *,
        probes: list[Probe],
        info: Callable[[], dict[str, Any]],
        before_metrics: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._metrics = metrics
        self._probes = probes
        self._info = info
        self._before_metrics = before_metrics
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_view)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("health server listening on %s:%d", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", **self._info()})

    async def _readyz(self, _request: web.Request) -> web.Response:
        results = await asyncio.gather(*(self._run_probe(p) for p in self._probes))
        checks = {p.name: ok for p, ok in zip(self._probes, results, strict=True)}
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks, **self._info()}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics_view(self, _request: web.Request) -> web.Response:
        if self._before_metrics is not None:
            try:
                await asyncio.wait_for(self._before_metrics(), PROBE_TIMEOUT)
            except Exception:  # e.g. the database is down: export the counters anyway, gauges keep old values
                log.warning("could not refresh gauges for /metrics", exc_info=True)
        return web.Response(body=self._metrics.render(), content_type="text/plain", charset="utf-8")

    @staticmethod
    async def _run_probe(probe: Probe) -> bool:
        try:
            return await asyncio.wait_for(probe.check(), PROBE_TIMEOUT)
        except Exception:  # a failing check means "not ready", whatever the reason
            log.warning("readiness check %s failed", probe.name, exc_info=True)
            return False
