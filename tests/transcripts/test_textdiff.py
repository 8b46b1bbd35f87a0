from __future__ import annotations

from transcripts.textdiff import word_diff


def test_it_shows_a_replaced_word_as_taken_out_then_put_in() -> None:
    assert word_diff("The mitochondria is here.", "The mitochondrion is here.") == [
        ("same", "The"),
        ("del", "mitochondria"),
        ("ins", "mitochondrion"),
        ("same", "is here."),
    ]


def test_it_shows_words_added_and_removed() -> None:
    assert word_diff("a b c", "a b c d") == [("same", "a b c"), ("ins", "d")]
    assert word_diff("a b c", "a c") == [("same", "a"), ("del", "b"), ("same", "c")]
    assert word_diff("", "new") == [("ins", "new")]
