# syntax=docker/dockerfile:1
# MyFoodBudget images. Targets:
#   app       the Flask app: runs migrations, then gunicorn (docker build --target app .)
#   operator  the GitOps operator: python -m gitops, with git, ssh, kubectl (kustomize built in) and
#             restic (the backup Jobs: encryption, deduplication, retention, checks)
# Both run as uid/gid 10001, keep nothing writable outside /tmp and declared volumes, and work
# with a read-only root filesystem. Each holds only its own package and its dependencies: the
# build context of a builder has that one package, so the project's wheel holds nothing else,
# and pip, setuptools and wheel leave the virtualenv once it is filled.
# PYTHON_IMAGE: where the official image cannot be pulled, scripts/base-image.sh builds a local
# stand-in from Debian bookworm (docs/homelab.md says what differs).
# The default is a fixed tag; checkov cannot read an ARG's default.
# checkov:skip=CKV_DOCKER_7:PYTHON_IMAGE defaults to the fixed tag python:3.11-slim-bookworm
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- common runtime settings -----------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG PYTHON_IMAGE
ARG VERSION=0.0.0
LABEL org.opencontainers.image.source="https://github.com/OWNER/myfoodbudget" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /srv

# ---- builder: a virtualenv with one extra's dependencies (pinned by constraints.txt) ----------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt ./
# The dependencies first, from a context with no package and a placeholder README (a change of
# code or docs reuses their layer), then the package alone.
RUN echo "MyFoodBudget" >README.md

FROM builder AS build-app
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --quiet -c constraints.txt '.[app]'
COPY README.md ./
COPY app/ app/
RUN /opt/venv/bin/pip install --quiet --no-deps --force-reinstall . \
 && /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools

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
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.revision="${GIT_COMMIT}"
ENV GIT_COMMIT=${GIT_COMMIT}
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]
CMD ["/bin/sh", "-c", "flask --app app db upgrade && exec gunicorn --config /srv/gunicorn.conf.py app.wsgi:app"]

# ---- operator --------------------------------------------------------------------------------
# kubernetes/aio (68 MB) is the asyncio flavour of the client; the operator uses the plain one.
# The bytecode of kubernetes/client (25 MB, its generated models and APIs) is left out: the
# operator imports it once when it starts, and compiling it then costs well under a second.
FROM builder AS build-operator
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --quiet -c constraints.txt '.[operator]' \
 && rm -rf /opt/venv/lib/python3*/site-packages/kubernetes/aio \
 && find /opt/venv/lib/python3*/site-packages/kubernetes/client -name __pycache__ -prune -exec rm -rf {} +
COPY README.md ./
COPY operator/ operator/
RUN /opt/venv/bin/pip install --quiet --no-deps --force-reinstall . \
 && /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools

FROM runtime AS operator
LABEL org.opencontainers.image.title="myfoodbudget-operator" \
      org.opencontainers.image.description="GitOps operator: syncs kustomize overlays, releases with snapshot and rollback"
# git without perl: fetch, checkout and gc are git's own C code; perl serves only commands the
# operator never runs (send-email, svn, ...). An empty package that provides perl and
# liberror-perl stands in for them, so dpkg's records stay consistent. dpkg leaves out the
# translations, manuals, docs (not the copyright files) and the git servers the operator never
# runs. Together that saves about 80 MB.
# Debian's security updates replace exact versions, so pinning them would break rebuilds; the
# base image tag fixes the Debian release instead. restic (one static binary, about 20 MB) is
# what the backup Jobs run; its sftp backend uses the openssh-client already here.
# hadolint ignore=DL3008
RUN printf 'path-exclude=%s\n' '/usr/share/locale/*' '/usr/share/man/*' '/usr/share/doc/*' \
      '/usr/share/gitweb/*' '/usr/share/perl5/*' '/usr/lib/git-core/scalar' \
      '/usr/lib/git-core/git-daemon' '/usr/lib/git-core/git-shell' '/usr/lib/git-core/git-imap-send' \
      '/usr/lib/git-core/git-http-backend' '/usr/lib/git-core/git-http-push' \
      >/etc/dpkg/dpkg.cfg.d/myfoodbudget-slim \
 && echo 'path-include=/usr/share/doc/*/copyright' >>/etc/dpkg/dpkg.cfg.d/myfoodbudget-slim \
 && mkdir -p /tmp/no-perl/DEBIAN \
 && printf '%s\n' 'Package: myfoodbudget-no-perl' 'Version: 1.0' 'Architecture: all' \
      'Maintainer: MyFoodBudget' 'Provides: perl, liberror-perl' \
      'Description: git runs without perl in the operator image' >/tmp/no-perl/DEBIAN/control \
 && dpkg-deb --build /tmp/no-perl /tmp/no-perl.deb >/dev/null && dpkg -i /tmp/no-perl.deb >/dev/null \
 && apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates restic perl- \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /tmp/no-perl /tmp/no-perl.deb
COPY --from=build-operator /opt/venv /opt/venv
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.revision="${GIT_COMMIT}"
ENV HOME=/tmp \
    GIT_COMMIT=${GIT_COMMIT}
USER 10001:10001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('METRICS_PORT', '8080') + '/healthz', timeout=4)"]
CMD ["python", "-m", "gitops"]
