# The ccm image: the worker (ccm worker) and the simulator (ccm simulate).
# The core is compiled to C extensions (setup.py) on an image with a C compiler, and the
# wheels built there are installed on the slim one.
FROM python:3.11 AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY schemas ./schemas
COPY streams ./streams
COPY dashboards ./dashboards
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CCM_TARGETS_FILE=/app/deploy/config/targets.yaml \
    CCM_DATA_DIR=/var/lib/ccm \
    CCM_WEB_BIND=0.0.0.0

WORKDIR /app
COPY --from=build /wheels /wheels
COPY deploy/config ./deploy/config
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --home-dir /var/lib/ccm --create-home ccm

USER ccm
EXPOSE 6066
ENTRYPOINT ["ccm"]
CMD ["worker"]
