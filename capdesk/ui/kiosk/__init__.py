"""Kiosk mode: full screen, the administrator lock, closing rules and the idle reset."""
