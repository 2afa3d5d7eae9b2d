"""A small, valid pack written to a temporary folder; tests break one file at a time."""

from __future__ import annotations

from pathlib import Path

MANIFEST = """\
format_version: 1
name: test-city
version: "1.0"
title: {vi: "Thành phố thử", en: "Test city"}
description: {vi: "Gói thử nghiệm", en: "A test pack"}
timezone: Asia/Ho_Chi_Minh
locales: [vi, en]
as_of: 2025-07-01
data_provider: "cityioc — test pack"
simulation_tags: [lowLying, roadside, industrial]
"""

AREAS = """\
# a comment line
code,level,unit_type,name_vi,name_en,parent,valid_from,valid_to,lon,lat,approximate
P,province,tỉnh,Tỉnh Cũ,Old Province,,,2025-07-01,106.70,10.95,true
D1,district,huyện,Huyện Bắc,North District,P,,2025-07-01,106.70,11.00,true
D2,district,huyện,Huyện Nam,South District,P,,2025-07-01,106.70,10.90,true
N,province,thành phố,Thành phố Mới,New City,,2025-07-01,,106.70,10.95,true
W1,commune,phường,Phường Một,Ward One,N,2025-07-01,,106.70,10.98,true
W2,commune,phường,Phường Hai,Ward Two,N,2025-07-01,,106.70,10.92,true
"""

AGENCIES = """\
- id: env
  kind: department
  name: {vi: "Sở Môi trường", en: "Environment Department"}
  areas: [P, N]
  categories: [flood]
- id: "ubnd-{code}"
  for_each_area: {level: commune}
  kind: peoplesCommittee
  name: {vi: "UBND {name_vi}", en: "People's Committee of {name_en}"}
  areas: ["{code}"]
  categories: [flood]
"""

CATEGORIES = """\
- code: flood
  name: {vi: "Ngập nước", en: "Flooding"}
  cap_category: Met
  default_agency: env
"""

SENSORS = """\
id,type,name,lon,lat,area,tags,illustrative,referenceLevel[MTR],alertLevel[MTR],dangerLevel[MTR]
aq-1,AirQualityObserved,Trạm một,106.70,10.99,W1,industrial,true,,,
fl-1,FloodMonitoring,Điểm ngập,106.70,10.91,,lowLying|roadside,true,0.0,0.2,0.5
"""

ROADS = """\
- id: main-road
  name: {vi: "Đường Chính", en: "Main Road"}
  tags: [roadside]
  coordinates: [[106.70, 10.90], [106.70, 11.00]]
"""

LINES = """\
- id: lamp
  type: Streetlight
  road: main-road
  spacing_m: 40
  to_m: 1000
  name: "Đèn {n}"
  illustrative: true
  group:
    attribute: refStreetlightGroup
    type: StreetlightGroup
    every: 20
    id: "seg-{g}"
    name: "Đoạn {g}"
"""

FILES = {
    "pack.yaml": MANIFEST,
    "areas.csv": AREAS,
    "agencies.yaml": AGENCIES,
    "categories.yaml": CATEGORIES,
    "sensors.csv": SENSORS,
    "roads.yaml": ROADS,
    "sensor-lines.yaml": LINES,
}


def write_pack(root: Path, **files: str | None) -> Path:
    """The minimal pack in ``root``; ``files`` replace (text) or remove (None) files by name
    (``sensor_lines_yaml`` stands for ``sensor-lines.yaml``)."""
    root.mkdir(parents=True, exist_ok=True)
    chosen: dict[str, str | None] = dict(FILES)
    for key, text in files.items():
        chosen[_file_name(key)] = text
    for name, text in chosen.items():
        if text is not None:
            (root / name).write_text(text, encoding="utf-8")
    return root


def _file_name(key: str) -> str:
    stem, _, ext = key.rpartition("_")
    return f"{stem.replace('_', '-')}.{ext}"
