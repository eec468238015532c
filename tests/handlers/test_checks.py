"""The smoke test's answer checks, without a server."""

import dataclasses
import signal
import time

import pytest
from checks import (
    MAX_REGEX_SECONDS,
    MAX_REGEX_TEXT_CHARS,
    Answer,
    Expectation,
    _json,
    describe,
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
        (1, True, "$ is true, expected 1"),
        ([1], [1, 2], "$ is [1, 2], expected an array of 1 items"),
        ([1, 2], [1, 3], "$[1] is 3, expected 2"),
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
    assert shorten("x" * 300) == repr("x" * 300)  # up to 300 characters shown whole
    assert shorten("x" * 301) == repr("x" * 300) + "... (301 characters)"
    assert shorten("x" * 400, 10) == "'xxxxxxxxxx'... (400 characters)"
    assert shorten(b"\xff") == "'\ufffd'"


@pytest.mark.parametrize("check", ["startswith", "bogus", "aaa"])  # sorting after and before the known ones
def test_an_unknown_body_check_is_an_error(check):
    with pytest.raises(ValueError, match="unknown body check"):
        mismatches(Answer(200, None, b""), Expectation(body_check=built(check), body_value="x"))


def test_a_regular_expression_that_backtracks_catastrophically_fails_in_bounded_time():
    started = time.monotonic()
    answer = Answer(status=200, content_type="text/plain", body=b"a" * 40 + b"b")
    [problem] = mismatches(
        answer, Expectation(status=200, content_type=None, body_check="matches", body_value="(a|a)*$")
    )
    assert "ran past 2 s on the body (catastrophic backtracking)" in problem
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # the timer is cancelled, not left to fire
    assert time.monotonic() - started < MAX_REGEX_SECONDS + 1
    fine = Expectation(status=200, content_type=None, body_check="matches", body_value="a+b$")
    assert mismatches(answer, fine) == []


def built(text: str) -> str:
    """``text`` as a new string object, as the handler gets it from the event's JSON (not an interned literal)."""
    return "".join(list(text))


@pytest.mark.parametrize(
    ("check", "value", "body", "passes"),
    [
        ("equals", "ok", "ok", True),
        ("equals", "ok", "ok ", False),
        ("equals", "b", "a", False),  # sorts before the expected text
        ("equals", "a", "b", False),  # sorts after it
        ("contains", "needle", "hay needle hay", True),
        ("contains", "needle", "haystack", False),
        ("contains", "a", "b", False),
        ("matches", r"\d+", "abc 42", True),
        ("matches", r"^\d+$", "abc", False),
        ("json", '{"a":1}', '{"a":1,"b":2}', True),
        ("json", '{"a":1}', '{"a":2}', False),
    ],
)
def test_each_body_check_passes_and_fails_as_documented(check, value, body, passes):
    expected = Expectation(body_check=built(check), body_value=built(value))
    assert (mismatches(Answer(200, None, body.encode()), expected) == []) is passes


@pytest.mark.parametrize(
    ("answer", "expected"), [("application/json", "text/plain"), ("text/plain", "application/json")]
)
def test_a_different_content_type_fails_whichever_sorts_first(answer, expected):
    assert mismatches(Answer(200, answer, b""), Expectation(content_type=expected)) == [
        f"content type {answer!r}, expected {expected!r}"
    ]
    assert mismatches(Answer(200, expected, b""), Expectation(content_type=expected)) == []


def test_a_regex_sees_exactly_the_first_64_kib_of_the_body():
    assert MAX_REGEX_TEXT_CHARS == 64 * 1024  # the documented window
    expected = Expectation(body_check="matches", body_value="needle")
    inside = b"x" * (64 * 1024 - len(b"needle")) + b"needle"
    assert mismatches(Answer(200, None, inside), expected) == []
    assert mismatches(Answer(200, None, b"x" + inside), expected) != []


@pytest.mark.parametrize("size", [2047, 2048])
def test_text_that_fits_is_returned_unchanged(size):
    text = "x" * size
    assert truncate_utf8(text, 2048) is text


def test_text_that_does_not_fit_is_cut_to_just_under_the_limit():
    cut = truncate_utf8("x" * 2049, 2048)
    assert cut == "x" * (2048 - len(" ... (cut)")) + " ... (cut)"


def test_answers_are_shown_only_when_revealed():
    assert describe(b"secret", "text/plain", reveal=False) == "text/plain, 6 bytes"
    assert describe(b"secret", None, reveal=True) == "no content type 'secret'"
    answer, expected = Answer(200, None, b'{"a": "secret"}'), Expectation(body_check="json", body_value='{"a":"x"}')
    assert mismatches(answer, expected) == ['JSON body differs: $.a, expected "x"']  # not revealed by default
    assert mismatches(answer, expected, reveal=True) == ['JSON body differs: $.a is "secret", expected "x"']


def test_reveal_is_keyword_only_and_answers_are_values():
    with pytest.raises(TypeError):
        mismatches(Answer(200, None, b""), Expectation(), True)  # type: ignore[misc]
    with pytest.raises(TypeError):
        describe(b"", None, True)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Answer(200, None, b"").status = 500  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Expectation().status = 500  # type: ignore[misc]


def test_json_in_messages_is_cut_after_80_characters_and_never_fails():
    assert _json("x" * 78) == '"' + "x" * 78 + '"'  # 80 characters
    assert _json("x" * 79) == '"' + "x" * 79 + "..."
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    assert _json(nested) == "<list>"
    loop: list = []
    loop.append(loop)
    assert _json(loop) == "<list>"


def test_values_parsed_at_run_time_compare_by_value():
    # The handler reads statuses and JSON from events: equal numbers are different objects beyond 256.
    status = int(built("404"))
    assert mismatches(Answer(int(built("404")), None, b""), Expectation(status=status)) == []
    assert json_subset_difference([0] * 300, [0] * 300) is None


def test_json_subset_takes_reveal_by_keyword_only():
    with pytest.raises(TypeError):
        json_subset_difference(1, 2, "$", True)  # type: ignore[misc]


@pytest.mark.parametrize("status", [199, 500])
def test_a_status_below_or_above_the_expected_one_fails(status):
    assert mismatches(Answer(status, None, b""), Expectation(status=200)) == [f"status {status}, expected 200"]
