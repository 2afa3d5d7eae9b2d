from __future__ import annotations

import pytest

from cityioc.core.text import fold, names_match


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Thuận An", "thuan an"),
        ("ĐẠI LỘ BÌNH DƯƠNG", "dai lo binh duong"),
        ("Dĩ  An", "di an"),
        ("Thủ Dầu Một", "THU DAU MOT"),
    ],
)
def test_folding_ignores_case_accents_and_spacing(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_folding_keeps_different_words_apart() -> None:
    assert fold("Bến Cát") != fold("Bàu Bàng")


def test_names_match_whole_names_or_one_of_a_list() -> None:
    assert names_match("Thuận An", "thuan an")
    assert names_match(["Dĩ An", "Thuận An"], "thuan an")
    assert not names_match("Thuận An", "an")  # part of a name is not the name
    assert not names_match(None, "an") and not names_match(["x", 3], "an")
