"""What an edit changed in a line, word by word (difflib, no Django): for the segment history."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Literal

Change = tuple[Literal["same", "del", "ins"], str]


def word_diff(old: str, new: str) -> list[Change]:
    """Runs of words that turn ``old`` into ``new``: kept ("same"), taken out ("del"), put in
    ("ins"). A replaced run gives its "del" before its "ins", as a reader expects."""
    before, after = old.split(), new.split()
    changes: list[Change] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.append(("same", " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            changes.append(("del", " ".join(before[i1:i2])))
        if j2 > j1:
            changes.append(("ins", " ".join(after[j1:j2])))
    return changes
