"""Mutation testing of the safety-critical modules with cosmic-ray (``make mutation``, not in CI).

Each module is mutated in a scratch copy of the tracked files (cosmic-ray edits the file in place), one mutant at a
time, and the tests that cover it run against each mutant. The table gives each module's mutants, how many the
tests killed, and the score; the survivors' diffs go to ``mutation-survivors/<module>.txt`` to be judged (an
equivalent mutant changes no behaviour) or killed by a new test.

Usage: ``python benchmarks/mutation.py [name ...]`` (default: all of `TARGETS`). A module's tests that build
constructs start the CDK's Node.js runtime for every mutant: hours for the larger modules on 2 cores.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "constructs/cdk_sagemaker_inference"
PYTEST = "-m pytest -x -q -p no:cacheprovider -p no:hypothesispytest -p no:syrupy"


@dataclass(frozen=True)
class Target:
    """A module to mutate and the tests that must kill its mutants."""

    module: str
    tests: tuple[str, ...]


TARGETS = {
    "checks": Target("lambda/smoke_test/checks.py", ("tests/handlers/test_checks.py",)),
    "validation": Target(f"{PACKAGE}/validation.py", ("tests/unit/test_validation.py", "tests/unit/test_bad_input.py")),
    "deployment": Target(f"{PACKAGE}/deployment.py", ("tests/unit/test_deployment.py",)),
    "alarms": Target(f"{PACKAGE}/alarms.py", ("tests/unit/test_alarms_and_dashboard.py",)),
    "scaling": Target(f"{PACKAGE}/scaling.py", ("tests/unit/test_scaling.py", "tests/unit/test_scaling_guard.py")),
}
CONFIG = """[cosmic-ray]
module-path = "{module}"
timeout = 600.0
excluded-modules = []
test-command = "{python} {pytest} {tests}"

[cosmic-ray.distributor]
name = "local"
"""


def scratch_copy() -> Path:
    """The tracked files in a new folder, with the venv and node_modules linked (cosmic-ray edits files)."""
    folder = Path(tempfile.mkdtemp(prefix="mutation-"))
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    for linked in (".venv", "node_modules"):
        (folder / linked).symlink_to(ROOT / linked)
    return folder


def run(name: str, target: Target, folder: Path) -> tuple[int, int, float]:
    """Mutate ``target`` in ``folder``; (mutants, killed, minutes). A mutant the tests fail on, or that breaks the
    test run (cosmic-ray's "incompetent"), is killed. Survivors' diffs go to a file."""
    config, session = folder / f"{name}.toml", folder / f"{name}.sqlite"
    config.write_text(
        CONFIG.format(module=target.module, python=sys.executable, pytest=PYTEST, tests=" ".join(target.tests))
    )
    cosmic_ray = str(Path(sys.executable).parent / "cosmic-ray")
    started = time.monotonic()
    subprocess.run([cosmic_ray, "init", str(config), str(session)], cwd=folder, check=True)
    subprocess.run([cosmic_ray, "exec", str(config), str(session)], cwd=folder, check=True)
    with sqlite3.connect(session) as db:
        rows = db.execute("SELECT test_outcome, diff FROM work_results").fetchall()
    survivors = [diff for outcome, diff in rows if outcome == "survived"]
    out = ROOT / "mutation-survivors" / f"{name}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(survivors))
    return len(rows), len(rows) - len(survivors), (time.monotonic() - started) / 60


def main(names: list[str]) -> None:
    folder = scratch_copy()
    print("| module | mutants | killed | score | minutes |\n|---|---|---|---|---|")
    for name in names or list(TARGETS):
        mutants, killed, minutes = run(name, TARGETS[name], folder)
        score = 100 * killed / mutants if mutants else 0.0
        print(f"| {TARGETS[name].module} | {mutants} | {killed} | {score:.1f} % | {minutes:.0f} |", flush=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
