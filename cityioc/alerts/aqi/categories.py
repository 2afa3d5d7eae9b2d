"""Index categories: names (vi, en), colours (the UI palette) and health advice (vi, en).

VN categories and advice follow Decision 1459/QĐ-TCMT; EPA's follow AirNow. Both use the same
colours. Advice is given for the general public and for sensitive groups (children, the elderly,
people with heart or lung disease).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Category:
    code: str  # stable, ASCII: what entities and rules store
    low: int  # the lowest index of the category
    high: int  # the highest (500 for the last; "beyond" is still the last)
    name_vi: str
    name_en: str
    colour: str  # hex, from shared/UI.md
    advice_vi: str  # for everyone
    advice_en: str
    sensitive_vi: str  # for sensitive groups
    sensitive_en: str
    dark_text: bool = False  # the two lightest colours need dark text

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def advice(self, lang: str) -> str:
        return self.advice_vi if lang == "vi" else self.advice_en

    def sensitive(self, lang: str) -> str:
        return self.sensitive_vi if lang == "vi" else self.sensitive_en


_FREE_VI = "Tự do thực hiện các hoạt động ngoài trời."
_FREE_EN = "Enjoy outdoor activities as usual."
_INDOORS_VI = (
    "Nên ở trong nhà, đóng cửa ra vào và cửa sổ. Nếu cần thiết phải ra ngoài,"
    " hãy đeo khẩu trang đạt tiêu chuẩn."
)
_INDOORS_EN = (
    "Stay indoors with doors and windows closed. If you must go out, wear a certified mask."
)

VN_CATEGORIES: Final = (
    Category("tot", 0, 50, "Tốt", "Good", "#00E400", _FREE_VI, _FREE_EN, _FREE_VI, _FREE_EN, True),
    Category(
        "trung-binh",
        51,
        100,
        "Trung bình",
        "Moderate",
        "#FFFF00",
        _FREE_VI,
        _FREE_EN,
        "Nên theo dõi các triệu chứng như ho hoặc khó thở, nhưng vẫn có thể hoạt động bên ngoài.",
        "Watch for symptoms such as coughing or shortness of breath; outdoor activity is still"
        " fine.",
        True,
    ),
    Category(
        "kem",
        101,
        150,
        "Kém",
        "Poor",
        "#FF7E00",
        "Những người thấy có triệu chứng đau mắt, ho hoặc đau họng nên cân nhắc giảm các hoạt động"
        " ngoài trời.",
        "People with sore eyes, a cough or a sore throat should consider spending less time"
        " outdoors.",
        "Nên giảm các hoạt động mạnh và giảm thời gian hoạt động ngoài trời. Người mắc bệnh hen"
        " suyễn có thể cần sử dụng thuốc thường xuyên hơn.",
        "Reduce strenuous activity and time outdoors. People with asthma may need their"
        " medication more often.",
    ),
    Category(
        "xau",
        151,
        200,
        "Xấu",
        "Bad",
        "#FF0000",
        "Mọi người nên giảm các hoạt động mạnh khi ở ngoài trời, tránh tập thể dục kéo dài và nghỉ"
        " ngơi nhiều hơn trong nhà.",
        "Everyone should reduce strenuous outdoor activity, avoid long exercise outdoors and rest"
        " indoors more.",
        "Nên ở trong nhà và giảm hoạt động mạnh. Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang"
        " đạt tiêu chuẩn.",
        "Stay indoors and reduce strenuous activity. If you must go out, wear a certified mask.",
    ),
    Category(
        "rat-xau",
        201,
        300,
        "Rất xấu",
        "Very bad",
        "#8F3F97",
        "Mọi người hạn chế tối đa các hoạt động ngoài trời và chuyển các hoạt động vào trong nhà."
        " Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn.",
        "Everyone should keep outdoor activity to a minimum and move activities indoors. If you"
        " must go out, wear a certified mask.",
        _INDOORS_VI,
        _INDOORS_EN,
    ),
    Category(
        "nguy-hai",
        301,
        500,
        "Nguy hại",
        "Hazardous",
        "#7E0023",
        _INDOORS_VI,
        _INDOORS_EN,
        _INDOORS_VI,
        _INDOORS_EN,
    ),
)

_EPA_SENSITIVE_EN = "Sensitive groups should reduce prolonged or heavy exertion outdoors."
_EPA_SENSITIVE_VI = "Nhóm nhạy cảm nên giảm gắng sức kéo dài hoặc nặng ngoài trời."
EPA_CATEGORIES: Final = (
    Category("good", 0, 50, "Tốt", "Good", "#00E400", _FREE_VI, _FREE_EN, _FREE_VI, _FREE_EN, True),
    Category(
        "moderate",
        51,
        100,
        "Trung bình",
        "Moderate",
        "#FFFF00",
        _FREE_VI,
        _FREE_EN,
        "Người đặc biệt nhạy cảm nên cân nhắc giảm gắng sức kéo dài ngoài trời.",
        "Unusually sensitive people should consider reducing prolonged or heavy exertion.",
        True,
    ),
    Category(
        "unhealthyForSensitiveGroups",
        101,
        150,
        "Không tốt cho nhóm nhạy cảm",
        "Unhealthy for sensitive groups",
        "#FF7E00",
        "Người bình thường ít có khả năng bị ảnh hưởng.",
        "The general public is less likely to be affected.",
        _EPA_SENSITIVE_VI,
        _EPA_SENSITIVE_EN,
    ),
    Category(
        "unhealthy",
        151,
        200,
        "Không lành mạnh",
        "Unhealthy",
        "#FF0000",
        "Mọi người nên giảm gắng sức kéo dài hoặc nặng ngoài trời.",
        "Everyone should reduce prolonged or heavy exertion outdoors.",
        "Nhóm nhạy cảm nên tránh gắng sức kéo dài hoặc nặng ngoài trời.",
        "Sensitive groups should avoid prolonged or heavy exertion outdoors.",
    ),
    Category(
        "veryUnhealthy",
        201,
        300,
        "Rất không lành mạnh",
        "Very unhealthy",
        "#8F3F97",
        "Mọi người nên tránh gắng sức kéo dài hoặc nặng ngoài trời.",
        "Everyone should avoid prolonged or heavy exertion outdoors.",
        "Nhóm nhạy cảm nên tránh mọi hoạt động thể chất ngoài trời.",
        "Sensitive groups should avoid all physical activity outdoors.",
    ),
    Category(
        "hazardous",
        301,
        500,
        "Nguy hại",
        "Hazardous",
        "#7E0023",
        "Mọi người nên tránh mọi hoạt động thể chất ngoài trời.",
        "Everyone should avoid all physical activity outdoors.",
        _INDOORS_VI,
        _INDOORS_EN,
    ),
)


def _category(table: tuple[Category, ...], aqi: int) -> Category:
    if aqi < 0:
        raise ValueError("an index cannot be negative")
    for category in table:
        if aqi <= category.high:
            return category
    return table[-1]  # beyond the index


def vn_category(aqi: int) -> Category:
    """The VN_AQI category of a (rounded) index: 0–50 Tốt … 301–500 and beyond Nguy hại."""
    return _category(VN_CATEGORIES, aqi)


def epa_category(aqi: int) -> Category:
    return _category(EPA_CATEGORIES, aqi)


VN_BY_CODE: Final = {c.code: c for c in VN_CATEGORIES}


def vn_category_by_code(code: str) -> Category:
    """Raises KeyError for an unknown code."""
    return VN_BY_CODE[code]
