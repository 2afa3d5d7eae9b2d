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
        ]
    )
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_batch_items: int = Field(default=100_000, ge=1)
    raw_retention_days: int | None = Field(default=None, ge=1)
    context_fetch_timeout_s: float = Field(default=5.0, gt=0)
    max_page_size: int = Field(default=1000, ge=1)
    default_page_size: int = Field(default=20, ge=1)
    require_auth_for_reads: bool = False
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
