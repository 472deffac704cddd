"""Settings from the environment (TRIAGE_*), overridable by CLI options: built one way, `settings_from`.

Nothing reads settings from a global: whoever builds the pipeline passes them
down (the tokenizer's cache directory included, see runtime.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", frozen=True)

    data_dir: Path = Field(default=Path("data"), description="SQLite file and caches")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    model_dir: Path = Field(default=PROJECT_ROOT / "models" / "default")
    rules_dir: Path = Field(default=PROJECT_ROOT / "rules")
    review_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Override the model's own review threshold"
    )
    api_keys: dict[str, Literal["intake", "analyst", "admin"]] = Field(
        default_factory=dict,
        description='API key → role, e.g. {"k1": "intake", "k2": "analyst"} (JSON in TRIAGE_API_KEYS). '
        "Empty: no authentication, for a single-user local setup.",
    )
    rules_pretest_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a candidate rule set may take on its tests in the child process"
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'triage.sqlite3').resolve()}"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def settings_from(**given) -> Settings:
    """The environment's settings with the options a command was given on top (None: not given)."""
    return Settings(**{name: value for name, value in given.items() if value is not None})
