"""Local data: keyring credentials, card history (SQLite), machine policy, kiosk PIN.

No Qt here; the CLI and the window use the same pieces. Import the submodules
directly (``from capdesk.store.history import CardHistory``) so that, for example,
the history does not pull in keyring.
"""
