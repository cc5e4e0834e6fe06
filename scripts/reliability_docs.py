"""Write docs/reliability.md from the records the tests leave in .reliability/*.jsonl.

    python scripts/reliability_docs.py            # rewrite docs/reliability.md from the records
    python scripts/reliability_docs.py --check    # fail when the bad-input table or the crash
                                                  # steps differ from docs/reliability.md

The figures (steps killed and survived, faulty runs converged, bad inputs refused, rows lost,
canaries leaked, fuzzed requests) change from run to run and are never compared; the table of
bad inputs and the list of crash steps are, so that a new bad-input test or plan step that is
not in the committed docs fails the run with a message saying how to bring them up to date.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / ".reliability"
DOC = ROOT / "docs" / "reliability.md"
NOT_RUN = "not run"
MESSAGE_LIMIT = 300
Row = Mapping[str, Any]
# parts of a message that differ from run to run: ports, scratch paths, generated names, times
VARYING = [
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"localhost:\d+"), "localhost:<port>"),
    (re.compile(r"/tmp/[^\s'\"),;]+"), "<tmp>"),  # noqa: S108  a pattern, not a file
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?"), "<time>"),
    (re.compile(r"\bcommit [0-9a-f]{7,40}\b"), "commit <id>"),  # one of digits only too
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b"), "<id>"),  # commits
]
START, END = "<!-- {}:start -->", "<!-- {}:end -->"
BAD, STEPS = "bad-inputs", "crash-steps"


def load(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every section's rows, from <folder>/<section>.jsonl."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        lines = path.read_text(encoding="utf-8").splitlines()
        found[path.stem] = [json.loads(line) for line in lines if line.strip()]
    return found


def stable(text: object) -> str:
    """A message with what varies between runs blanked, on one line, cut at MESSAGE_LIMIT."""
    line = " ".join(str(text).split())
    for pattern, replacement in VARYING:
        line = pattern.sub(replacement, line)
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def cell(text: object) -> str:
    """A Markdown table cell."""
    return stable(text).replace("|", "\\|")


def ratio(rows: Sequence[Row], key: str) -> str:
    """'N/M' of rows whose key is true, or 'not run'."""
    return f"{sum(bool(r.get(key)) for r in rows)}/{len(rows)}" if rows else NOT_RUN


def summed(rows: Sequence[Row], key: str) -> str:
    """The total of a count over rows, or 'not run'."""
    return str(sum(int(r.get(key) or 0) for r in rows)) if rows else NOT_RUN


def bad_input_rows(rows: Iterable[Row]) -> list[tuple[str, str, str, str]]:
    """The bad-input table's rows: stable, without repeats, sorted by area and input."""
    seen = {
        (cell(r["area"]), cell(r["input"]), cell(r["message"]), "yes" if r["unchanged"] else "NO")
        for r in rows
    }
    return sorted(seen)


def crash_steps(rows: Iterable[Row]) -> list[tuple[str, str]]:
    """(controller, step) of every crash row, without repeats, sorted."""
    return sorted({(cell(r["controller"]), cell(r["step"])) for r in rows})


def refused(rows: Sequence[Row]) -> str:
    """'N, with nothing changed' (or how many changed something), or 'not run': N counts the
    inputs (area and input), a test that ran twice once."""
    if not rows:
        return NOT_RUN
    cases = {(cell(r["area"]), cell(r["input"])) for r in rows}
    changed = {(cell(r["area"]), cell(r["input"])) for r in rows if not r.get("unchanged")}
    tail = "with nothing changed" if not changed else f"{len(changed)} of them changed something"
    return f"{len(cases)}, {tail}"


def canaries(rows: Sequence[Row]) -> str:
    """Leaks, and how much was searched."""
    if not rows:
        return NOT_RUN
    sources, lines = summed(rows, "sources"), summed(rows, "lines")
    return f"{summed(rows, 'leaked')} (searched {lines} lines from {sources} sources)"


def fuzzed(rows: Sequence[Row]) -> tuple[str, str]:
    """(requests over operations, server errors), or 'not run' twice."""
    if not rows:
        return NOT_RUN, NOT_RUN
    requests, operations = summed(rows, "requests"), summed(rows, "operations")
    return f"{requests} over {operations} operations", summed(rows, "server_errors")


def summary(records: Mapping[str, Sequence[Row]]) -> list[str]:
    """The figures, one table."""
    get = records.get
    requests, errors = fuzzed(get("fuzz", []))
    figures = [
        ("Steps killed (SIGKILL) and survived", ratio(get("crash", []), "survived")),
        ("Faulty runs converged", ratio(get("faults", []), "converged")),
        ("Process and disk faults handled", ratio(get("process", []), "ok")),
        ("Bad inputs refused", refused(get("bad_input", []))),
        ("Rows lost", summed(get("rows", []), "lost")),
        ("Canaries leaked", canaries(get("canary", []))),
        ("Fuzzed requests", requests),
        ("Server errors while fuzzing", errors),
    ]
    return ["| Figure | Last run |", "|---|---|", *[f"| {k} | {v} |" for k, v in figures]]


def marked(name: str, lines: list[str]) -> list[str]:
    """Lines between the markers --check reads back."""
    return [START.format(name), *lines, END.format(name)]


def crash_table(rows: Sequence[Row]) -> list[str]:
    """The crash matrix: one line per step killed."""
    if not rows:
        return [f"_{NOT_RUN}_"]
    by_step: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        by_step.setdefault((cell(row["controller"]), cell(row["step"])), []).append(row)
    lines = ["| Controller | Step | Survived | Detail |", "|---|---|---|---|"]
    for (controller, step), found in sorted(by_step.items()):
        survived = ratio(found, "survived")
        lines.append(
            f"| {controller} | {step} | {survived} | {cell(found[-1].get('detail', ''))} |"
        )
    return lines


def fault_table(rows: Sequence[Row]) -> list[str]:
    """Fault runs by kind: how many converged, and the outcomes counted."""
    if not rows:
        return [f"_{NOT_RUN}_"]
    lines = ["| Kind | Converged | Outcomes |", "|---|---|---|"]
    for kind in sorted({str(r["kind"]) for r in rows}):
        found = [r for r in rows if str(r["kind"]) == kind]
        outcomes = Counter(stable(r.get("outcome", "")) for r in found)
        told = ", ".join(f"{name} x{n}" for name, n in sorted(outcomes.items()))
        lines.append(f"| {cell(kind)} | {ratio(found, 'converged')} | {cell(told)} |")
    return lines


def process_table(rows: Sequence[Row]) -> list[str]:
    """Process and disk faults: case, handled, the status the user saw."""
    if not rows:
        return [f"_{NOT_RUN}_"]
    lines = ["| Case | Handled | Status |", "|---|---|---|"]
    seen = {(cell(r["case"]), "yes" if r["ok"] else "NO", cell(r["status"])) for r in rows}
    return [*lines, *(f"| {c} | {ok} | {s} |" for c, ok, s in sorted(seen))]


def bad_input_table(rows: Sequence[Row]) -> list[str]:
    """The catalogue of bad inputs."""
    if not rows:
        return [f"_{NOT_RUN}_"]
    lines = ["| Area | Input | Message the user sees | Nothing changed |", "|---|---|---|---|"]
    return [*lines, *(f"| {a} | {i} | {m} | {u} |" for a, i, m, u in bad_input_rows(rows))]


def render(records: Mapping[str, Sequence[Row]]) -> str:
    """docs/reliability.md."""
    get = records.get
    parts = [
        "# Reliability, in figures",
        "",
        "Generated by `scripts/reliability_docs.py` from the records the tests of the last",
        "`make test` left in `.reliability/` (`tests/support/reliability.py`); do not edit by",
        "hand. A figure or table reads _not run_ when its tests were left out of the run.",
        "",
        "## Summary",
        "",
        *summary(records),
        "",
        "Where they come from: the crash, fault, process and rows figures from",
        "`tests/e2e/test_reliability_*.py`; the bad inputs from every test that records one",
        "(`bad_input`: `tests/e2e/test_release_bad_inputs.py`,",
        "`tests/operator/sync/test_sync_bad_remotes.py` and the refusal tests beside them); the",
        "canaries from",
        "`tests/support/canary.py` (every test's output and failure text, the operator's, the",
        "sandbox's and the pods' logs, every Event, Release, GitSync, Job and Pod the cluster",
        "held); the fuzzing from `tests/app/test_app_fuzz.py`.",
        "",
        "## Crash matrix",
        "",
        "The operator killed with SIGKILL at each step the Release plan and the GitSync can take,",
        "restarted, and compared with an uninterrupted run: an operator process on the process",
        "runtime, and the operator's pod on the docker runtime, deleted with grace 0 for its",
        "Deployment to start another.",
        "",
        *marked(STEPS, crash_table(get("crash", []))),
        "",
        "## Fault runs",
        "",
        "Releases, rollbacks and syncs with the API server answering errors, dropping watches",
        "and adding latency.",
        "",
        *fault_table(get("faults", [])),
        "",
        "## Process and disk faults",
        "",
        *process_table(get("process", [])),
        "",
        "## Bad inputs",
        "",
        "Each row is a test that gives the input to the real thing (kubectl and the API server,",
        "the operator, git, the snapshot Job) and checks the message and that nothing changed.",
        "",
        *marked(BAD, bad_input_table(get("bad_input", []))),
        "",
    ]
    return "\n".join(parts)


def between(text: str, name: str) -> list[str]:
    """The lines of a marked part of the doc ([] when absent)."""
    lines = text.splitlines()
    try:
        first, last = lines.index(START.format(name)), lines.index(END.format(name))
    except ValueError:
        return []
    return lines[first + 1 : last]


def first_two(lines: Iterable[str]) -> list[str]:
    """The first two cells of each line of a table (header and rule left out): a crash step's
    controller and step, a bad input's area and input."""
    cells = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines]
    return [f"{c[0]} | {c[1]}" for c in cells[2:] if len(c) >= 2]


def differences(records: Mapping[str, Sequence[Row]], committed: str) -> list[str]:
    """What --check finds: the parts of the committed doc that the records contradict."""
    fresh = render(records)
    parts = [
        (BAD, "bad_input", "the table of bad inputs"),
        (STEPS, "crash", "the list of crash steps"),
    ]
    problems = []
    for name, section, what in parts:
        now, then = (first_two(between(text, name)) for text in (fresh, committed))
        if records.get(section) and now != then:
            problems.append(what)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Write the doc, or (--check) compare its tables with the records."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--records", type=Path, default=RECORDS, help="folder of *.jsonl")
    parser.add_argument("--doc", type=Path, default=DOC, help="the Markdown file")
    args = parser.parse_args(argv)
    records = load(args.records)
    if not args.check:
        args.doc.write_text(render(records), encoding="utf-8")
        print(f"reliability_docs: wrote {args.doc} from {len(records)} sections")
        return 0
    committed = args.doc.read_text(encoding="utf-8") if args.doc.is_file() else ""
    problems = differences(records, committed)
    if problems:
        print(
            f"reliability_docs: {' and '.join(problems)} in {args.doc} "
            f"{'differs' if len(problems) == 1 else 'differ'} from what the "
            "tests recorded; run `make reliability` (python scripts/reliability_docs.py) "
            "and commit the file",
            file=sys.stderr,
        )
        return 1
    print(f"reliability_docs: {args.doc} matches the records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
