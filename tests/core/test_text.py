from __future__ import annotations

import pytest

from cityioc.core.text import fold


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
