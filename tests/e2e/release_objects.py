"""Objects the Release e2e tests apply: images, namespace, claim, Service, Release."""

from __future__ import annotations

import os
from typing import Any

GROUP, VERSION, PLURAL = "gitops.myfoodbudget.dev", "v1alpha1", "releases"
# Every image the e2e tests run. On the sandbox tests/images.yaml maps them to local commands;
# on k3s .github/workflows/e2e.yml builds and imports exactly these tags (never pulled: no tag
# is `latest`, so the default imagePullPolicy is IfNotPresent). MISSING exists nowhere.
OPERATOR_IMAGE = "ghcr.io/e2e/myfoodbudget-operator:1"  # the snapshot and restore Jobs' image
GOOD = "ghcr.io/e2e/myfoodbudget:1.0.0"
GOOD_NEXT = "ghcr.io/e2e/myfoodbudget:1.1.0"
SYNC_GOOD = "ghcr.io/gitsync-e2e/myfoodbudget:2.0.0"
SYNC_GOOD_NEXT = "ghcr.io/gitsync-e2e/myfoodbudget:2.1.0"
CRASH = "ghcr.io/e2e/crash-at-start:1"
MISSING = "ghcr.io/e2e/not-in-any-catalog:1"
MIGRATE = "ghcr.io/e2e/migrate-never-ready:1"
MIGRATION_FAILS = "ghcr.io/e2e/migration-fails:1"  # its migration fails half-way, exits 1
SERVES_500 = "ghcr.io/e2e/serves-500:1"  # ready, then every page answers 500
HEAVY = "ghcr.io/e2e/needs-more-memory:1"  # the app, needing more than MEMORY_LIMIT to start
MEMORY_LIMIT = "128Mi"  # the app itself runs in about 30 MiB
# readiness.timeoutSeconds of the test Releases: short, so a never-ready image is rolled back
# quickly; e2e.yml raises it on k3s, where a first start also provisions the volume.
READINESS_TIMEOUT = int(os.environ.get("E2E_READINESS_TIMEOUT", "10"))
# The bake window of the test Releases: short, so the suite is not 30 s slower per release;
# a test of the bake itself sets its own.
BAKE_SECONDS = 1


def namespace_object(name: str) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def claim(name: str) -> dict[str, Any]:
    """A small ReadWriteOnce PersistentVolumeClaim."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def node_port_service(name: str) -> dict[str, Any]:
    """A NodePort Service in front of the Release's pods."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": "NodePort",
            "selector": {"app.kubernetes.io/instance": name},
            "ports": [{"name": "http", "port": 8000, "targetPort": "http"}],
        },
    }


def release_object(name: str, image: str, **spec: Any) -> dict[str, Any]:
    """A Release of the app with short timeouts; spec entries override the defaults."""
    container = {
        "name": "app",
        "env": [
            {"name": "APP_ENV", "value": "production"},
            {"name": "SECRET_KEY", "value": "e2e-only-secret-key-0123456789"},
            {"name": "DATABASE_URL", "value": "sqlite:////data/myfoodbudget.db"},
            {"name": "WEB_CONCURRENCY", "value": "1"},
            {"name": "GUNICORN_THREADS", "value": "2"},
        ],
        "ports": [{"name": "http", "containerPort": 8000}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 1},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    body: dict[str, Any] = {
        "image": image,
        "container": "app",
        "readiness": {
            "timeoutSeconds": READINESS_TIMEOUT,
            "maxRestarts": 1,
            "bakeSeconds": BAKE_SECONDS,
        },
        "preflight": {"timeoutSeconds": READINESS_TIMEOUT},
        "snapshot": {"claimName": f"{name}-data", "keep": 3},
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/component": "web"}},
            "spec": {
                "containers": [container],
                "volumes": [
                    {"name": "data", "persistentVolumeClaim": {"claimName": f"{name}-data"}}
                ],
            },
        },
    }
    body.update(spec)
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Release",
        "metadata": {"name": name},
        "spec": body,
    }
