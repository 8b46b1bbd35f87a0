"""The words of a transcript line, as the page marks them for the spoken-word highlight."""

from __future__ import annotations

from types import SimpleNamespace

from jobs.templatetags.lectern import timed_words


def _line(text: str, words: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(text=text, words=words)


def test_it_gives_each_word_its_time_and_the_space_before_it() -> None:
    line = _line(
        " Hello there, world.",
        [
            {"word": " Hello", "start": 0.0, "end": 0.4},
            {"word": " there,", "start": 0.4, "end": 0.8},
            {"word": " world.", "start": 0.9, "end": 1.3},
        ],
    )
    words = timed_words(line)
    assert [(w["space"], w["text"]) for w in words] == [
        ("", "Hello"),
        (" ", "there,"),
        (" ", "world."),
    ]
    assert "".join(w["space"] + w["text"] for w in words) == line.text.strip()
    assert words[2]["start"] == 0.9 and words[2]["end"] == 1.3


def test_a_line_whose_words_do_not_spell_its_text_is_shown_plain() -> None:
    # Words out of step with the text (an import, an old edit) must not show other words.
    line = _line("Hello there.", [{"word": " Hello", "start": 0.0, "end": 0.4}])
    assert timed_words(line) is None
    assert timed_words(_line("Hi.", [])) is None
    assert timed_words(_line("Hi.", [{"word": " Hi.", "start": None, "end": 0.3}])) is None
