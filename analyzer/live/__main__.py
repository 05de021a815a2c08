"""``python -m analyzer.live``: the live view's process (see :mod:`analyzer.live.process`)."""

import sys

from analyzer.live.process import main

sys.exit(main())
