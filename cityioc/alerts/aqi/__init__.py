"""Air quality indices as pure functions: VN_AQI (Decision 1459/QĐ-TCMT) and US EPA AQI (2024).

Every function takes concentrations and returns numbers; nothing here reads a clock or a store.
"""

from cityioc.alerts.aqi.categories import (
    EPA_CATEGORIES,
    VN_CATEGORIES,
    Category,
    epa_category,
    vn_category,
    vn_category_by_code,
)
from cityioc.alerts.aqi.epa import epa_aqi, epa_sub_index, to_ppb
from cityioc.alerts.aqi.result import AqiResult
from cityioc.alerts.aqi.vn import nowcast, vn_daily, vn_hourly, vn_sub_index

__all__ = [
    "EPA_CATEGORIES",
    "VN_CATEGORIES",
    "AqiResult",
    "Category",
    "epa_aqi",
    "epa_category",
    "epa_sub_index",
    "nowcast",
    "to_ppb",
    "vn_category",
    "vn_category_by_code",
    "vn_daily",
    "vn_hourly",
    "vn_sub_index",
]
