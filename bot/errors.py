"""The error hierarchy. Everything banbot raises on purpose derives from BanbotError:

BanbotError
├── KnowledgeError              the knowledge files are missing or invalid (carries every problem)
├── SubscriptionError            a subscription request was refused; the message is safe to show users
└── DuplicateSubscriptionError   storage: the chat already has this subscription (the service turns it
                                 into a SubscriptionError in the user's language)

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


class DuplicateSubscriptionError(BanbotError):
    """The chat already has this subscription, live (same deadline, time and zone)."""

    def __init__(self, existing_id: int) -> None:
        super().__init__(f"duplicate of subscription {existing_id}")
        self.existing_id = existing_id
