"""The smoke test's answer checks, without a server."""

import pytest
from checks import Answer, Expectation, json_subset_difference, media_type, mismatches, shorten


@pytest.mark.parametrize(
    ("expected", "actual", "difference"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, None),
        ({"a": {"b": [1, {"c": "x"}]}}, {"a": {"b": [1, {"c": "x", "d": 0}]}}, None),
        ({"a": 1}, {"b": 1}, "$.a is missing"),
        ({"a": [1, 2]}, {"a": [1]}, "$.a is [1], expected an array of 2 items"),
        ({"a": True}, {"a": 1}, "$.a is 1, expected true"),
        ({"a": 1}, {"a": 1.0}, None),
        ({"a": {}}, {"a": "x"}, '$.a is "x", expected an object'),
        ("positive", "negative", '$ is "negative", expected "positive"'),
    ],
)
def test_json_subset(expected, actual, difference):
    assert json_subset_difference(expected, actual) == difference


def test_every_mismatch_is_reported():
    answer = Answer(status=500, content_type="text/html", body=b"<h1>oops</h1>")
    expected = Expectation(status=200, content_type="application/json", body_check="json", body_value="{}")
    assert mismatches(answer, expected) == [
        "status 500, expected 200",
        "content type 'text/html', expected 'application/json'",
        "body is not JSON",
    ]


def test_media_types_compare_without_parameters_or_case():
    assert media_type("Application/JSON; charset=utf-8") == "application/json"
    assert media_type(None) == ""


def test_shorten_keeps_short_text_and_cuts_long_text():
    assert shorten(b"ok") == "'ok'"
    assert shorten("x" * 400, 10) == "'xxxxxxxxxx'... (400 characters)"
    assert shorten(b"\xff") == "'\ufffd'"


def test_an_unknown_body_check_is_an_error():
    with pytest.raises(ValueError, match="unknown body check"):
        mismatches(Answer(200, None, b""), Expectation(body_check="startswith", body_value="x"))
