"""Detection: which personal data a flow carries, how it was found and how it was hidden.

    detector = Detector(profile)          # profile: analyzer.profile.Profile or None
    findings = detector.detect(flow_row, messages)

See :class:`Detector`, :class:`Finding`, :func:`mask_value`; the cached per-session analysis is
:func:`analyzer.detect.cache.findings_for_session`.
"""

from analyzer.detect.detector import DETECTOR_VERSION, Detector
from analyzer.detect.finding import Finding, mask_value

__all__ = ["DETECTOR_VERSION", "Detector", "Finding", "mask_value"]
