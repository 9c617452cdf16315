"""Keeping the knowledge current: `kb links` (are the sources still there?), `kb news` (what happened that the
knowledge does not cover yet?) and the daily curator digest. All fetching goes through httpx."""
