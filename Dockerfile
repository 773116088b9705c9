# The ccm image: the worker (ccm worker) and the simulator (ccm simulate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CCM_TARGETS_FILE=/app/deploy/config/targets.yaml \
    CCM_DATA_DIR=/var/lib/ccm \
    CCM_WEB_BIND=0.0.0.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY streams ./streams
COPY dashboards ./dashboards
COPY deploy/config ./deploy/config
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /var/lib/ccm --create-home ccm

USER ccm
EXPOSE 6066
ENTRYPOINT ["ccm"]
CMD ["worker"]
