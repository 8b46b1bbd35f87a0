from __future__ import annotations

from transcripts.alignment import retime

WORDS = [
    {"start": 0.0, "end": 0.4, "word": " The"},
    {"start": 0.4, "end": 1.0, "word": " mitochondria"},
    {"start": 1.0, "end": 1.2, "word": " is"},
    {"start": 1.3, "end": 1.8, "word": " here."},
]


def test_it_keeps_the_times_of_untouched_words():
    words = retime(WORDS, "The mitochondria is here.", start=0, end=2)
    assert [(w["start"], w["end"]) for w in words] == [
        (0.0, 0.4),
        (0.4, 1.0),
        (1.0, 1.2),
        (1.3, 1.8),
    ]


def test_it_gives_a_replaced_word_the_old_words_time():
    words = retime(WORDS, "The ribosome is here.", start=0, end=2)
    assert [w["word"] for w in words] == [" The", " ribosome", " is", " here."]
    assert (words[1]["start"], words[1]["end"]) == (0.4, 1.0)


def test_it_fits_inserted_words_in_order_without_overlap():
    words = retime(WORDS, "The big mitochondria really is here, friends.", start=0, end=2)
    assert [w["word"].strip() for w in words] == [
        "The",
        "big",
        "mitochondria",
        "really",
        "is",
        "here,",
        "friends.",
    ]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert all(w["end"] >= w["start"] for w in words)
    assert words[-1]["end"] <= 2.0


def test_it_spreads_text_over_a_segment_without_words():
    words = retime([], "one two three", start=10, end=13)
    assert words[0]["start"] == 10 and abs(words[-1]["end"] - 13) < 1e-6
