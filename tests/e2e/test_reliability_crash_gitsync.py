"""The crash matrix of the GitSync: the operator SIGKILLed in every action of its plan.

The actions are the members of `gitops.sync.plan.Action`, so a new one fails
`test_every_action_of_the_plan_has_a_kill_case` until it has a case here. A sync's
uninterrupted outcome is known exactly (every object of the commit applied once, the commit
recorded, nothing else written), so each case is compared with it: a watch on the ConfigMaps
sees every write, so an object applied twice or a build applied half shows. The remote is
real git over HTTPS (git http-backend) whose requests can be held, as a slow remote holds them.
On the docker runtime the operator is the in-cluster one of the session and each kill deletes
its pod with grace 0; the cases and what they must end with are the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from gitops.api import GROUP, SYNC_REQUEST_ANNOTATION, VERSION
from gitops.sync.plan import Action
from release_support import Api, Operator, wait_for
from reliability_support import ON_POD, History, PodKiller, sandbox_only, set_faults
from support.git import GitHttpsServer, GitRemote
from support.in_cluster import APP_NS, OPERATOR_UID
from support.operator_process import install_crds
from support.reliability import record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
OBJECTS = 6  # ConfigMaps in each build: enough for an apply to be caught half-way
# What a sync may take once the operator is back: long, as an operator's pod starts slower
# than a process on a loaded machine, and a timeout must not decide an outcome.
WAIT = 90


def overlay(name: str, value: str) -> dict[str, str]:
    """The overlay `<name>/`: OBJECTS ConfigMaps prefixed with the GitSync's name."""
    files = {f"{name}/kustomization.yaml": f"namePrefix: {name}-\nresources:\n"}
    for n in range(OBJECTS):
        files[f"{name}/kustomization.yaml"] += f"  - c{n}.yaml\n"
        files[f"{name}/c{n}.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{n}\ndata:\n  value: '{value}'\n"
        )
    return files


@dataclass
class Syncs:
    """The namespace, its operator, the HTTPS remote and a watch on every ConfigMap write."""

    api: Api
    operator: Operator | PodKiller
    https: GitHttpsServer
    root: Path
    writes: History
    owner: int | None = None  # of the remotes (the in-cluster operator's user)
    where: str = ""  # what is killed, for the records, when not an operator process

    def create(self, name: str) -> tuple[GitRemote, str]:
        """A remote of its own and a GitSync following it; the first commit, applied."""
        remote = GitRemote(self.root / name, owner=self.owner)
        first = remote.commit(overlay(name, "1"))
        spec = {"url": self.https.url(f"{name}/remote.git"), "path": name, "interval": "1h"}
        spec["secretRef"] = {"name": "git-auth"}
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync",
                "metadata": {"name": name}, "spec": spec}  # fmt: skip
        self.api.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.api.ns, "gitsyncs", body
        )
        wait_for(lambda: self.applied(name, first), WAIT, f"the first sync of {name}")
        return remote, first

    def status(self, name: str) -> dict[str, Any]:
        """The GitSync's status."""
        found = self.api.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.api.ns, "gitsyncs", name
        )
        return cast(dict[str, Any], found.get("status") or {})

    def applied(self, name: str, commit: str) -> bool:
        """True once the commit is applied and Ready."""
        status = self.status(name)
        ready = any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or []
        )
        return ready and status.get("lastAppliedCommit") == commit

    def patch(self, name: str, patch: dict[str, Any]) -> None:
        """Merge-patch the GitSync."""
        self.api.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.api.ns, "gitsyncs", name, patch
        )

    def request(self, name: str) -> str:
        """Ask for a sync now; the request's value."""
        token = uuid.uuid4().hex
        self.patch(name, {"metadata": {"annotations": {SYNC_REQUEST_ANNOTATION: token}}})
        return token

    def handled(self, name: str, token: str) -> None:
        """Wait until the request was handled."""
        wait_for(lambda: self.status(name).get("lastHandledSyncRequest") == token, WAIT, token)

    def values(self, name: str) -> list[list[str]]:
        """The values each of the GitSync's ConfigMaps was written with, write by write."""
        return [[v for _, v in self.writes.of(f"{name}-c{n}")] for n in range(OBJECTS)]

    def restart(self) -> None:
        """SIGKILL the operator and start it again."""
        self.operator.kill()
        self.operator.start()


def configmap_write(configmap: Any) -> tuple[str, str]:
    """(resourceVersion, value) of a ConfigMap: every write is a new one."""
    return configmap.metadata.resource_version, (configmap.data or {}).get("value", "")


@pytest.fixture(scope="module")
def syncs(
    cluster: Any, in_cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Syncs]:
    """A namespace, an HTTPS git server in front of the cases' remotes, the operator: a process
    of its own, or the in-cluster one (in its namespace, the remotes where its user reads)."""
    sandbox_only(cluster)
    if in_cluster is not None:
        yield from pod_syncs(cluster, in_cluster)
        return
    root = tmp_path_factory.mktemp("gitsync-crash")
    api = Api(cluster, f"crash-sync-{uuid.uuid4().hex[:6]}")
    install_crds(cluster.kubeconfig)
    api.core.create_namespace({"metadata": {"name": api.ns}})
    git_auth(api)
    https = GitHttpsServer(root, "ci", "p", root)
    https.start()
    env = {"GIT_SSL_CAINFO": str(https.cert), "WORK_DIR": str(root / "work")}
    env |= {"SYNC_RETRY_SECONDS": "0.5", "SYNC_RETRY_MAX_SECONDS": "2"}
    operator = Operator(cluster.kubeconfig, api.ns, root / "operator.log", env)
    operator.start()
    with History(api.core.list_namespaced_config_map, api.ns, configmap_write) as writes:
        yield Syncs(api, operator, https, root, writes)
    operator.stop()
    https.gate.set()
    https.stop()
    api.core.delete_namespace(api.ns)


def git_auth(api: Api) -> None:
    """The Secret the GitSyncs log in to the remote with."""
    body = {"metadata": {"name": "git-auth"}, "stringData": {"username": "ci", "password": "p"}}
    api.core.create_namespaced_secret(api.ns, body)


def pod_syncs(cluster: Any, in_cluster: Any) -> Iterator[Syncs]:
    """Syncs in the in-cluster operator's namespace, on the git port it may reach."""
    root = in_cluster.shared / f"gitsync-crash-{uuid.uuid4().hex[:6]}"
    root.mkdir(mode=0o755)
    api = Api(cluster, APP_NS)
    git_auth(api)
    certs = in_cluster.shared / "certs"  # where its GIT_SSL_CAINFO points
    https = GitHttpsServer(root, "ci", "p", certs, in_cluster.git_port, OPERATOR_UID)
    https.start()
    try:
        with History(api.core.list_namespaced_config_map, api.ns, configmap_write) as writes:
            yield Syncs(api, PodKiller(in_cluster), https, root, writes, OPERATOR_UID, ON_POD)
        names = [f"gitsync/gs-{action.value}" for action in Action]
        api.kubectl("delete", *names, "--ignore-not-found", "--timeout=120s")
    finally:
        api.kubectl("delete", "secret/git-auth", "--ignore-not-found")
        https.gate.set()
        https.stop()


def killed_in_fetch(syncs: Syncs, name: str) -> str:
    """A new commit's fetch held at the remote: killed there, then the remote answers."""
    remote, _ = syncs.create(name)
    syncs.https.gate.clear()
    held = syncs.https.held
    second = remote.commit(overlay(name, "2"))
    syncs.request(name)
    wait_for(lambda: syncs.https.held > held, WAIT, "the fetch reaching the remote")
    syncs.operator.kill()
    syncs.https.gate.set()
    syncs.operator.start()
    wait_for(lambda: syncs.applied(name, second), WAIT, f"{name} applying the new commit")
    return "the fetch of a new commit"


def killed_in_apply(syncs: Syncs, name: str) -> str:
    """Every API request slowed; killed once the first object of the new commit is written."""
    remote, _ = syncs.create(name)
    # the pod's kill (an API call, then the kubelet) takes longer than a process's SIGKILL
    set_faults(syncs.api.cluster, latency_ms=600 if syncs.where else 150)
    try:
        second = remote.commit(overlay(name, "2"))
        syncs.request(name)
        wait_for(lambda: any("2" in v for v in syncs.values(name)), WAIT, "the apply under way")
        syncs.operator.kill()
        written = sum("2" in v for v in syncs.values(name))
    finally:
        set_faults(syncs.api.cluster)
    syncs.operator.start()
    wait_for(lambda: syncs.applied(name, second), WAIT, f"{name} applying the new commit")
    return f"the apply, {written} of {OBJECTS} objects written"


def killed_waiting(syncs: Syncs, name: str) -> str:
    """Killed while it waits for its interval; a requested sync afterwards changes nothing."""
    syncs.create(name)
    syncs.restart()
    syncs.handled(name, syncs.request(name))
    return "waiting for the interval"


def killed_up_to_date(syncs: Syncs, name: str) -> str:
    """A requested sync of the commit already applied, killed while its fetch is held."""
    syncs.create(name)
    syncs.https.gate.clear()
    held = syncs.https.held
    token = syncs.request(name)
    wait_for(lambda: syncs.https.held > held, WAIT, "the fetch reaching the remote")
    syncs.operator.kill()
    syncs.https.gate.set()
    syncs.operator.start()
    syncs.handled(name, token)
    return "a sync that finds its commit applied"


def killed_suspended(syncs: Syncs, name: str) -> str:
    """Killed while suspended, a commit pushed meanwhile: not applied until resumed, once."""
    remote, _ = syncs.create(name)
    syncs.patch(name, {"spec": {"suspend": True}})
    wait_for(lambda: syncs.status(name).get("observedGeneration") == 2, WAIT, "suspended")
    syncs.operator.kill()
    second = remote.commit(overlay(name, "2"))
    syncs.operator.start()
    syncs.patch(name, {"spec": {"interval": "2h"}})
    wait_for(lambda: syncs.status(name).get("observedGeneration") == 3, WAIT, "seen suspended")
    early = [v for v in syncs.values(name) if "2" in v]
    syncs.patch(name, {"spec": {"suspend": False}})
    wait_for(lambda: syncs.applied(name, second), WAIT, f"{name} applying once resumed")
    return "suspended" + (f"; applied while suspended: {early}" if early else "")


CASES: dict[Action, Callable[[Syncs, str], str]] = {
    Action.FETCH: killed_in_fetch,
    Action.APPLY: killed_in_apply,
    Action.WAIT: killed_waiting,
    Action.UP_TO_DATE: killed_up_to_date,
    Action.SUSPENDED: killed_suspended,
}


def test_every_action_of_the_plan_has_a_kill_case() -> None:
    missing = [action.value for action in Action if action not in CASES]
    assert not missing, f"actions of the GitSync plan without a kill case in CASES: {missing}"


@pytest.mark.parametrize("action", list(CASES), ids=[a.value for a in CASES])
def test_a_killed_operator_ends_each_action_as_an_uninterrupted_sync(
    syncs: Syncs, action: Action
) -> None:
    name = f"gs-{action.value}"
    killed_in = CASES[action](syncs, name)
    changed = action in (Action.FETCH, Action.APPLY, Action.SUSPENDED)
    want = [["1", "2"] if changed else ["1"]] * OBJECTS
    syncs.writes.catch_up()
    got = syncs.values(name)
    status = syncs.status(name)
    inventory = sorted(ref["name"] for ref in status.get("inventory") or [])
    problems = [] if "applied while" not in killed_in else [killed_in]
    if got != want:
        problems.append(f"writes {got}, an uninterrupted sync writes {want}")
    if inventory != sorted(f"{name}-c{n}" for n in range(OBJECTS)):
        problems.append(f"inventory {inventory}")
    if changed and killed_in.startswith("the apply") and f"{OBJECTS} of" in killed_in:
        problems.append("the apply was over before the operator was killed")
    detail = (
        "; ".join(problems) or f"killed in {killed_in}: every object written once, as uninterrupted"
    )
    controller = f"GitSync{syncs.where}"
    record("crash", controller=controller, step=action.value, survived=not problems, detail=detail)
    assert not problems, detail
