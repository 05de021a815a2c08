"""Decoders: from a stored flow to the flat list of values the phone sent.

``decode_flow(flow_row, messages) -> (fields, notes)``; see :mod:`analyzer.decode.flow`.
"""

from analyzer.decode.fields import Field, Limits
from analyzer.decode.flow import decode_flow

__all__ = ["Field", "Limits", "decode_flow"]
