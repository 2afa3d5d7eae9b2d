"""Expanded names the store treats specially."""

NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
LOCATION = NGSI_LD + "location"
DEFAULT_CONTEXT = NGSI_LD + "default-context/"
AREA_SERVED = DEFAULT_CONTEXT + "areaServed"
