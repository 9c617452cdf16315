"""`banbot bench`: measurements on this machine (answers.py: latency, cold start, memory; delivery.py: sends)."""
