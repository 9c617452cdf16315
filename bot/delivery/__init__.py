"""Subscriptions and reliable countdown delivery: ports, service, outbox and scheduler."""
