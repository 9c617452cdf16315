"""The error hierarchy. Everything banbot raises on purpose derives from BanbotError:

BanbotError
├── KnowledgeError        the knowledge files are missing or invalid (carries every problem)
└── SubscriptionError     a subscription request was refused; the message is safe to show users

Send failures are not exceptions: senders classify them as a SendResult (see bot.delivery.ports).
"""

from __future__ import annotations

from dataclasses import dataclass


class BanbotError(Exception):
    """Root of banbot's own errors."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one knowledge file: where and what."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class KnowledgeError(BanbotError):
    """The knowledge base could not be loaded; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n" + "\n".join(map(str, problems)))


class SubscriptionError(BanbotError):
    """A subscription request was refused. `message` is a user-facing explanation."""
