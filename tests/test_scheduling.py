"""make test's xdist scheduling: files with module fixtures run whole on one worker."""

from tests.conftest import WHOLE_FILES, scheduling_unit


def test_a_file_with_module_fixtures_is_one_unit_and_any_other_test_its_own():
    assert "tests/app/test_sample_app.py" in WHOLE_FILES and "tests/unit/test_model.py" not in WHOLE_FILES
    assert scheduling_unit("tests/app/test_sample_app.py::test_x[a]") == "tests/app/test_sample_app.py"
    assert scheduling_unit("tests/unit/test_model.py::test_y") == "tests/unit/test_model.py::test_y"
