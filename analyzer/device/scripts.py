"""The shell scripts that put the mitmproxy CA into an Android system trust store and take it out.

Approach (the one HTTP Toolkit documents for rooted devices and emulators, "Intercepting Android
HTTPS" / "Android 14 system CA certificates"): never write to the system partition; mount a tmpfs
over ``/system/etc/security/cacerts`` holding the existing certificates plus ours, and on Android
14+ (certificates in the ``com.android.conscrypt`` APEX) bind that folder over the APEX folder in
the global mount namespace, in each zygote's and in each running app's. A reboot undoes all of
it; the remove script undoes it without one. Both run as root and start with a ``:`` no-op that
names them in logs.
"""

from __future__ import annotations

SYSTEM_CACERTS = "/system/etc/security/cacerts"
APEX_CACERTS = "/apex/com.android.conscrypt/cacerts"
STAGING = "/data/local/tmp/leakmap-{hash}.0"
USER_CA_PATH = "/sdcard/Download/leakmap-mitmproxy-ca.pem"


def install_script(cert_hash: str) -> str:
    """Root script: tmpfs over the system CA folder with our ``<hash>.0``, APEX bind mounts."""
    if not (len(cert_hash) == 8 and all(c in "0123456789abcdef" for c in cert_hash)):
        raise ValueError(f"not a subject hash: {cert_hash!r}")
    staged = STAGING.format(hash=cert_hash)
    return f"""\
: leakmap-ca-install; set -e
SYS={SYSTEM_CACERTS}; APEX={APEX_CACERTS}; COPY=/data/local/tmp/leakmap-cacerts
if ! grep -q " $SYS tmpfs " /proc/mounts; then
  rm -rf $COPY; mkdir -p $COPY
  if [ -d $APEX ]; then cp $APEX/* $COPY/; else cp $SYS/* $COPY/; fi
  mount -t tmpfs tmpfs $SYS
  cp $COPY/* $SYS/
  rm -rf $COPY
fi
cp {staged} $SYS/{cert_hash}.0
chown root:root $SYS/*; chmod 644 $SYS/*
chcon u:object_r:system_file:s0 $SYS/* 2>/dev/null || true
if [ -d $APEX ]; then
  mount --bind $SYS $APEX
  for Z in $(pidof zygote zygote64); do
    nsenter --mount=/proc/$Z/ns/mnt -- /bin/mount --bind $SYS $APEX
    for P in $(ps -o PID -P $Z | grep -v PID); do
      nsenter --mount=/proc/$P/ns/mnt -- /bin/mount --bind $SYS $APEX 2>/dev/null || true
    done
  done
fi
rm -f {staged}
"""


def remove_script() -> str:
    """Root script: undo :func:`install_script` (harmless when nothing is mounted)."""
    return f"""\
: leakmap-ca-remove;
SYS={SYSTEM_CACERTS}; APEX={APEX_CACERTS}
if [ -d $APEX ]; then
  for Z in $(pidof zygote zygote64); do
    for P in $(ps -o PID -P $Z | grep -v PID); do
      nsenter --mount=/proc/$P/ns/mnt -- /bin/umount $APEX 2>/dev/null
    done
    nsenter --mount=/proc/$Z/ns/mnt -- /bin/umount $APEX 2>/dev/null
  done
  umount $APEX 2>/dev/null
fi
umount $SYS 2>/dev/null
rm -f /data/local/tmp/leakmap-*.0
if grep -q " $SYS tmpfs " /proc/mounts; then echo "$SYS is still mounted"; exit 1; fi
exit 0
"""
