"""The Release's typed state: what each phase means, and status.rollout read back as written."""

from __future__ import annotations

from typing import Any

from gitops.release.maintenance import Maintenance, Step, Work
from gitops.release.plan import STEPS
from gitops.release.records import Bake, Outcome, Preflight, Verdict
from gitops.release.state import Failure, Phase, Restore, Rollout, Snapshot
from hypothesis import given
from hypothesis import strategies as st
from planhelpers import SNAPSHOT_RESULT
from test_plan import S
from test_plan_bake import S as BAKE
from test_plan_preflight import S as PREFLIGHT

ACTIVE = [phase for phase in Phase if phase.active]


def test_every_active_phase_has_its_step_and_no_other_phase_has_one() -> None:
    assert set(STEPS) == set(ACTIVE)


def test_a_phase_is_active_or_final_or_neither_and_only_final_ones_end_a_release() -> None:
    assert not any(phase.active and phase.final for phase in Phase)
    assert {p.value for p in Phase if p.final} == {"Ready", "RolledBack", "Failed"}
    assert all(phase.degraded for phase in Phase if phase.final and phase is not Phase.READY)
    assert Phase.parse("Ready") is Phase.READY
    assert Phase.parse("Exploding") is None
    assert Phase.parse(None) is None


texts = st.text(max_size=8)
optional = st.none() | st.text(min_size=1, max_size=8)
rollouts = st.builds(
    Rollout,
    number=st.integers(0, 99),
    phase=st.sampled_from(ACTIVE),
    target_image=texts,
    from_image=texts,
    started_at=texts,
    node_name=texts,
    snapshot_job=texts,
    restore_job=texts,
    snapshot=st.none() | st.just(Snapshot.from_result(SNAPSHOT_RESULT)),
    snapshot_error=optional,
    steps=st.lists(st.sampled_from(ACTIVE), max_size=3).map(tuple),
    preflight_pod=texts,
    copy_job=texts,
    clean_job=texts,
    preflight_started_at=optional,
    preflight_verdict=st.none() | st.builds(Verdict, st.booleans(), texts),
    preflight=st.none()
    | st.builds(
        Preflight,
        st.sampled_from(Outcome),
        texts,
        st.none() | st.integers(0, 9),
        st.floats(0, 600, allow_nan=False),
        texts,
    ),
    mixed=st.booleans(),
    bake_started_at=optional,
    bake_restarts=st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 9)).map(
        lambda counts: tuple(sorted(counts.items()))
    ),
    bake=st.none()
    | st.builds(Bake, st.sampled_from(Outcome), texts, st.floats(0, 600, allow_nan=False), texts),
    rollout_started_at=optional,
    failure=st.none() | st.builds(Failure, texts, texts),
    rollback_started_at=optional,
    restore=st.none() | st.builds(Restore, st.booleans(), texts),
    maintenance=st.none()
    | st.builds(
        Maintenance,
        st.sampled_from(Work),
        texts,
        st.sampled_from(Step),
        texts,
        texts,
        texts,
        texts,
        texts,
        texts,
    ),
)


def _without_nulls(value: Any) -> Any:
    """A status as the API server keeps it: a merge patch drops null keys."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


@given(rollouts)
def test_a_rollout_reads_back_as_it_was_written(rollout: Rollout) -> None:
    status = {"rollout": rollout.to_status()}
    assert Rollout.from_status(status) == rollout
    assert Rollout.from_status(_without_nulls(status)) == rollout


def test_every_rollout_the_plan_writes_reads_back_the_same() -> None:
    statuses = [*S.values(), *BAKE.values(), *PREFLIGHT.values()]
    written = [s["rollout"] for s in statuses if s.get("rollout")]
    assert written, "the plan's statuses hold rollouts"
    for raw in written:
        rollout = Rollout.from_status({"rollout": raw})
        assert rollout is not None
        assert rollout.to_status() == raw


def test_a_status_without_a_rollout_in_an_active_phase_is_idle() -> None:
    assert Rollout.from_status({}) is None
    assert Rollout.from_status({"rollout": None}) is None
    assert Rollout.from_status({"rollout": {"step": "Ready", "number": 1}}) is None
    assert Rollout.from_status({"rollout": "garbage"}) is None


def test_a_rollout_written_before_the_step_list_goes_on_as_it_did() -> None:
    """An operator upgraded mid-release reads a rollout with no `next`: snapshot, then roll out."""
    old = {"rollout": {"number": 4, "step": "Snapshotting", "targetImage": "a", "fromImage": "b"}}
    rollout = Rollout.from_status(old)
    assert rollout is not None
    assert rollout.steps == (Phase.ROLLING_OUT,)
    rolling = Rollout.from_status({"rollout": {**old["rollout"], "step": "RollingOut"}})
    assert rolling is not None
    assert rolling.steps == ()
