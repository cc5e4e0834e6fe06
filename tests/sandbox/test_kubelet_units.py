"""Unit tests of the kubelet's pure parts: path rewriting, the catalog, back-off, env, phase."""

from __future__ import annotations

import asyncio
import base64
import pathlib
import sys

import pytest

from sandbox.client.backoff import BackoffPolicy
from sandbox.kubelet.env import expand
from sandbox.kubelet.process.catalog import CatalogError, CatalogImage, load_catalog
from sandbox.kubelet.process.command import build_command, build_env, image_argv
from sandbox.kubelet.process.paths import PathMap
from sandbox.kubelet.runtime import ConfigError, ContainerConfig, Fetch
from sandbox.kubelet.status import pod_phase
from sandbox.kubelet.volumes import container_mounts

DATA = PathMap(
    {"/data": "/tmp/v/data", "/data/config": "/tmp/v/cfg", "/dev/termination-log": "/tmp/p/t"}
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqlite:////data/app.db", "sqlite:////tmp/v/data/app.db"),
        ("--db=/data/app.db", "--db=/tmp/v/data/app.db"),
        ("/data", "/tmp/v/data"),
        ("/data/", "/tmp/v/data/"),
        ("/data/config/x.yaml", "/tmp/v/cfg/x.yaml"),
        ("/database/x", "/database/x"),
        ("/srv/data/x", "/srv/data/x"),
        ("a:/data:/data/config", "a:/tmp/v/data:/tmp/v/cfg"),
        ("/dev/termination-log", "/tmp/p/t"),
        ("/dev/termination-log2", "/dev/termination-log2"),
        ("no paths here", "no paths here"),
    ],
)
def test_paths_are_rewritten_at_path_boundaries_only(text: str, expected: str) -> None:
    assert DATA.rewrite(text) == expected


def test_path_resolve_picks_the_longest_mount() -> None:
    assert DATA.resolve("/data/config/a") == "/tmp/v/cfg/a"
    assert DATA.resolve("/data/b") == "/tmp/v/data/b"
    assert DATA.resolve("/app") is None


def write_catalog(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "images.yaml"
    path.write_text(text)
    return path


def test_catalog_first_match_wins_and_python_means_this_interpreter(tmp_path: pathlib.Path) -> None:
    catalog = load_catalog(
        write_catalog(
            tmp_path,
            """
images:
  - match: "ghcr.io/*/app:special"
    entrypoint: ["python", "special.py"]
    cmd: ["--verbose"]
    workdir: sub
  - match: "ghcr.io/*/app:*"
    cmd: ["python", "-m", "http.server"]
    env: {EXTRA: 1}
""",
        )
    )
    special = catalog.resolve("ghcr.io/me/app:special")
    general = catalog.resolve("ghcr.io/me/app:v2")
    assert special is not None
    assert general is not None
    assert (special.entrypoint, special.cmd) == (("python", "special.py"), ("--verbose",))
    assert special.workdir == (tmp_path / "sub").resolve()
    assert general.workdir == tmp_path.resolve()
    assert general.env == {"EXTRA": "1"}
    assert catalog.resolve("docker.io/other:1") is None


@pytest.mark.parametrize(
    "text",
    [
        "images: {}",
        "images:\n  - cmd: [x]",
        "images:\n  - match: a\n    cmd: x",
        "images:\n  - match: a\n    entrypoint: [1]",
        "images:\n  - match: a\n    command: [x]",
        "[1",
    ],
)
def test_bad_catalogs_are_refused_with_a_message(tmp_path: pathlib.Path, text: str) -> None:
    with pytest.raises(CatalogError):
        load_catalog(write_catalog(tmp_path, text))


def test_backoff_doubles_and_is_capped() -> None:
    policy = BackoffPolicy(initial=10, cap=20)
    assert [policy.delay(n) for n in range(5)] == [0, 10, 20, 20, 20]
    fast = BackoffPolicy.from_env({"SANDBOX_BACKOFF_INITIAL": "0.5", "SANDBOX_BACKOFF_CAP": "1"})
    assert [fast.delay(n) for n in (1, 2, 3)] == [0.5, 1, 1]
    with pytest.raises(ValueError, match="SANDBOX_BACKOFF"):
        BackoffPolicy.from_env({"SANDBOX_BACKOFF_CAP": "soon"})


def test_var_expansion_follows_kubernetes_rules() -> None:
    env = {"A": "1", "B": "two"}
    assert expand("$(A)-$(B)-$(C)-$$(A)", env) == "1-two-$(C)-$(A)"


def make_image(tmp_path: pathlib.Path) -> CatalogImage:
    catalog = load_catalog(
        write_catalog(
            tmp_path,
            'images:\n  - match: "*"\n    entrypoint: ["python", "-m", "srv"]\n'
            '    env: {CAT: "/data/c"}',
        )
    )
    image = catalog.resolve("x")
    assert image is not None
    return image


def config(
    container: dict, fetch: Fetch, home: str = "/h", port: int | None = None
) -> ContainerConfig:
    """One run of a container of pod `p` in namespace `ns` (its first containerPort at port)."""
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {}}
    ports = {} if port is None else {"80": port}
    return ContainerConfig(pod, container, {}, ports, pathlib.Path(home), fetch)


@pytest.mark.parametrize(
    ("container", "argv"),
    [  # the table of the Kubernetes docs: image ENTRYPOINT [/ep-1], CMD [foo bar]
        ({}, ["/ep-1", "foo", "bar"]),
        ({"command": ["/ep-2"]}, ["/ep-2"]),
        ({"args": ["zoo", "boo"]}, ["/ep-1", "zoo", "boo"]),
        ({"command": ["/ep-2"], "args": ["zoo", "boo"]}, ["/ep-2", "zoo", "boo"]),
        ({"command": [], "args": []}, ["/ep-1", "foo", "bar"]),  # empty lists count as unset
    ],
)
def test_command_and_args_combine_with_entrypoint_and_cmd(container: dict, argv: list) -> None:
    image = CatalogImage("*", ("/ep-1",), ("foo", "bar"), {}, pathlib.Path("/"))
    assert image_argv(container, image) == argv


def test_an_image_without_entrypoint_or_cmd_needs_a_command() -> None:
    image = CatalogImage("*", (), (), {}, pathlib.Path("/"))
    with pytest.raises(ConfigError, match="no command specified"):
        build_command({"image": "x", "args": []}, image, {}, PathMap({}))
    assert build_command({"args": ["echo", "hi"]}, image, {}, PathMap({})) == ["echo", "hi"]


def test_command_replaces_catalog_entrypoint_and_args_append(tmp_path: pathlib.Path) -> None:
    image = make_image(tmp_path)
    env = {"DB": "/data/x.db"}
    assert build_command({"args": ["--db=$(DB)"]}, image, env, DATA) == [
        sys.executable,
        "-m",
        "srv",
        "--db=/tmp/v/data/x.db",
    ]
    assert build_command({"command": ["sh", "-c"], "args": ["echo /data"]}, image, env, DATA) == [
        "sh",
        "-c",
        "echo /tmp/v/data",
    ]


def test_env_is_clean_resolved_and_rewritten(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVELOPER_SECRET", "leak")
    image = make_image(tmp_path)
    objects = {
        ("secrets", "s"): {"data": {"pw": base64.b64encode(b"hunter2").decode()}},
        ("configmaps", "c"): {"data": {"mode": "fast"}},
    }

    async def fetch(resource: str, _namespace: str, name: str) -> dict | None:
        return objects.get((resource, name))

    container = {
        "env": [
            {"name": "URL", "value": "sqlite:////data/app.db"},
            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "mode"}}},
            {"name": "ME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "BOTH", "value": "$(ME).$(NS)"},
            {"name": "PORT", "value": "80"},
        ]
    }
    env = asyncio.run(build_env(config(container, fetch, port=4321), image, DATA))
    assert env["URL"] == "sqlite:////tmp/v/data/app.db"
    assert (env["PW"], env["MODE"], env["BOTH"], env["PORT"]) == ("hunter2", "fast", "p.ns", "4321")
    assert env["CAT"] == "/tmp/v/data/c"
    assert "DEVELOPER_SECRET" not in env
    assert set(env) - {"URL", "PW", "MODE", "ME", "NS", "BOTH", "PORT", "CAT"} == {
        "PATH",
        "LANG",
        "HOME",
    }
    missing = {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "nope"}}}]}
    with pytest.raises(ConfigError, match="nope"):
        asyncio.run(build_env(config(missing, fetch), image, DATA))


def running() -> dict:
    return {"name": "c", "state": {"running": {}}}


def exited(code: int) -> dict:
    return {"name": "c", "state": {"terminated": {"exitCode": code}}}


def backing_off() -> dict:
    return {
        "name": "c",
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1}},
    }


@pytest.mark.parametrize(
    ("policy", "statuses", "phase"),
    [
        ("Always", [], "Pending"),
        (
            "Always",
            [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}],
            "Pending",
        ),
        ("Always", [running()], "Running"),
        ("Always", [backing_off()], "Running"),
        ("Always", [exited(0)], "Running"),
        ("Never", [exited(0)], "Succeeded"),
        ("Never", [exited(1)], "Failed"),
        ("Never", [exited(0), running()], "Running"),
        ("OnFailure", [exited(0)], "Succeeded"),
        ("OnFailure", [backing_off()], "Running"),
    ],
)
def test_pod_phase_follows_the_kubelet_rules(policy: str, statuses: list, phase: str) -> None:
    assert pod_phase(policy, statuses) == phase


def test_host_paths_of_the_sandbox_itself_are_never_rewritten(tmp_path: pathlib.Path) -> None:
    image = make_image(tmp_path)
    interpreter_dir = str(pathlib.Path(sys.executable).parent)
    # a /tmp mount whose container path is a prefix of the host's own paths
    paths = PathMap({"/tmp": "/scratch/tmpvol", interpreter_dir: "/elsewhere"})

    async def fetch(_resource: str, _namespace: str, _name: str) -> dict | None:
        return None

    container = {"env": [{"name": "CACHE", "value": "/tmp/cache"}]}
    env = asyncio.run(build_env(config(container, fetch, home="/tmp/pods/p"), image, paths))
    assert env["HOME"] == "/tmp/pods/p"
    assert env["PATH"].startswith(interpreter_dir + ":")
    assert env["CACHE"] == "/scratch/tmpvol/cache"
    assert env["TMPDIR"] == "/scratch/tmpvol"
    assert build_command({"args": ["/tmp/x"]}, image, env, paths)[:3] == [
        sys.executable,
        "-m",
        "srv",
    ]


def test_a_sub_path_mounts_a_folder_of_the_volume_made_on_demand(tmp_path: pathlib.Path) -> None:
    claim = tmp_path / "claim"
    claim.mkdir()
    container = {
        "name": "app",
        "volumeMounts": [
            {"name": "data", "mountPath": "/data", "subPath": "preflight/p-1/db"},
            {"name": "data", "mountPath": "/all"},
        ],
    }
    mapping = container_mounts(container, {"data": claim}, tmp_path / "app")
    assert mapping["/data"] == str(claim / "preflight" / "p-1" / "db")
    assert (claim / "preflight" / "p-1" / "db").is_dir()
    assert mapping["/all"] == str(claim)


@pytest.mark.parametrize("sub", ["/etc", "../other-claim", "a/../../b"])
def test_a_sub_path_that_leaves_its_volume_is_refused(tmp_path: pathlib.Path, sub: str) -> None:
    container = {
        "name": "app",
        "volumeMounts": [{"name": "data", "mountPath": "/d", "subPath": sub}],
    }
    with pytest.raises(ConfigError, match=r"must be a relative path without '\.\.'"):
        container_mounts(container, {"data": tmp_path / "claim"}, tmp_path / "app")
    assert not (tmp_path / "other-claim").exists()
