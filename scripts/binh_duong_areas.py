"""Regenerate the Bình Dương pack's areas.csv from the PyPI package ``vietnam-provinces``.

Run it in a scratch virtual environment (the package is not a dependency of cityioc):

    python3 -m venv /tmp/vp && /tmp/vp/bin/pip install vietnam-provinces
    /tmp/vp/bin/python scripts/binh_duong_areas.py > cityioc/packs/binh_duong/areas.csv

Which of Ho Chi Minh City's wards and communes (since 1 July 2025) were in Bình Dương: a unit
formed in 2025 keeps the official code of one of the units merged into it, and the codes of
Bình Dương's former communes run from 25741 to 25990 (Bà Rịa–Vũng Tàu's and the old city's are
above 26000). The script checks that this gives 36 units, 24 wards and 12 communes, the number
published for the former province.

The package has no coordinates: the centroids below are approximate (a few kilometres), placed by
hand from the former communes each unit absorbed, and marked ``approximate`` in the CSV.
"""

from __future__ import annotations

import csv
import sys

import vietnam_provinces
from vietnam_provinces import ProvinceCode, Ward

OLD_CODES = range(25741, 25991)  # the communes of Bình Dương province before 2025
REORGANISED = "2025-07-01"

# code, level, unit type, Vietnamese name, English name, parent, valid from, valid to, lon, lat
FIXED = [
    ("74", "province", "tỉnh", "Tỉnh Bình Dương", "Bình Dương Province", "", "", REORGANISED,
     106.65, 11.17, "true", "merged into Ho Chi Minh City on 1 July 2025"),
    ("718", "district", "thành phố", "Thành phố Thủ Dầu Một", "Thủ Dầu Một City", "74", "",
     REORGANISED, 106.65, 10.98, "true", ""),
    ("719", "district", "huyện", "Huyện Bàu Bàng", "Bàu Bàng District", "74", "", REORGANISED,
     106.63, 11.25, "true", ""),
    ("720", "district", "huyện", "Huyện Dầu Tiếng", "Dầu Tiếng District", "74", "", REORGANISED,
     106.36, 11.28, "true", ""),
    ("721", "district", "thành phố", "Thành phố Bến Cát", "Bến Cát City", "74", "", REORGANISED,
     106.59, 11.15, "true", "a town (thị xã) until 2023"),
    ("722", "district", "huyện", "Huyện Phú Giáo", "Phú Giáo District", "74", "", REORGANISED,
     106.79, 11.29, "true", ""),
    ("723", "district", "thành phố", "Thành phố Tân Uyên", "Tân Uyên City", "74", "", REORGANISED,
     106.80, 11.06, "true", "a town (thị xã) until 2023"),
    ("724", "district", "thành phố", "Thành phố Dĩ An", "Dĩ An City", "74", "", REORGANISED,
     106.77, 10.90, "true", ""),
    ("725", "district", "thành phố", "Thành phố Thuận An", "Thuận An City", "74", "",
     REORGANISED, 106.71, 10.93, "true", ""),
    ("726", "district", "huyện", "Huyện Bắc Tân Uyên", "Bắc Tân Uyên District", "74", "",
     REORGANISED, 106.85, 11.15, "true", ""),
    ("79", "province", "thành phố trực thuộc trung ương", "Thành phố Hồ Chí Minh",
     "Ho Chi Minh City", "", REORGANISED, "", 106.70, 10.78, "true",
     "the city as enlarged on 1 July 2025; this pack holds only its part that was Bình Dương"),
]  # fmt: skip

# Approximate centroids (lon, lat) of the units that were Bình Dương, by official code.
CENTROIDS = {
    25747: (106.655, 10.978),  # Thủ Dầu Một
    25750: (106.680, 10.990),  # Phú Lợi
    25760: (106.685, 11.050),  # Bình Dương (Provincial Administration Centre)
    25768: (106.605, 11.035),  # Phú An
    25771: (106.635, 11.010),  # Chánh Hiệp
    25777: (106.365, 11.285),  # Dầu Tiếng
    25780: (106.450, 11.440),  # Minh Thạnh
    25792: (106.500, 11.330),  # Long Hòa
    25807: (106.440, 11.190),  # Thanh An
    25813: (106.595, 11.150),  # Bến Cát (Mỹ Phước)
    25819: (106.600, 11.350),  # Trừ Văn Thố
    25822: (106.630, 11.270),  # Bàu Bàng (Lai Uyên)
    25837: (106.665, 11.175),  # Chánh Phú Hòa
    25840: (106.580, 11.215),  # Long Nguyên
    25843: (106.545, 11.090),  # Tây Nam (An Tây)
    25846: (106.625, 11.110),  # Thới Hòa
    25849: (106.655, 11.085),  # Hòa Lợi
    25858: (106.790, 11.290),  # Phú Giáo (Phước Vĩnh)
    25864: (106.745, 11.395),  # Phước Thành
    25867: (106.680, 11.330),  # An Long
    25882: (106.745, 11.225),  # Phước Hòa
    25888: (106.800, 11.080),  # Tân Uyên (Uyên Hưng)
    25891: (106.740, 11.010),  # Tân Khánh (Tân Phước Khánh)
    25906: (106.850, 11.160),  # Bắc Tân Uyên (Tân Thành)
    25909: (106.920, 11.120),  # Thường Tân
    25912: (106.720, 11.110),  # Vĩnh Tân
    25915: (106.770, 11.130),  # Bình Cơ
    25920: (106.740, 11.050),  # Tân Hiệp
    25942: (106.765, 10.900),  # Dĩ An
    25945: (106.775, 10.930),  # Tân Đông Hiệp
    25951: (106.800, 10.890),  # Đông Hòa
    25966: (106.700, 10.910),  # Lái Thiêu
    25969: (106.720, 10.960),  # Thuận Giao
    25975: (106.750, 10.955),  # An Phú
    25978: (106.695, 10.940),  # Thuận An
    25987: (106.725, 10.905),  # Bình Hòa
}
KINDS = {"phường": ("ward", "Ward"), "xã": ("commune", "Commune")}
HEADER = [
    "code", "level", "unit_type", "name_vi", "name_en", "parent", "valid_from", "valid_to",
    "lon", "lat", "approximate", "note",
]  # fmt: skip


def former_binh_duong() -> list[Ward]:
    wards = sorted(
        (w for w in Ward.iter_by_province(ProvinceCode(79)) if int(w.code) in OLD_CODES),
        key=lambda w: int(w.code),
    )
    kinds = [w.division_type.value for w in wards]
    if len(wards) != 36 or kinds.count("phường") != 24 or kinds.count("xã") != 12:
        sys.exit(f"expected 36 units (24 wards, 12 communes), found {len(wards)}: check the rule")
    missing = [int(w.code) for w in wards if int(w.code) not in CENTROIDS]
    if missing:
        sys.exit(f"no centroid for {missing}: add them to CENTROIDS")
    return wards


def main() -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    print(
        "# Generated by scripts/binh_duong_areas.py from vietnam-provinces"
        f" {vietnam_provinces.__version__} (data {vietnam_provinces.__data_version__})."
    )
    print("# valid_to is exclusive. lon/lat are approximate centroids (no boundaries yet).")
    out.writerow(HEADER)
    for row in FIXED:
        out.writerow(row)
    for ward in former_binh_duong():
        kind = ward.division_type.value
        name = " ".join(ward.name.split())  # the source has a stray double space or two
        english_kind = KINDS[kind][1]
        bare = name.split(" ", 1)[1]
        lon, lat = CENTROIDS[int(ward.code)]
        out.writerow(
            [int(ward.code), "commune", kind, name, f"{bare} {english_kind}", "79", REORGANISED,
             "", lon, lat, "true", ""]
        )  # fmt: skip


if __name__ == "__main__":
    main()
