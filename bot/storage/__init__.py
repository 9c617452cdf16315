"""Storage: the ports (base.py), their records, the SQL store (sql/) and the in-memory store (memory.py)."""
