"""Alerts: the air quality index, alert rules and their engine, the alert lifecycle, CAP intake.

``aqi/`` holds pure functions (VN_AQI, US EPA AQI). Rules are data (``AlertRule`` entities, loaded
from city packs and edited through the API); the engine evaluates them on committed changes and
raises ``Alert`` entities through ``Alerts`` (the lifecycle service). See docs/alerts.md.
"""
