"""The live view: while a capture records, a page shows which personal data leaves, and where.

    view = start_live_view("leakmap.db", "meitu-9.1")   # before the proxy starts
    print(view.url)                                     # http://127.0.0.1:PORT/<token>/
    ...
    view.stop()                                         # with the capture

Parts, in the order data flows (store -> live analysis -> live page):

- :mod:`~analyzer.live.tail`: the session's new rows in the store (flows with id > last seen,
  the phone's WebSocket messages, TLS failures, marks);
- :mod:`~analyzer.live.analysis`: detector, GeoIP and owners on each new flow;
- :mod:`~analyzer.live.state`: the bounded state the page shows;
- :mod:`~analyzer.live.server` and :mod:`~analyzer.live.page`: the loopback web server (token,
  Host/Origin checks, CSP) and the page;
- :mod:`~analyzer.live.process`: the child process that runs them (``python -m analyzer.live``),
  outside the proxy's process and at a lower priority;
- :mod:`~analyzer.live.launcher`: how the capture starts and stops that process.
"""

from analyzer.live.launcher import LiveView, start_live_view

__all__ = ["LiveView", "start_live_view"]
