"""make test's xdist scheduling: files with module fixtures run whole on one worker."""

import re

from tests.conftest import WHOLE_FILES, scheduling_unit
from tests.support import ROOT

MODULE_FIXTURE = re.compile(r'@pytest\.fixture\(scope="module"\)')


def test_the_whole_files_are_the_files_with_module_fixtures():
    files = ROOT.glob("tests/**/test_*.py")
    with_module_fixtures = {str(path.relative_to(ROOT)) for path in files if MODULE_FIXTURE.search(path.read_text())}
    assert with_module_fixtures == WHOLE_FILES


def test_a_whole_file_is_one_unit_and_any_other_test_its_own():
    assert scheduling_unit("tests/app/test_sample_app.py::test_x[a]") == "tests/app/test_sample_app.py"
    assert scheduling_unit("tests/unit/test_model.py::test_y") == "tests/unit/test_model.py::test_y"
