"""The sandbox's own knobs: fault injection (flags and endpoint) and the `up` command line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest
from api_support import new_api, watch_lines
from kubernetes import client
from support.sandbox import running_sandbox, urlopen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A sandbox of its own, since these tests change its faults."""
    with running_sandbox(tmp_path_factory.mktemp("faults")) as running:
        yield running


@pytest.fixture
def api(sandbox):
    """An API client for that sandbox; faults cleared afterwards."""
    api = new_api(str(sandbox.kubeconfig))
    yield api
    sandbox.clear_faults()
    api.close()


def _get(url: str, context) -> tuple[int, dict, dict]:
    try:
        with urlopen(url, context) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


def test_injected_errors_are_status_objects(sandbox, api):
    sandbox.set_faults(rate=1.0, codes=[429])
    status, headers, body = _get(f"{sandbox.url}/api/v1/namespaces", sandbox.ssl)
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert (body["kind"], body["code"], body["reason"]) == ("Status", 429, "TooManyRequests")
    sandbox.set_faults(rate=1.0, codes=[503], methods=["POST"])
    assert _get(f"{sandbox.url}/api/v1/namespaces", sandbox.ssl)[0] == 200
    with pytest.raises(client.ApiException) as caught:
        client.CoreV1Api(api).create_namespaced_config_map("default", {"metadata": {"name": "x"}})
    assert caught.value.status == 503


@pytest.mark.usefixtures("api")  # clears the faults afterwards
def test_fault_endpoint_is_never_faulted_and_validates(sandbox):
    sandbox.set_faults(rate=1.0, codes=[500])
    assert _get(f"{sandbox.url}/sandbox/faults", sandbox.ssl)[2]["rate"] == 1.0
    sandbox.clear_faults()
    assert _get(f"{sandbox.url}/api/v1/namespaces", sandbox.ssl)[0] == 200
    with pytest.raises(urllib.error.HTTPError) as caught:
        sandbox.set_faults(rate=2)
    with caught.value as error:
        assert error.code == 400
        assert "rate must be between 0 and 1" in error.read().decode()


def test_latency_is_added(sandbox, api):
    sandbox.set_faults(latency_ms=300)
    started = time.monotonic()
    client.CoreV1Api(api).list_namespace()
    assert time.monotonic() - started >= 0.3


def test_watch_streams_are_dropped(sandbox, api):
    sandbox.set_faults(drop_watch_after=0.5)
    started = time.monotonic()
    events = list(
        watch_lines(
            api,
            "/api/v1/namespaces/default/configmaps",  # none carries the label
            [("watch", "true"), ("timeoutSeconds", "30"), ("labelSelector", "absent=label")],
        )
    )
    assert events == []
    assert time.monotonic() - started < 10


def _up(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sandbox", "up", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _up("--kubeconfig", str(tmp_path / "kc"), "--port", str(port))
    assert done.returncode == 2
    assert f"port {port} is already in use" in done.stderr
    assert not (tmp_path / "kc").exists()


def test_unreadable_images_file_is_a_clear_error(tmp_path):
    done = _up("--kubeconfig", str(tmp_path / "kc"), "--images", str(tmp_path / "none.yaml"))
    assert done.returncode != 0
    assert "cannot read the image catalog" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("images: nope\n")
    done = _up("--kubeconfig", str(tmp_path / "kc"), "--images", str(bad))
    assert "`images:` list" in done.stderr


def test_bad_fault_flags_are_refused(tmp_path):
    done = _up("--kubeconfig", str(tmp_path / "kc"), "--fault-codes", "418")
    assert done.returncode != 0
    assert "--fault-codes" in done.stderr


def test_flags_set_faults_and_kubeconfig_points_at_the_server(tmp_path):
    args = ["--fault-rate", "1", "--fault-codes", "500", "--latency-ms", "5"]
    with running_sandbox(tmp_path, extra_args=args) as running:
        config = running.kubeconfig.read_text()
        assert running.url in config
        assert "current-context: sandbox" in config
        status, _, body = _get(f"{running.url}/api/v1/namespaces", running.ssl)
        assert (status, body["reason"]) == (500, "InternalError")
        assert _get(f"{running.url}/sandbox/faults", running.ssl)[2]["latency_ms"] == 5
    assert running.process.returncode == 0
