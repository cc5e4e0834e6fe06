"""The order of a run spread over worksteal workers (support.schedule): the modules the last
run found long first, one to each worker's share, the rest as collected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.schedule import LONG_SECONDS, arrange, load, save, shares
from test_canary_distributed import CONFTEST

LONG, LONGER = LONG_SECONDS + 1, LONG_SECONDS * 3


def test_shares_are_the_worksteal_split() -> None:
    assert shares(10, 3) == [3, 3, 4]
    assert shares(2, 3) == [0, 1, 1]
    assert sum(shares(1737, 3)) == 1737


def test_long_modules_head_the_shares_longest_first_to_the_least_loaded() -> None:
    modules = [
        ("a", ["a1", "a2", "a3"]),
        ("l1", ["l1a"]),
        ("b", ["b1", "b2"]),
        ("l2", ["l2a", "l2b"]),
        ("l3", ["l3a"]),
        ("c", ["c1"]),
    ]
    seconds = {"l1": LONG, "l2": LONGER, "l3": LONG + 1, "a": 5.0}
    order = arrange(modules, seconds, 3)
    assert sorted(order) == sorted(i for _, items in modules for i in items)  # nothing lost
    first, second, third = (order[:3], order[3:6], order[6:])  # the shares of 10 tests
    assert first[:2] == ["l2a", "l2b"]  # the longest, at the head of the first share
    assert (second[0], third[0]) == ("l3a", "l1a")  # the next ones, one per share
    rest = [i for i in order if not i.startswith("l")]
    assert rest == ["a1", "a2", "a3", "b1", "b2", "c1"]  # everything else as collected


def test_without_long_modules_or_workers_the_order_is_the_collected_one() -> None:
    modules = [("a", ["a1", "a2"]), ("b", ["b1"])]
    assert arrange(modules, {"a": LONG_SECONDS - 1}, 3) == ["a1", "a2", "b1"]
    assert arrange(modules, {"b": LONGER}, 1) == ["a1", "a2", "b1"]


def test_a_run_adds_its_modules_to_the_record_and_a_bad_record_is_none(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "test-durations.json"
    assert load(path) == {}
    save(path, {"a.py": 1.234, "b.py": 40.0})
    save(path, {"b.py": 2.0})
    assert load(path) == {"a.py": 1.2, "b.py": 2.0}
    path.write_text("not json")
    assert load(path) == {}
    path.write_text(json.dumps({"a.py": "soon", "b.py": 3}))
    assert load(path) == {"b.py": 3.0}


TEST_FILE = """
import os

def _log(name):
    with open({log!r}, "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + " " + name + "\\n")

""" + "".join(f"def test_{n}():\n    _log(__name__ + '::{n}')\n\n" for n in range(4))


@pytest.mark.slow
def test_a_worksteal_run_starts_each_worker_on_a_long_module_and_records(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    log = tmp_path / "order.log"
    for name in ("test_a", "test_b", "test_c", "test_long_one", "test_long_two"):
        (tmp_path / f"{name}.py").write_text(TEST_FILE.format(log=str(log)))
    cache = tmp_path / "cache"
    save(cache / "test-durations.json", {"test_long_one.py": LONGER, "test_long_two.py": LONG})
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"MYFOODBUDGET_CACHE": str(cache), "RELIABILITY_DIR": str(tmp_path / "records")}
    options = ["-n", "2", "--dist", "worksteal", "-p", "xdist", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-c", "/dev/null", "--rootdir", str(tmp_path),
         str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test order: 2 modules of 30s or more first" in done.stdout
    ran: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        worker, test = line.split()
        ran.setdefault(worker, []).append(test)
    assert sum(len(tests) for tests in ran.values()) == 20
    firsts = sorted(tests[0].split("::")[0] for tests in ran.values())
    assert firsts == ["test_long_one", "test_long_two"], ran
    recorded = load(cache / "test-durations.json")
    assert set(recorded) == {f"{n}.py" for n in ("test_a", "test_b", "test_c", "test_long_one",
                                                  "test_long_two")}  # fmt: skip
    assert recorded["test_long_one.py"] < LONG_SECONDS  # this run's figure replaced the last
