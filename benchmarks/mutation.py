"""Mutation testing of the safety-critical modules with cosmic-ray (``make mutation``, not in CI).

Each module is mutated in a scratch copy of the tracked files (cosmic-ray edits the file in place), one mutant at a
time, and the tests that cover it run against each mutant. The table gives each module's mutants, how many the
tests killed, and the score; the survivors' diffs go to ``mutation-survivors/<module>.txt`` to be judged (an
equivalent mutant changes no behaviour) or killed by a new test.

Usage: ``python benchmarks/mutation.py [--sample N] [name ...]`` (default: all of `TARGETS`, every mutant). A
module's tests that build constructs start the CDK's Node.js runtime for every mutant: hours for the larger modules
on 2 cores. ``--sample N`` runs N mutants per module drawn with a fixed seed (the same N give the same mutants), as
the issue's own 125-mutant measurement did; the rest are marked skipped. ``--recheck`` runs only the last run's
survivors (``mutation-survivors/<module>.txt``) against the current tests, for the same module code: tests only
added, every mutant killed before stays killed, so the score is updated without running the others again (a
survivor whose lines have since changed no longer exists and leaves the count).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = "constructs"
PACKAGE = f"{SOURCE_ROOT}/cdk_sagemaker_inference"
PYTEST = "-m pytest -x -q -p no:cacheprovider -p no:hypothesispytest -p no:syrupy"


@dataclass(frozen=True)
class Target:
    """A module to mutate, the tests that must kill its mutants, and how long they may run (seconds): a mutant
    that makes them loop is killed by the timeout."""

    module: str
    tests: tuple[str, ...]
    timeout: int = 300


TARGETS = {
    "checks": Target("lambda/smoke_test/checks.py", ("tests/handlers/test_checks.py",), timeout=30),
    "validation": Target(f"{PACKAGE}/validation.py", ("tests/unit/test_validation.py", "tests/unit/test_bad_input.py")),
    "deployment": Target(
        f"{PACKAGE}/deployment.py",
        ("tests/unit/test_deployment.py", "tests/unit/test_day_two.py", "tests/unit/test_mutation_pins.py"),
    ),
    # Rollback alarms (their bake windows) are tested with the deployments that use them.
    "alarms": Target(
        f"{PACKAGE}/alarms.py",
        (
            "tests/unit/test_alarms_and_dashboard.py",
            "tests/unit/test_deployment.py",
            "tests/unit/test_mutation_pins.py",
        ),
    ),
    "scaling": Target(
        f"{PACKAGE}/scaling.py",
        ("tests/unit/test_scaling.py", "tests/unit/test_scaling_guard.py", "tests/unit/test_mutation_pins.py"),
    ),
}
CONFIG = """[cosmic-ray]
module-path = "{module}"
timeout = {timeout}.0
excluded-modules = []
test-command = "env PYTHONPATH={source_root} {python} {pytest} {tests}"

[cosmic-ray.distributor]
name = "local"
"""


def scratch_copy() -> Path:
    """The tracked files in a new folder, with the venv and node_modules linked (cosmic-ray edits files).

    The venv's editable install points at the repository's own package: the test command puts the copy's source
    root first on PYTHONPATH, and `check_imports_copy` proves the tests import the copy."""
    folder = Path(tempfile.mkdtemp(prefix="mutation-"))
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    for linked in (".venv", "node_modules"):
        (folder / linked).symlink_to(ROOT / linked)
    return folder


def check_imports_copy(folder: Path) -> None:
    """Fail unless Python started as the test command starts it imports the package from ``folder``."""
    found = subprocess.run(
        [sys.executable, "-c", "import cdk_sagemaker_inference as p; print(p.__file__)"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(folder / SOURCE_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).is_relative_to(folder):
        raise SystemExit(f"the tests would import {found}, not the mutated copy in {folder}")


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the type annotations are, as ((row, col), (end row, end col)): with ``from __future__ import
    annotations`` Python never evaluates them, so a mutant inside one is equivalent."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            arguments += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
            annotations = [a.annotation for a in arguments if a.annotation is not None]
            annotations += [node.returns] if node.returns is not None else []
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        spans += [((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or 0)) for a in annotations]
    return spans


def skip_annotations(session: Path, module: Path) -> None:
    """Mark the mutants inside annotations skipped (cosmic-ray's own filters work the same way)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    source = module.read_text()
    if "from __future__ import annotations" not in source:
        return
    spans = annotation_spans(source)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            inside = all(
                any(start <= tuple(m.start_pos) and tuple(m.end_pos) <= end for start, end in spans)
                for m in item.mutations
            )
            if inside:
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


def keep_sample(session: Path, size: int | None) -> None:
    """Mark all but ``size`` of the pending mutants skipped, drawn with a fixed seed (None keeps every mutant)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = sorted(item.job_id for item in db.pending_work_items)
        if size is None or size >= len(pending):
            return
        kept = set(random.Random(0).sample(pending, size))
        for job_id in pending:
            if job_id not in kept:
                db.set_result(job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


def run(name: str, target: Target, folder: Path, sample: int | None) -> tuple[int, int, float]:
    """Mutate ``target`` in ``folder``; (mutants, killed, minutes). A mutant the tests fail on, or that breaks the
    test run (cosmic-ray's "incompetent"), is killed. Survivors' diffs go to a file."""
    config, session = folder / f"{name}.toml", folder / f"{name}.sqlite"
    config.write_text(
        CONFIG.format(
            module=target.module,
            timeout=target.timeout,
            source_root=folder / SOURCE_ROOT,
            python=sys.executable,
            pytest=PYTEST,
            tests=" ".join(target.tests),
        )
    )
    cosmic_ray = str(Path(sys.executable).parent / "cosmic-ray")
    started = time.monotonic()
    subprocess.run([cosmic_ray, "init", str(config), str(session)], cwd=folder, check=True)
    skip_annotations(session, folder / target.module)
    keep_sample(session, sample)
    subprocess.run([cosmic_ray, "exec", str(config), str(session)], cwd=folder, check=True)
    with sqlite3.connect(session) as db:
        rows = db.execute("SELECT test_outcome, diff FROM work_results WHERE worker_outcome != 'SKIPPED'").fetchall()
    survivors = [diff for outcome, diff in rows if str(outcome).lower() == "survived"]
    record(name, survivors, mutants=len(rows))
    return len(rows), len(rows) - len(survivors), (time.monotonic() - started) / 60


SURVIVORS = ROOT / "mutation-survivors"
DIFF_MARK = "--- mutation diff ---"


def record(name: str, survivors: list[str], mutants: int) -> None:
    """Keep the survivors' diffs (to judge or kill) and the run's size (for `recheck`)."""
    SURVIVORS.mkdir(exist_ok=True)
    (SURVIVORS / f"{name}.txt").write_text(
        "\n".join(f"{DIFF_MARK}\n{diff.split(DIFF_MARK)[-1].strip()}\n" for diff in survivors)
    )
    (SURVIVORS / f"{name}.json").write_text(json.dumps({"mutants": mutants}))


def recheck(name: str, target: Target, folder: Path) -> tuple[int, int, float]:
    """Apply each recorded survivor to ``folder``, run the target's tests, undo it; (mutants, killed, minutes)."""
    started = time.monotonic()
    diffs = [d.strip() + "\n" for d in (SURVIVORS / f"{name}.txt").read_text().split(DIFF_MARK) if d.strip()]
    mutants = json.loads((SURVIVORS / f"{name}.json").read_text())["mutants"]
    env = {**os.environ, "PYTHONPATH": str(folder / SOURCE_ROOT)}
    command = [sys.executable, "-m", *PYTEST.split()[1:], *target.tests]
    still, stale = [], 0
    for diff in diffs:
        dry = subprocess.run(
            ["patch", "-p1", "--dry-run", "--quiet"], input=diff, text=True, cwd=folder, capture_output=True
        )
        if dry.returncode != 0:  # the mutated lines changed since the run: that mutant no longer exists
            stale += 1
            continue
        subprocess.run(["patch", "-p1", "--quiet"], input=diff, text=True, cwd=folder, check=True)
        try:
            passed = (
                subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=target.timeout).returncode
                == 0
            )
        except subprocess.TimeoutExpired:
            passed = False
        subprocess.run(["patch", "-R", "-p1", "--quiet"], input=diff, text=True, cwd=folder, check=True)
        if passed:
            still.append(diff)
    if stale:
        print(f"{name}: {stale} survivor(s) no longer apply (their lines changed) and leave the count", flush=True)
    record(name, still, mutants - stale)
    return mutants - stale, mutants - stale - len(still), (time.monotonic() - started) / 60


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="mutants per module (default: all)")
    parser.add_argument("--recheck", action="store_true", help="run only the last run's survivors")
    parser.add_argument("names", nargs="*", help=f"modules among {', '.join(TARGETS)} (default: all)")
    options = parser.parse_args(arguments)
    unknown = set(options.names) - set(TARGETS)
    if unknown:
        parser.error(f"unknown module(s) {', '.join(sorted(unknown))}; choose among {', '.join(TARGETS)}")
    folder = scratch_copy()
    check_imports_copy(folder)
    print("| module | mutants | killed | score | minutes |\n|---|---|---|---|---|")
    for name in options.names or list(TARGETS):
        if options.recheck:
            mutants, killed, minutes = recheck(name, TARGETS[name], folder)
        else:
            mutants, killed, minutes = run(name, TARGETS[name], folder, options.sample)
        score = 100 * killed / mutants if mutants else 0.0
        print(f"| {TARGETS[name].module} | {mutants} | {killed} | {score:.1f} % | {minutes:.0f} |", flush=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
