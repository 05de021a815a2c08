"""What an iPhone says about itself: lockdown values (usbmux) into a DeviceReading.

``lockdownd`` answers ``GetValue`` with a dictionary of the device's values (``ideviceinfo``
prints the same dictionary; pymobiledevice3 exposes it as ``all_values``); the locale lives in
the ``com.apple.international`` domain. Key names are Apple's, as libimobiledevice and
pymobiledevice3 document them. Values missing from a dictionary are listed as not read: most
need a paired (trusted) device, and a SIM for IMEI-adjacent keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.device.android_parse import is_imei, is_meid, is_phone_number, normal_mac
from analyzer.device.reading import DeviceReading

# lockdown key -> property (in the order written)
KEYS = (
    ("UniqueDeviceID", "deviceId"),
    ("SerialNumber", "serialNumber"),
    ("ProductType", "model"),
    ("HardwareModel", "model"),
    ("ProductVersion", "osVersion"),
    ("BuildVersion", "osVersion"),
    ("DeviceName", "deviceName"),
    ("InternationalMobileEquipmentIdentity", "imei"),
    ("InternationalMobileEquipmentIdentity2", "imei"),
    ("MobileEquipmentIdentifier", "imei"),
    ("PhoneNumber", "phoneNumber"),
    ("PhoneNumber2", "phoneNumber"),
    ("IntegratedCircuitCardIdentity", "iccid"),
    ("InternationalMobileSubscriberIdentity", "imsi"),
    ("WiFiAddress", "macAddress"),
    ("BluetoothAddress", "macAddress"),
    ("EthernetAddress", "macAddress"),
    ("TimeZone", "timezone"),
)
INTERNATIONAL_KEYS = (("Locale", "language"), ("Language", "language"))
CHECKS = {
    "imei": lambda v: is_imei(v) or is_meid(v),
    "phoneNumber": is_phone_number,
    "macAddress": lambda v: normal_mac(v) is not None,
}
HINTS = {
    "imei": 'Settings > General > About > IMEI; add imei = "..."',
    "phoneNumber": 'Settings > Phone > My Number; add phoneNumber = "+..."',
    "macAddress": 'Settings > General > About > Wi-Fi Address; add macAddress = "..."',
    "serialNumber": 'Settings > General > About > Serial Number; add serialNumber = "..."',
    "advertisingId": "iOS shows the IDFA to no user and no host tool; if an app under test "
    'has tracking permission, find it in the traffic and add advertisingId = "..."',
}


def read_ios(
    values: Mapping[str, Any],
    international: Mapping[str, Any] | None = None,
    *,
    udid: str = "",
) -> DeviceReading:
    """A DeviceReading from ``lockdown`` values (and the ``com.apple.international`` domain).

    ``values`` is the dictionary of the root domain; nested carrier bundles
    (``CarrierBundleInfoArray``) also give ICCID, IMSI and MEID of each SIM.
    """
    reading = DeviceReading("ios", serial=udid or str(values.get("UniqueDeviceID", "")))
    for key, prop in KEYS:
        _add(reading, prop, values.get(key), f"lockdown {key}")
    bundles = values.get("CarrierBundleInfoArray")
    if isinstance(bundles, list):
        for index, bundle in enumerate(bundles[:4]):
            if not isinstance(bundle, Mapping):
                continue
            for key, prop in (
                ("IntegratedCircuitCardIdentity", "iccid"),
                ("InternationalMobileSubscriberIdentity", "imsi"),
                ("MobileEquipmentIdentifier", "imei"),
            ):
                _add(
                    reading,
                    prop,
                    bundle.get(key),
                    f"lockdown CarrierBundleInfoArray[{index}] {key}",
                )
            mcc, mnc = bundle.get("MCC"), bundle.get("MNC")
            if mcc and mnc:
                _add(
                    reading,
                    "carrier",
                    f"{mcc}{mnc}",
                    f"lockdown CarrierBundleInfoArray[{index}] MCC+MNC",
                )
    for key, prop in INTERNATIONAL_KEYS:
        _add(
            reading, prop, (international or {}).get(key), f"lockdown com.apple.international {key}"
        )
    reading.name = str(values.get("DeviceName") or values.get("ProductType") or reading.serial)
    for prop in ("imei", "phoneNumber", "macAddress", "serialNumber"):
        if not reading.has(prop):
            reading.miss(
                prop,
                "lockdown did not give it (device not paired/trusted, or no SIM)",
                HINTS[prop],
            )
    reading.miss("advertisingId", "not exposed over lockdown", HINTS["advertisingId"])
    return reading


def _add(reading: DeviceReading, prop: str, value: object, source: str) -> None:
    if value is None or isinstance(value, bool | bytes | dict | list):
        return
    text = str(value).strip()
    check = CHECKS.get(prop)
    if check is not None and not check(text):
        return
    if prop == "macAddress":
        text = normal_mac(text) or text
    reading.add(prop, text, source)
