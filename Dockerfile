# banbot: slim, non-root; the knowledge base is baked in and can be overridden by mounting /app/knowledge.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
RUN pip install -c constraints.txt . && useradd --system --uid 10001 --home-dir /app banbot \
    && mkdir -p /app/data && chown banbot /app/data
COPY knowledge ./knowledge

USER banbot
ENV BANBOT_KNOWLEDGE_DIR=/app/knowledge \
    BANBOT_DATABASE_URL=sqlite+aiosqlite:////app/data/banbot.sqlite3 \
    BANBOT_HEALTH_HOST=0.0.0.0 \
    BANBOT_HEALTH_PORT=8080
VOLUME ["/app/data"]
# 8080: /healthz, /readyz, /metrics; 8443: the Telegram webhook (BANBOT_TELEGRAM_WEBHOOK_PORT), when used.
EXPOSE 8080 8443
# The one health check (compose uses it too): alive, not "ready" (/readyz is 503 while a platform is down,
# which a restart would not fix).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
CMD ["banbot", "run"]
