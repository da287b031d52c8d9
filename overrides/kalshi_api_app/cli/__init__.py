"""The ``kalshi-api`` command line (also ``python -m kalshi_api``); ``app.main(argv)`` returns the exit code.

``parser`` (the grammar), ``arguments`` (argument types, usage errors), ``connection`` (the client: Kalshi, a
URL, or ``--fake``), ``commands`` (REST), ``stream`` (WebSocket), ``output`` (JSON and tables), ``progress``
(auto-paged listings). Only the standard library and the SDK.
"""
