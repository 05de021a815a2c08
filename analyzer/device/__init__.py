"""A test phone, set up and described in one command: adb (Android) and usbmux (iPhone).

- ``adb``: a thin layer over adbutils and the standard adb server (list, select, shell, reverse,
  push); every transport error becomes a one-line :class:`~analyzer.errors.LeakmapError`.
- ``usbmux``: a thin layer over pymobiledevice3 (list iPhones, read lockdown values).
- ``android_parse`` / ``android_dumpsys`` / ``parcel``: pure parsers of command output.
- ``android`` / ``ios``: what a phone says about itself, as a :class:`~analyzer.device.reading.
  DeviceReading` (values with their sources, and what could not be read and why).
- ``reading``: a reading written as a device profile (TOML, docs/profile.md) with comments.
- ``setup``: ``capture --adb``'s set-up of the phone (reverse, system CA, proxy) as explicit steps
  with their undo, cleaned up on Ctrl-C, SIGTERM and errors; ``state`` keeps what was changed so
  ``leakmap device reset`` repairs a phone after a kill -9.
"""
