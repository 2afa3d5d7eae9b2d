"""Typed settings from the environment (``CITYIOC_*``) and an optional ``cityioc.toml``.

Unknown keys are rejected so that a typo in a deployment fails at start instead of being ignored.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Environment = Literal["development", "production", "test"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CITYIOC_",
        extra="forbid",
        toml_file=os.environ.get("CITYIOC_CONFIG", "cityioc.toml"),
    )

    environment: Environment = "development"
    database_url: str = "sqlite:///cityioc.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8040, ge=1, le=65535)
    admin_key: str | None = None
    session_secret: str | None = None
    public_types: list[str] = Field(
        default_factory=lambda: [
            "AirQualityObserved",
            "WeatherObserved",
            "FloodMonitoring",
            "WaterObserved",
            "TrafficFlowObserved",
            "OffStreetParking",
            "NoiseLevelObserved",
            "AdministrativeArea",
            "Road",
        ]
    )
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_batch_items: int = Field(default=100_000, ge=1)
    raw_retention_days: int | None = Field(default=None, ge=1)
    context_fetch_timeout_s: float = Field(default=5.0, gt=0)
    max_page_size: int = Field(default=1000, ge=1)
    default_page_size: int = Field(default=20, ge=1)
    require_auth_for_reads: bool = False
    # People signing in to the web UI (cityioc/accounts, docs/accounts.md).
    session_idle_minutes: int = Field(default=60, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_attempts_per_minute: int = Field(default=20, ge=1)
    password_min_length: int = Field(default=10, ge=8, le=128)
    password_hash_memory_kib: int = Field(default=65_536, ge=1024)
    password_hash_time_cost: int = Field(default=3, ge=1)
    # The event bus between server processes; no nats_url, changes stay in this process.
    nats_url: str | None = Field(default=None, pattern=r"^(nats|tls)://")
    nats_subject_prefix: str = Field(default="cityioc", pattern=r"^[A-Za-z0-9_-]+$")
    # MQTT ingestion (cityioc/ingest/mqtt.py); no mqtt_url, no MQTT.
    mqtt_url: str | None = Field(default=None, pattern=r"^mqtt://")
    mqtt_topic_root: str = Field(default="cityioc", min_length=1, pattern=r"^[^#+$][^#+]*$")
    mqtt_shared_group: str = Field(default="cityioc", pattern=r"^[^/#+]*$")
    mqtt_client_id: str | None = None
    mqtt_auto_create: bool = True
    mqtt_max_payload_bytes: int = Field(default=256 * 1024, ge=64)
    mqtt_batch_max_messages: int = Field(default=2000, ge=1, le=30_000)
    mqtt_batch_wait_ms: float = Field(default=5.0, ge=0)
    mqtt_receive_maximum: int = Field(default=10_000, ge=1, le=65_535)
    mqtt_session_expiry_s: int = Field(default=86_400, ge=0)
    mqtt_max_clock_skew_s: int = Field(default=86_400, ge=0)
    # Alerts (cityioc/alerts): the rule engine, the AQI computation and a polled CAP feed.
    alerts_engine: bool = True
    aqi_interval_s: int = Field(default=300, ge=0)  # 0: no AQI computation in this process
    aqi_timezone: str = "Asia/Ho_Chi_Minh"  # the local day of the daily AQI
    cap_feed_url: str | None = Field(default=None, pattern=r"^https?://")
    cap_feed_interval_s: int = Field(default=300, ge=10)
    # The web UI (cityioc/web/ui.py): the pack whose title and map view the pages show, base-map
    # tiles ({z}/{x}/{y} URL; empty: none, the areas on a plain background) and a view override.
    city_pack: str = "binh-duong"
    map_tiles_url: str = Field(default="", pattern=r"^(https?://.*)?$")
    map_tiles_attribution: str = ""
    map_center: tuple[float, float] | None = None  # lon, lat
    map_zoom: float | None = Field(default=None, ge=0, le=22)
    # Incidents (cityioc/incidents, docs/incidents.md): e-mail through SMTP only when smtp_host and
    # smtp_from are set; resolution photos under media_dir; the SLA tick's period.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    escalation_email: str | None = None  # also receives every SLA escalation (the duty officer)
    media_dir: str = "media"
    max_photo_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    sla_tick_s: float = Field(default=30.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> Settings:
        if self.environment == "production" and not self.session_secret:
            raise ValueError("CITYIOC_SESSION_SECRET must be set in production")
        if self.session_secret is None:
            # Development only: a fresh secret per process, never a fixed default.
            self.session_secret = secrets.token_urlsafe(32)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///").removeprefix("sqlite://"))
