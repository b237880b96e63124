# The mock container as an image:
#   docker build -t mock-container .
#   docker run --rm -p 8000:8000 mock-container
# This project's tests do not build it (no Docker daemon there): they lint this
# file with hadolint and run its exact command line and environment
# (tests/mock_container/test_dockerfile.py).
#
# Every mock setting is an environment variable (docker run -e NAME=VALUE); the
# same settings as flags after the image name win over them. Set the port with
# MOCK_PORT, not --port: the health check reads MOCK_HOST and MOCK_PORT.
#   MOCK_HOST             address to bind (0.0.0.0 here, so it is reachable from outside)
#   MOCK_PORT             port (8000)
#   MOCK_MAX_DELAY        cap in seconds for every delay field (600)
#   MOCK_JOURNAL_SIZE     records the journal and the webhook sink keep (10000)
#   MOCK_JOURNAL_BYTES    bytes they keep: bodies, headers, paths (268435456)
#   MOCK_BODY_KEEP        bytes of each body kept and echoed (65536)
#   MOCK_MAX_BODY         request body cap, 413 beyond (33554432)
#   MOCK_MAX_RESPONSE     largest answer a request may ask for, 400 beyond (268435456)
#   MOCK_MAX_HEADER_BYTES request head cap, 431 beyond (1048576)
#   MOCK_INFLIGHT_BYTES   bytes requests being answered may hold, 503 beyond (268435456)
#   MOCK_WEBHOOK_BYTES    bytes pending webhooks may hold, 503 beyond (134217728)
#   MOCK_TASK_BYTES       bytes stored task results may hold, oldest forgotten beyond (134217728)
#   MOCK_SCENARIO_BYTES   bytes registered scenarios may hold, 400 beyond (33554432)
#   MOCK_CAPACITY         most inference requests in flight, 0 = unlimited (0)
#   MOCK_OVER_CAPACITY    beyond capacity: 429, 503 or queue (503)
#   MOCK_READY_AFTER      seconds /health answers 503 after start (0)
#   MOCK_WEBHOOK_ALLOW    hosts webhooks may target, comma-separated (loopback only)
#   MOCK_WEBHOOK_TIMEOUT  seconds per webhook attempt (10)
#   MOCK_LOG_LEVEL        critical, error, warning, info or debug (warning)
#   MOCK_CONFIG           a TOML file with the same keys (mount it into the container)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY mock_container ./mock_container
COPY conformance ./conformance
# The package with its runtime dependencies only (not the `dev` extra); the
# sources are not needed once installed.
RUN pip install --no-cache-dir . \
    && groupadd --gid 10001 mock \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin mock \
    && rm -rf /src

# Not root; numeric, so a runtime that checks for non-root can tell without /etc/passwd.
USER 10001:10001
WORKDIR /home/mock
ENV MOCK_HOST=0.0.0.0 \
    MOCK_PORT=8000
EXPOSE 8000
# No curl in the slim image: Python asks /health at the address the mock reaches itself at.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; from mock_container.info import self_host; urllib.request.urlopen('http://' + self_host(os.environ.get('MOCK_HOST', '127.0.0.1')) + ':' + os.environ.get('MOCK_PORT', '8000') + '/health', timeout=4)"]
ENTRYPOINT ["mock-container"]
