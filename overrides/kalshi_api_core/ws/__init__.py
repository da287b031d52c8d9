"""WebSocket streaming: local state built from Kalshi's WebSocket channels."""
