"""What an Android phone says about itself, read over a shell (adb) into a DeviceReading.

Every value names the command it came from. What needs privileges is tried as root when the
device allows it (emulator images, rooted phones) and otherwise listed as not read, with why and
where the user finds it. Sources of the rules:

- Device identifiers (IMEI, serial number) need READ_PRIVILEGED_PHONE_STATE from Android 10 on
  (developer.android.com/about/versions/10/privacy/changes, "Non-resettable device identifiers").
- ``service call iphonesubinfo CODE``: CODE is the AIDL transaction number of
  ``IPhoneSubInfo.aidl`` (method order + 1): ``getDeviceId`` is 1 in every release;
  ``getLine1Number`` moved with the interface (5 up to API 17, 6 on 18-20, 11 on 21, 13 on
  22-27, 12 on 28-29, 15 from 30), as the AOSP file of each release shows.
- The advertising ID lives in Google Play services' private ``adid_settings.xml``; without root
  the user reads it in Settings > Google > Ads (Android 12+: Settings > Privacy > Ads).
"""

from __future__ import annotations

from analyzer.device.android_dumpsys import parse_accounts, parse_locations, parse_wifi_info
from analyzer.device.android_parse import (
    is_imei,
    is_meid,
    is_phone_number,
    normal_mac,
    parse_adid_settings,
    parse_getprop,
    parse_interfaces,
    parse_old_iphonesubinfo,
    setting_value,
)
from analyzer.device.parcel import ParcelError, decode_string_reply
from analyzer.device.reading import DeviceReading
from analyzer.device.shell import Root, Shell, find_root

ADID_PATHS = (
    "/data/data/com.google.android.gms/shared_prefs/adid_settings.xml",
    "/data/user/0/com.google.android.gms/shared_prefs/adid_settings.xml",
)
CALLER = "com.android.shell"

HINTS = {
    "advertisingId": "Settings > Google > Ads (Android 12+: Settings > Privacy > Ads) shows it; "
    'add advertisingId = "..."',
    "imei": 'dial *#06# or open Settings > About phone > IMEI; add imei = "..." '
    "(a list for two SIM slots)",
    "phoneNumber": 'Settings > About phone > Phone number; add phoneNumber = "+..."',
    "email": 'add email = ["..."] with the accounts signed in on the phone',
    "latitude": "turn location on, open a map app once and read the profile again; "
    "or add latitude = ... and longitude = ...",
    "wifiSsid": 'connect the phone to Wi-Fi and read the profile again; or add wifiSsid = "..."',
    "serialNumber": 'Settings > About phone > Model & hardware; add serialNumber = "..."',
    "macAddress": 'Settings > About phone > Wi-Fi MAC address; add macAddress = "..."',
}


def line1_transaction(sdk: int) -> int:
    """The ``IPhoneSubInfo`` transaction number of ``getLine1Number`` on API level ``sdk``."""
    if sdk >= 30:
        return 15
    if sdk >= 28:
        return 12
    if sdk >= 22:
        return 13
    if sdk == 21:
        return 11
    if sdk >= 18:
        return 6
    return 5


class AndroidReader:
    """Reads one phone through ``shell``; :meth:`read` returns the DeviceReading."""

    def __init__(self, shell: Shell, *, adb_serial: str = "") -> None:
        self.shell = shell
        self.reading = DeviceReading("android", serial=adb_serial)
        self.root: Root | None = None
        self.props: dict[str, str] = {}
        self.sdk = 0

    def read(self) -> DeviceReading:
        """Run every reader; a command that fails only leaves its property unread."""
        self.props = parse_getprop(self._out("getprop") or "")
        if not self.props:
            self.reading.notes.append("getprop printed nothing: is this an Android device?")
        try:
            self.sdk = int(self.props.get("ro.build.version.sdk", "0"))
        except ValueError:
            self.sdk = 0
        self.root = find_root(self.shell)
        self.reading.notes.append(
            f"root: {self.root.how}" if self.root else "root: none (a production build without su)"
        )
        for step in (
            self._build,
            self._ids,
            self._telephony,
            self._advertising_id,
            self._network,
            self._accounts,
            self._location,
        ):
            step()
        r = self.reading
        r.name = (
            self.props.get("ro.product.model", "") or self.props.get("ro.product.device", "")
        ).strip() or r.serial
        if self.props.get("ro.kernel.qemu") == "1" or self.props.get("ro.boot.qemu") == "1":
            r.notes.append("this is an emulator (ro.kernel.qemu/ro.boot.qemu = 1)")
        return r

    # --- readers ---------------------------------------------------------------------------

    def _build(self) -> None:
        add, p = self.reading.add, self.props
        for key in ("ro.product.model", "ro.product.device", "ro.product.name"):
            add("model", p.get(key, ""), f"getprop {key}")
        for key in ("ro.product.manufacturer", "ro.product.brand"):
            add("manufacturer", p.get(key, ""), f"getprop {key}")
        for key in (
            "ro.build.version.release",
            "ro.build.version.sdk",
            "ro.build.id",
            "ro.build.fingerprint",
        ):
            add("osVersion", p.get(key, ""), f"getprop {key}")
        add("timezone", p.get("persist.sys.timezone", ""), "getprop persist.sys.timezone")
        for key in ("persist.sys.locale", "ro.product.locale"):
            add("language", p.get(key, ""), f"getprop {key}")
        locales = self._setting("system", "system_locales")
        for locale in (locales or "").split(","):
            add("language", locale, "settings get system system_locales")
        for namespace, key in (("global", "device_name"), ("secure", "bluetooth_name")):
            add(
                "deviceName", self._setting(namespace, key) or "", f"settings get {namespace} {key}"
            )

    def _ids(self) -> None:
        add = self.reading.add
        android_id = self._setting("secure", "android_id")
        add("developerScopedId", android_id or "", "settings get secure android_id")
        if self.sdk >= 26:
            self.reading.notes.append(
                "Android 8+: each app sees its own Android ID (SSAID); developerScopedId below "
                "is the shell's. Add an app's own value by hand if you know it."
            )
        for key in ("ro.serialno", "ro.boot.serialno", "ril.serialnumber"):
            value = self.props.get(key, "")
            if value and value.strip("0") and value.lower() != "unknown":
                add("serialNumber", value, f"getprop {key}")
        serial = self.reading.serial
        if serial and ":" not in serial and not serial.startswith("emulator-"):
            add("serialNumber", serial, "adb devices (the USB serial)")
        if not self.reading.has("serialNumber"):
            self.reading.miss(
                "serialNumber",
                "ro.serialno is empty or hidden (Android 8+ shows it to privileged callers only)",
                HINTS["serialNumber"],
            )

    def _telephony(self) -> None:
        add, p = self.reading.add, self.props
        for key in ("gsm.sim.operator.alpha", "gsm.operator.alpha"):
            for name in p.get(key, "").split(","):
                add("carrier", name, f"getprop {key}")
        for key in ("gsm.sim.operator.numeric", "gsm.operator.numeric"):
            for code in p.get(key, "").split(","):
                if code.strip().isdigit() and len(code.strip()) in (5, 6):
                    add("carrier", code, f"getprop {key} (MCC-MNC)")
        # IMEI / MEID
        reason = ""
        if 0 < self.sdk <= 20:
            old = parse_old_iphonesubinfo(self._out("dumpsys iphonesubinfo") or "")
            if old and (is_imei(old) or is_meid(old)):
                add("imei", old, "dumpsys iphonesubinfo (Device ID)")
        if not self.reading.has("imei"):
            value, reason = self._subinfo(1, "getDeviceId")
            if value and (is_imei(value) or is_meid(value)):
                add("imei", value, self._subinfo_source(1))
            elif value:
                reason = f"getDeviceId returned {value!r}, not an IMEI or MEID"
        if not self.reading.has("imei"):
            self.reading.miss("imei", reason or "not readable", HINTS["imei"])
        code = line1_transaction(self.sdk)
        value, reason = self._subinfo(code, "getLine1Number")
        if value and is_phone_number(value):
            add("phoneNumber", value, self._subinfo_source(code))
        else:
            if value:
                reason = f"getLine1Number returned {value!r}, not a phone number"
            self.reading.miss(
                "phoneNumber",
                reason or "the SIM does not store its number (common)",
                HINTS["phoneNumber"],
            )

    def _advertising_id(self) -> None:
        if self.root is None:
            self.reading.miss(
                "advertisingId",
                "Google Play services keeps it in a private file (needs root or an emulator "
                "image with root)",
                HINTS["advertisingId"],
            )
            return
        reason = "Google Play services has no adid_settings.xml (no Play services?)"
        for path in ADID_PATHS:
            text = self._out(f"cat {path}", as_root=True)
            if not text:
                continue
            try:
                adid = parse_adid_settings(text)
            except ValueError as error:
                reason = str(error)
                continue
            if adid and adid.strip("0-"):
                self.reading.add("advertisingId", adid, f"{path} adid_key (as root)")
                return
            reason = "the advertising ID is deleted or zeroed (Settings > Privacy > Ads)"
        self.reading.miss("advertisingId", reason, HINTS["advertisingId"])

    def _network(self) -> None:
        add = self.reading.add
        wifi = parse_wifi_info(self._out("dumpsys wifi") or "")
        source = "dumpsys wifi"
        if wifi is None and self.sdk >= 30:
            wifi, source = parse_wifi_info(self._out("cmd wifi status") or ""), "cmd wifi status"
        if wifi is not None:
            add("wifiSsid", wifi.ssid or "", f"{source} (SSID)")
            add("wifiBssid", wifi.bssid or "", f"{source} (BSSID)")
            add("macAddress", wifi.mac or "", f"{source} (MAC, as the network sees it)")
            add("localIp", wifi.ip or "", f"{source} (IP)")
        if not self.reading.has("wifiSsid"):
            self.reading.miss("wifiSsid", "not connected to Wi-Fi, or hidden", HINTS["wifiSsid"])
        mac = normal_mac(self._out("cat /sys/class/net/wlan0/address"))
        add("macAddress", mac or "", "cat /sys/class/net/wlan0/address")
        bluetooth = normal_mac(self._setting("secure", "bluetooth_address"))
        add("macAddress", bluetooth or "", "settings get secure bluetooth_address (Bluetooth)")
        if not self.reading.has("macAddress"):
            self.reading.miss(
                "macAddress",
                "Android 10+ hides hardware addresses from the shell",
                HINTS["macAddress"],
            )
        for address in parse_interfaces(self._out("ifconfig") or ""):
            if address.scope == "global":
                add("localIp", address.address, f"ifconfig ({address.interface})")

    def _accounts(self) -> None:
        accounts = parse_accounts(self._out("dumpsys account") or "")
        for account in accounts:
            if account.is_email:
                self.reading.add("email", account.name, f"dumpsys account ({account.type})")
        others = [a for a in accounts if not a.is_email]
        if others:
            listed = "; ".join(f"{a.name} ({a.type})" for a in others[:10])
            self.reading.notes.append(
                f"accounts that are not e-mail addresses (add as userId/personName/phoneNumber "
                f"if they identify the user): {listed}"
            )
        if not self.reading.has("email"):
            self.reading.miss("email", "no account with an e-mail address", HINTS["email"])

    def _location(self) -> None:
        fixes = parse_locations(self._out("dumpsys location") or "")
        if not fixes:
            self.reading.miss("latitude", "no last known location", HINTS["latitude"])
            return
        fix = fixes[0]
        source = f"dumpsys location (last {fix.provider} fix)"
        self.reading.add("latitude", fix.latitude, source)
        self.reading.add("longitude", fix.longitude, source)

    # --- helpers ---------------------------------------------------------------------------

    def _out(self, command: str, *, as_root: bool = False) -> str | None:
        """Output of a command that succeeded, else None (denied, missing, failed)."""
        if as_root:
            if self.root is None:
                return None
            command = self.root.wrap(command)
        try:
            result = self.shell(command)
        except OSError:
            return None
        if not result.ok:
            return None
        text = result.output
        lowered = text[:200].lower()
        if "permission denied" in lowered or "not found" in lowered or "inaccessible" in lowered:
            return None
        return text

    def _setting(self, namespace: str, key: str) -> str | None:
        return setting_value(self._out(f"settings get {namespace} {key}") or "")

    def _subinfo(self, code: int, method: str) -> tuple[str | None, str]:
        """(value, reason): the String ``IPhoneSubInfo`` transaction ``code`` returned."""
        command = f"service call iphonesubinfo {code} s16 {CALLER}"
        attempts = [(command, False)] + ([(command, True)] if self.root else [])
        reason = ""
        for text_command, as_root in attempts:
            output = self._out(text_command, as_root=as_root)
            if output is None:
                reason = f"{method}: service call failed"
                continue
            try:
                reply = decode_string_reply(output)
            except ParcelError as error:
                reason = f"{method}: {error}"
                continue
            if reply.error:
                reason = f"{method}: {reply.error}"
                continue
            if reply.text:
                self._subinfo_root = as_root
                return reply.text.strip(), ""
            reason = f"{method} returned nothing"
        return None, reason

    def _subinfo_source(self, code: int) -> str:
        root = " (as root)" if getattr(self, "_subinfo_root", False) else ""
        return f"service call iphonesubinfo {code} s16 {CALLER}{root}"


def read_android(shell: Shell, *, adb_serial: str = "") -> DeviceReading:
    """Read an Android phone through ``shell`` (see :class:`AndroidReader`)."""
    return AndroidReader(shell, adb_serial=adb_serial).read()
