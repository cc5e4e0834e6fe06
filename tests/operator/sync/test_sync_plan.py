"""The pure GitSync decision, table-driven and with hypothesis."""

from __future__ import annotations

import pytest
from gitops.sync.model import SpecError, SyncSpec, parse_duration
from gitops.sync.plan import Action, Decision, Observed, RetryPolicy, SyncStatus, decide
from hypothesis import given
from hypothesis import strategies as st

SPEC = SyncSpec(url="file:///repo.git", path="app", interval=60.0)
SYNCED = SyncStatus(
    observed_generation=1, last_applied_commit="a" * 40, last_sync_time=1000.0, ready=True
)
A, B = "a" * 40, "b" * 40


@pytest.mark.parametrize(
    ("spec", "status", "observed", "expected"),
    [
        (
            SPEC,
            SyncStatus(),
            Observed(now=0, generation=1),
            Decision(Action.FETCH, why="the spec changed"),
        ),
        (
            SPEC,
            SyncStatus(observed_generation=1),
            Observed(now=0, generation=1),
            Decision(Action.FETCH, why="first sync"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1030, generation=1),
            Decision(Action.WAIT, delay=30, why="the interval elapsed"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1060, generation=1),
            Decision(Action.FETCH, why="the interval elapsed"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1001, generation=2),
            Decision(Action.FETCH, why="the spec changed"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1001, generation=1, requested="r1"),
            Decision(Action.FETCH, why="a sync was requested"),
        ),
        (
            SPEC,
            SyncStatus(
                observed_generation=1, last_sync_time=1000, last_handled_request="r1", ready=True
            ),
            Observed(now=1001, generation=1, requested="r1"),
            Decision(Action.WAIT, delay=59, why="the interval elapsed"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1001, generation=1, failures=3, last_failure=1000),
            Decision(Action.WAIT, delay=3, why="retry after 3 failed attempts"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1004, generation=1, failures=3, last_failure=1000),
            Decision(Action.FETCH, why="retry after 3 failed attempts"),
        ),
        (
            SyncSpec(url="file:///r", path=".", suspend=True),
            SYNCED,
            Observed(now=5000, generation=9, requested="x"),
            Decision(Action.SUSPENDED),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1060, generation=1, commit=A),
            Decision(Action.UP_TO_DATE, why=f"commit {A} is already applied"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1060, generation=1, commit=B),
            Decision(Action.APPLY, why=f"new commit {B}"),
        ),
        (
            SPEC,
            SYNCED,
            Observed(now=1060, generation=1, commit=A, requested="go"),
            Decision(Action.APPLY, why="a sync was requested"),
        ),
        (
            SPEC,
            SyncStatus(observed_generation=1, last_applied_commit=A, ready=False),
            Observed(now=1060, generation=1, commit=A),
            Decision(Action.APPLY, why="the last attempt failed"),
        ),
    ],
)
def test_decide(spec: SyncSpec, status: SyncStatus, observed: Observed, expected: Decision) -> None:
    assert decide(spec, status, observed) == expected


statuses = st.builds(
    SyncStatus,
    observed_generation=st.none() | st.integers(1, 5),
    last_applied_commit=st.none() | st.sampled_from([A, B]),
    last_sync_time=st.none() | st.floats(0, 10_000),
    last_handled_request=st.none() | st.sampled_from(["r1", "r2"]),
    ready=st.booleans(),
)
observations = st.builds(
    Observed,
    now=st.floats(0, 20_000),
    generation=st.integers(1, 5),
    requested=st.none() | st.sampled_from(["r1", "r2"]),
    commit=st.none() | st.sampled_from([A, B]),
    failures=st.integers(0, 50),
    last_failure=st.none() | st.floats(0, 20_000),
)
specs = st.builds(
    SyncSpec,
    url=st.just("file:///r"),
    path=st.just("."),
    interval=st.floats(1, 3600),
    suspend=st.booleans(),
)


@given(specs, statuses, observations)
def test_decide_properties(spec: SyncSpec, status: SyncStatus, observed: Observed) -> None:
    action = decide(spec, status, observed)
    if spec.suspend:
        assert action.action is Action.SUSPENDED
    elif observed.commit is None:
        assert action.action in (Action.WAIT, Action.FETCH)
        if action.action is Action.WAIT:
            assert 0 < action.delay <= spec.interval
    else:
        assert action.action in (Action.APPLY, Action.UP_TO_DATE)
        if observed.commit != status.last_applied_commit:
            assert action.action is Action.APPLY


@given(specs, statuses, observations)
def test_an_applied_commit_is_never_applied_again_without_cause(
    spec: SyncSpec, status: SyncStatus, observed: Observed
) -> None:
    quiet = Observed(
        now=observed.now,
        generation=status.observed_generation or 1,
        requested=status.last_handled_request,
        commit=status.last_applied_commit or A,
    )
    settled = SyncStatus(
        status.observed_generation or 1,
        quiet.commit,
        status.last_sync_time,
        status.last_handled_request,
        ready=True,
    )
    if not spec.suspend:
        assert decide(spec, settled, quiet).action is Action.UP_TO_DATE


@given(st.integers(1, 100), st.floats(1, 3600))
def test_back_off_grows_and_stays_under_the_interval(failures: int, interval: float) -> None:
    policy = RetryPolicy(base=0.5, cap=120)
    assert policy.delay(failures, interval) <= min(interval, 120)
    assert policy.delay(failures + 1, interval) >= policy.delay(failures, interval)


@pytest.mark.parametrize(
    ("text", "seconds"), [("60s", 60), ("5m", 300), ("1h30m", 5400), ("1.5s", 1.5), ("250ms", 0.25)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "60", "s", "5 m", "1d", "-5s", "5s junk"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(SpecError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"url": "http://host/r.git", "path": "a"}, "must start with https://, ssh:// or file:///"),
        ({"url": "https://u:tok@host/r.git", "path": "a"}, "must not hold credentials"),
        ({"url": "file:///r", "path": "../etc"}, "inside the repository"),
        ({"url": "file:///r", "path": "/abs"}, "inside the repository"),
        ({"url": "file:///r", "path": "a", "branch": "--upload-pack=x"}, "not a valid branch"),
        ({"url": "file:///r", "path": "a", "interval": "500ms"}, "at least 1s"),
        ({"url": "file:///r", "path": "a", "timeout": "often"}, "not a duration"),
        ({"url": "file:///r", "path": "a", "targetNamespace": "Kube_System"}, "not a namespace"),
    ],
)
def test_spec_errors_say_what_to_fix(spec: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        SyncSpec.from_spec(spec)


def test_spec_defaults() -> None:
    spec = SyncSpec.from_spec(
        {
            "url": "https://github.com/o/r.git",
            "path": "kustomize/overlays/homelab",
            "secretRef": {"name": "git-auth"},
        }
    )
    assert (spec.branch, spec.interval, spec.timeout, spec.prune, spec.suspend) == (
        "main",
        60.0,
        120.0,
        True,
        False,
    )
    assert spec.secret_name == "git-auth"
    assert spec.target_namespace is None
    assert SyncSpec.from_spec({"url": "file:///r", "path": "a", "targetNamespace": "apps"}) == (
        SyncSpec(url="file:///r", path="a", target_namespace="apps")
    )


def test_status_is_read_even_when_hand_edited() -> None:
    status = SyncStatus.from_status(
        {"lastSyncTime": "yesterday", "conditions": [{"type": "Ready", "status": "True"}]}
    )
    assert status.last_sync_time is None
    assert status.ready
    read = SyncStatus.from_status({"lastSyncTime": "2026-01-02T03:04:05Z", "lastAppliedCommit": A})
    assert read.last_sync_time == 1767323045.0
    assert read.last_applied_commit == A
    assert not read.ready
