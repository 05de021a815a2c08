"""The value-format checks by name (the ``format`` of a rule in ``aliases.toml``), and remarks.

A check takes ``(prop, value)`` and returns ``[(property, value), ...]`` for the properties the
value supports (empty when it does not fit): see ``formats.py``, ``formats_device.py`` and
``formats_locale.py`` for the checks and the sources of their rules.
"""

from __future__ import annotations

from analyzer.detect import formats, formats_device, formats_locale
from analyzer.detect.formats import Check
from analyzer.detect.formats_device import MANUFACTURERS, maker_of_model
from analyzer.detect.placeholders import placeholder

__all__ = ["CHECKS", "Check", "mark"]

CHECKS: dict[str, Check] = {
    "uuid": formats.uuid,
    "dev_scoped_id": formats.dev_scoped_id,
    "identifier": formats.identifier,
    "token": formats.token,
    "mac": formats.mac,
    "ip": formats.ip,
    "latitude": formats.latitude,
    "longitude": formats.longitude,
    "latlon": formats.latlon,
    "short_text": formats.short_text,
    "user_agent": formats.user_agent,
    "boolean": formats.boolean,
    "imei": formats.imei,
    "imsi": formats.imsi,
    "iccid": formats.iccid,
    "serial": formats.serial,
    "email": formats.email,
    "phone": formats.phone,
    "person_name": formats.person_name,
    "nonempty": formats.nonempty,
    "model": formats_device.model,
    "word": formats_device.word,
    "os_name": formats_device.os_name,
    "os_version": formats_device.os_version,
    "api_level": formats_device.api_level,
    "os_build": formats_device.os_build,
    "pixels": formats_device.pixels,
    "resolution": formats_device.resolution,
    "device_name": formats_device.device_name,
    "language": formats_locale.language,
    "timezone": formats_locale.timezone,
    "network": formats_locale.network,
    "network_code": formats_locale.network_code,
    "carrier": formats_locale.carrier,
    "mcc": formats_locale.mcc,
}


def mark(prop: str, value: str) -> str:
    """A remark that changes how a value reads (a placeholder, a maker implied by a model)."""
    stripped = value.strip()
    reason = placeholder(prop, stripped)
    if reason:
        return f"placeholder: {reason}"
    if prop == "manufacturer" and stripped.lower() not in MANUFACTURERS:
        maker = maker_of_model(stripped)
        if maker is not None:
            return f"the maker {maker} follows from the model identifier"
    return ""
