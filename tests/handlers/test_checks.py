"""The smoke test's answer checks, without a server."""

import time

import pytest
from checks import (
    MAX_REGEX_SECONDS,
    MAX_REGEX_TEXT_CHARS,
    Answer,
    Expectation,
    json_subset_difference,
    media_type,
    mismatches,
    shorten,
    truncate_utf8,
)


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
    assert json_subset_difference(expected, actual, reveal=True) == difference


def test_json_subset_without_reveal_names_the_path_and_the_expectation_only():
    assert json_subset_difference({"a": "positive"}, {"a": "secret answer"}) == '$.a, expected "positive"'
    assert json_subset_difference({"a": [1, 2]}, {"a": ["secret"]}) == "$.a, expected an array of 2 items"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, "body is JSON nested too deeply to check"),
        ("1" * 5000, "body holds a number too long to parse"),
        ("{not json", "body is not JSON"),
    ],
)
def test_deep_or_huge_json_answers_are_clear_failures(body, problem):
    expected = Expectation(body_check="json", body_value='{"a":1}')
    [found] = mismatches(Answer(200, "application/json", body.encode()), expected)
    assert found.startswith(problem)


def test_a_regex_sees_a_bounded_part_of_the_body():
    expected = Expectation(body_check="matches", body_value="needle")
    late = b"x" * (MAX_REGEX_TEXT_CHARS + 10) + b"needle"
    assert mismatches(Answer(200, None, late), expected) == ["body does not match the regular expression 'needle'"]
    assert mismatches(Answer(200, None, b"needle" + late), expected) == []


@pytest.mark.parametrize("text", ["é" * 5000, "x" * 3000 + "😀" * 1000, "plain"])
def test_truncation_counts_utf8_bytes_and_never_splits_a_character(text):
    cut = truncate_utf8(text, 2048)
    assert len(cut.encode("utf-8")) <= 2048
    assert cut == text or cut.endswith(" ... (cut)")


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


def test_a_regular_expression_that_backtracks_catastrophically_fails_in_bounded_time():
    started = time.monotonic()
    answer = Answer(status=200, content_type="text/plain", body=b"a" * 40 + b"b")
    [problem] = mismatches(
        answer, Expectation(status=200, content_type=None, body_check="matches", body_value="(a|a)*$")
    )
    assert "ran past 2 s on the body (catastrophic backtracking)" in problem
    assert time.monotonic() - started < MAX_REGEX_SECONDS + 1
    fine = Expectation(status=200, content_type=None, body_check="matches", body_value="a+b$")
    assert mismatches(answer, fine) == []
