"""The serving version's health between releases: one Degraded incident per failure, reported
once however the pods flap, cleared by a recovery, never a rollback; and the Serving condition."""

from __future__ import annotations

from typing import Any

from gitops.release.actions import Decision, EnsureDeployment
from gitops.release.observed import DeploymentView, Observed, PodView
from gitops.release.outcomes import build_notification
from planhelpers import V1, V2, at, healthy, make_spec, ready_status, serving, walk
from test_plan import SPEC as ROLLOUT
from test_plan import S

SPEC = make_spec(V1, generation=1, readiness={"degradedAfterSeconds": 20})
OOM = "OOMKilled, exit code 137: out of memory"


def pod(*, ready: bool = True, restarts: int = 0, ended: str = "") -> PodView:
    """The one pod of V1."""
    return PodView(V1, ready, restarts, "", "n1", "pod-0", ended)


def world(seconds: float, **fields: Any) -> Observed:
    """V1's Deployment, healthy unless the pod is not ready."""
    one = pod(**fields)
    deployment = healthy(SPEC, V1)
    if not one.ready:
        deployment = DeploymentView(V1, 1, 3, 3, 1, 0, 0, template_hash=SPEC.template_hash)
    return Observed(now=at(seconds), deployment=deployment, pods=(one,))


def conditions(decision: Decision) -> dict[str, str]:
    """Condition type -> status."""
    return {c["type"]: c["status"] for c in decision.status["conditions"]}


def events(decisions: list[Decision]) -> list[tuple[str, str]]:
    """(type, reason) of every Event the decisions record."""
    return [(d.event.type, d.event.reason) for d in decisions if d.event is not None]


def test_a_restart_after_ready_is_one_incident_until_it_holds_up_again() -> None:
    flaps = [
        world(5),  # the first look after the release: the watch begins
        world(10, restarts=1, ended=OOM),  # restarted: Degraded at once
        world(11, ready=False, restarts=1, ended=OOM),
        world(12, restarts=1, ended=OOM),
        world(14, ready=False, restarts=2, ended=OOM),  # again, and again: the same incident
        world(16, restarts=2, ended=OOM),
        world(30, restarts=2, ended=OOM),  # 14 s healthy of the 20 asked for
        world(37, restarts=2, ended=OOM),  # 21 s: recovered
        world(60, restarts=2, ended=OOM),
    ]
    start = ready_status(V1)
    every = walk(SPEC, start, *flaps)
    assert events(every) == [("Warning", "ContainerRestarted"), ("Normal", "Recovered")]
    olds = [start, *(d.status for d in every[:-1])]
    notes = [
        build_notification("ns", "mfb", old, new) for old, new in zip(olds, every, strict=True)
    ]
    assert [n.fields["reason"] for n in notes if n is not None] == ["ContainerRestarted"]
    decisions = every[1:]
    first = decisions[0]
    assert conditions(first)["Degraded"] == "True"
    assert first.status["phase"] == "Ready"
    assert f"{V1} is degraded: pod pod-0 restarted (restart count 1)" in first.status["message"]
    assert OOM in first.status["message"]
    for decision in decisions[:6]:
        assert conditions(decision)["Degraded"] == "True"
    assert [conditions(d)["Ready"] for d in decisions[:5]] == [
        "True",
        "False",
        "True",
        "False",
        "True",
    ]
    assert conditions(decisions[6])["Degraded"] == "False"
    assert "healthy again" in decisions[6].status["message"]
    for decision in decisions:  # never a rollback, never a new rollout
        assert decision.status["rolloutCount"] == 1
        assert decision.status["image"] == V1
        action = decision.action
        assert not isinstance(action, EnsureDeployment) or action.image == V1


def test_a_readiness_blip_says_nothing_and_a_long_loss_is_reported_once() -> None:
    blip = walk(SPEC, ready_status(V1), world(10, ready=False), world(15), world(16))
    assert events(blip) == []  # shorter than degradedAfterSeconds: status only
    assert (blip[0].status["reason"], conditions(blip[0])["Ready"]) == ("Unavailable", "False")
    assert conditions(blip[0])["Degraded"] == "False"
    assert "0/1 replicas ready for 0s, Degraded after 20s" in blip[0].status["message"]
    assert conditions(blip[1])["Ready"] == "True"
    long = walk(
        SPEC, blip[-1].status, *(world(s, ready=False) for s in (20, 30, 40, 41)), world(45)
    )
    assert events(long) == [("Warning", "ReadinessLost")]
    lost = long[2]
    assert conditions(lost)["Degraded"] == "True"
    assert (
        "0/1 replicas ready for 20s (spec.readiness.degradedAfterSeconds 20)"
        in (lost.status["message"])
    )
    assert "last termination none recorded" in lost.status["message"]
    assert conditions(long[-1])["Degraded"] == "True"  # ready again, not yet for 20 s


def test_restarts_before_the_watch_began_are_not_an_incident() -> None:
    status = ready_status(V1)
    first = walk(SPEC, status, world(5, restarts=2, ended=OOM), world(6, restarts=2, ended=OOM))
    assert events(first) == []
    assert first[-1].status["health"]["restarts"] == {"pod-0": 2}


def test_a_new_rollout_watches_the_next_version_afresh() -> None:
    degraded = walk(SPEC, ready_status(V1), world(5), world(10, restarts=1, ended=OOM))[-1]
    assert degraded.status["health"]["incident"] == "ContainerRestarted"
    spec = make_spec(V2, generation=2, readiness={"degradedAfterSeconds": 20})
    started = walk(spec, degraded.status, serving(spec, V1, at(11)))[-1]
    assert started.status["phase"] != "Ready"
    assert "health" not in {k for k, v in started.status.items() if v is not None}


def test_serving_names_the_previous_version_after_a_rollback() -> None:
    rolled_back = S["rolledback"]  # V2 crash-looped, V1 is back (test_plan builds it)
    later = walk(ROLLOUT, rolled_back, serving(ROLLOUT, V1, at(40)))[-1]
    for status in (rolled_back, later.status):
        assert status["phase"] == "RolledBack"
        found = next(c for c in status["conditions"] if c["type"] == "Serving")
        assert (found["status"], found["reason"]) == ("True", "PreviousImageServes")
        assert found["message"] == (
            f"{V1} serves; {V2} was rolled back: container is in CrashLoopBackOff"
        )
        assert next(c for c in status["conditions"] if c["type"] == "Ready")["status"] == "False"
    assert rolled_back["history"][0]["cause"] == "container is in CrashLoopBackOff"


def test_serving_is_false_when_no_pod_is_ready() -> None:
    decision = walk(SPEC, ready_status(V1), Observed(now=at(3)))[-1]
    serving_condition = next(c for c in decision.status["conditions"] if c["type"] == "Serving")
    assert serving_condition["status"] == "False"
    assert (
        serving_condition["message"] == f"no version serves: no pod of {V1} is ready (Unavailable)"
    )


def test_a_hold_drops_the_watch_so_an_old_blip_is_not_counted_later() -> None:
    blip = walk(SPEC, ready_status(V1), world(5), world(10, ready=False))[-1]
    assert blip.status["health"]["unreadySince"] == "2026-01-01T00:00:10Z"
    paused = make_spec(V2, paused=True, readiness={"degradedAfterSeconds": 20})
    held = walk(paused, blip.status, world(11, ready=False))[-1]
    assert held.status["phase"] == "Paused"
    assert held.status.get("health") is None
    back = walk(SPEC, held.status, world(100, ready=False))[-1]  # 90 s after the old blip
    assert back.event is None
    assert back.status["reason"] == "Unavailable"
