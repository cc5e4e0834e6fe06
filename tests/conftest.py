"""Suite-wide option and fixture: the cluster e2e tests talk to (a fresh sandbox by default)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from kubecluster import Cluster
from support import canary, reliability, schedule
from support.engine import engine_environment
from support.in_cluster import NOTIFY_SECRET, OPERATOR_NS, InClusterOperator
from support.sandbox import running_sandbox
from support.webhook import Webhook

ROOT = Path(__file__).resolve().parent.parent
IMAGES = Path(__file__).resolve().parent / "images.yaml"
E2E_OPERATOR_IMAGE = "ghcr.io/e2e/myfoodbudget-operator:1"  # as tests/e2e/release_objects.py


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--kubeconfig PATH`: run the e2e tests against that cluster instead of a fresh sandbox."""
    parser.addoption(
        "--kubeconfig",
        action="store",
        default=None,
        help="run the e2e tests against this cluster instead of a fresh sandbox",
    )
    parser.addoption(
        "--sandbox-runtime",
        choices=("process", "docker"),
        default="process",
        help="the container runtime of the e2e sandbox; with docker the operator runs in it, "
        "installed from manifests/ (make test)",
    )


LEAKS = pytest.StashKey[list[str]]()  # what the workers of a distributed run found
COLLECTING = True  # False in a distributed run's controller


def distributed(config: pytest.Config) -> bool:
    """True in the controller of a run spread over workers (pytest-xdist's -n N): the workers
    run the tests, collect what they saw and search it; the controller only adds up."""
    workers = getattr(config.option, "numprocesses", None)
    return bool(workers) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Whether this process collects for the canary search; the long modules first in a run
    spread over worksteal workers (support.schedule)."""
    global COLLECTING  # pytest hands the report hook no config
    COLLECTING = not distributed(config)
    schedule.register(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Empty the reliability records (in the main process only: workers share its folder),
    unless RELIABILITY_APPEND is set (make test empties them itself: two sessions add to them)."""
    session.config.stash[LEAKS] = []
    if not hasattr(session.config, "workerinput") and not os.environ.get("RELIABILITY_APPEND"):
        reliability.reset()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every test's failure text and captured output, for the canary search (by the process
    that ran the test: a distributed run's controller sees the same reports again)."""
    if not COLLECTING:
        return
    canary.COLLECTOR.add_text(f"test {report.nodeid}", report.longreprtext)
    for title, text in report.sections:
        if title.endswith(report.when):  # later phases' reports repeat earlier phases' output
            canary.COLLECTOR.add_text(f"test {report.nodeid} ({title})", text)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:  # noqa: ARG001  (xdist's signature)
    """A worker's leaks (already redacted), for the controller to report."""
    leaks = node.workeroutput.get("canary_leaks", [])
    node.config.stash[LEAKS].extend(leaks)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when a canary secret showed anywhere the suite could see: each worker
    searches what it collected (its row joins the records) and the controller reports."""
    config = session.config
    if hasattr(config, "workerinput"):
        leaks: list[str] = []
        canary.finish(leaks.append)
        config.workeroutput["canary_leaks"] = leaks  # type: ignore[attr-defined]
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    said: list[str] = []

    def say(line: str) -> None:
        if reporter is None:
            print(line)
            return
        if not said:
            reporter.write_line("")  # off the line of progress dots
        said.append(line)
        reporter.write_line(line)

    if distributed(config):
        leaks = config.stash[LEAKS]
        for line in leaks:
            say(line)
        clean = not leaks
    else:
        clean = canary.finish(say)
    if not clean:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """The cluster for e2e tests: `--kubeconfig`, or a sandbox started for the session."""
    given = request.config.getoption("--kubeconfig")
    with tempfile.TemporaryDirectory(prefix="kubectl-cache-") as cache:
        if given:
            with canary.watching(Path(given), tmp_path_factory.mktemp("watched")):
                yield Cluster(Path(given).resolve(), False, Path(cache))
            return
        workdir = tmp_path_factory.mktemp("sandbox-session")
        canary.COLLECTOR.add_folder("sandbox logs", workdir, "**/*.log")
        runtime = request.config.getoption("--sandbox-runtime")
        audit = workdir / "audit.log"
        args = ["--runtime", runtime, "--audit-log", str(audit)]
        with contextlib.ExitStack() as stack:
            if runtime == "docker":
                env = engine_environment()
                stack.enter_context(
                    mock.patch.dict(os.environ, {"DOCKER_HOST": env["DOCKER_HOST"]})
                )
            sandbox = stack.enter_context(running_sandbox(workdir, images=IMAGES, extra_args=args))
            stack.enter_context(canary.watching(sandbox.kubeconfig, workdir))
            yield Cluster(sandbox.kubeconfig, True, Path(cache), runtime, audit)


@pytest.fixture(scope="session")
def in_cluster(cluster: Cluster) -> Iterator[InClusterOperator | None]:
    """On the docker runtime, the operator installed from manifests/ and running in the
    cluster for the whole session (None elsewhere: the tests start operator processes)."""
    if cluster.runtime != "docker":
        yield None
        return
    # The git remotes and certificates, mounted into the operator's pod; outside pytest's
    # folders (mode 0700), so that the operator's user may reach them from the host too.
    folder = tempfile.TemporaryDirectory(prefix="myfoodbudget-e2e-")
    shared = Path(folder.name)
    shared.chmod(0o755)
    (shared / "certs").mkdir(mode=0o755)
    webhook = Webhook()
    operator = InClusterOperator(cluster, shared, webhook.port)
    operator.webhook = webhook
    settings = {
        "POLL_SECONDS": "0.3", "RESYNC_SECONDS": "5", "NOTIFY_SECRET": NOTIFY_SECRET,
        "SYNC_RETRY_SECONDS": "0.5", "SYNC_RETRY_MAX_SECONDS": "4",
        "GIT_SSL_CAINFO": str(shared / "certs" / "server.crt"),
    }  # fmt: skip
    operator.install(E2E_OPERATOR_IMAGE, settings)
    notify = cluster.kubectl(
        "-n", OPERATOR_NS, "create", "secret", "generic", NOTIFY_SECRET,
        f"--from-literal=webhook-url={webhook.url}",
    )  # fmt: skip
    assert notify.returncode == 0, notify.stderr
    yield operator
    webhook.stop()
    folder.cleanup()


@pytest.fixture(scope="session")
def kube(cluster: Cluster) -> Iterator[Any]:
    """A `kubernetes` ApiClient for the cluster under test."""
    from kubernetes import config

    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield api
    api.close()


@pytest.fixture
def kube_namespace(kube: Any) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting)."""
    from kubernetes import client

    name = f"t-{uuid.uuid4().hex[:10]}"
    core = client.CoreV1Api(kube)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    with contextlib.suppress(client.ApiException):
        core.delete_namespace(name)
