"""Reading the settings: from flags, the environment, ``.env`` and the defaults, with a value that cannot
work refused as a :class:`~schema.errors.ConfigError` naming its variable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import AliasChoices, ValidationError
from pydantic_settings import SettingsError

from schema.errors import ConfigError, echo
from schema.settings import Settings


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``overrides``, the environment, ``.env`` and the defaults; a value that cannot work is a
    :class:`ConfigError` naming its variable, not pydantic's report (nor pydantic-settings' traceback for a
    variable that must hold JSON and does not)."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        raise ConfigError("; ".join(_problem(item) for item in e.errors())) from None
    except SettingsError as e:
        raise ConfigError(f"{e}: the value must be JSON") from None
    except RecursionError:  # json.loads of a setting nested thousands of levels deep
        raise ConfigError(
            "a setting that holds JSON (CLUSTERKG_NEO4J_CONFIG, CLUSTERKG_MATCHING_WEIGHTS, ...) is nested "
            "too deeply to read"
        ) from None


def _problem(item: Any) -> str:
    """One validation error as ``VARIABLE: what is wrong (got 'value')``, the value cut as
    :func:`~schema.errors.echo` cuts it (an environment variable may hold 100 kB)."""
    field = str(item["loc"][0]) if item["loc"] else "settings"
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    name = alias.choices[0] if isinstance(alias, AliasChoices) else field
    if info is not None and not isinstance(alias, AliasChoices):
        name = f"CLUSTERKG_{field.upper()}"
    return f"{name}: {item['msg'].removeprefix('Value error, ')} (got {echo(item['input'])})"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
