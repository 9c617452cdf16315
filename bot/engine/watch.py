"""Knowledge hot reload: poll the knowledge files' modification times and reload when they change."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.engine.holder import KnowledgeHolder

log = logging.getLogger(__name__)

Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(root: Path) -> Snapshot:
    """(path, mtime_ns, size) of every YAML file under `root`: cheap to take, changes on any edit."""
    files = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(files)


async def watch_knowledge(holder: KnowledgeHolder, interval: float = 2.0) -> None:
    """Reload `holder` whenever a knowledge file is added, removed or edited; runs until cancelled.

    An invalid edit is logged and the last good knowledge stays; the next edit is tried again.
    """
    last = await asyncio.to_thread(snapshot, holder.root)
    while True:
        await asyncio.sleep(interval)
        try:
            current = await asyncio.to_thread(snapshot, holder.root)
            if current != last:
                last = current
                await holder.reload_async()
        except asyncio.CancelledError:
            raise
        except Exception:  # the watcher must outlive any one bad edit or unreadable directory
            log.exception("knowledge watcher: reload failed; keeping the current knowledge")
