"""One capdesk window per user: a second launch focuses the first and exits.

Counter staff double-click the desktop icon again when the window is hidden behind
the till software; two windows would then fight over the clipboard and the
history file. Kiosks must never show a second window either.

How it works:

* "Am I first?" is decided by a :class:`~PySide6.QtCore.QLockFile` in the user's
  temp folder. Qt writes our PID into it and treats a lock whose process has died
  as stale, so a crash never blocks the next start. A lock is atomic, unlike
  "try to connect, else listen", where two quick double-clicks can both win.
* The first instance listens on a :class:`~PySide6.QtNetwork.QLocalServer` (a
  named pipe on Windows, a socket file elsewhere), only for this user. Before
  listening it calls ``removeServer`` to clear a socket file left by a crash.
* A later instance connects, sends ``activate`` and its ``acquire()`` returns
  False, so ``main`` exits; the first emits :attr:`SingleInstance.activationRequested`
  and the window raises itself (:func:`bring_to_front`).

Names include a hash of the user name so that two people signed in to one PC (fast
user switching, terminal servers) each get their own instance.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, QEventLoop, QLockFile, QObject, Qt, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
ASFW_ANY = -1  # AllowSetForegroundWindow: any process may take the foreground


def _user_tag() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in odd service contexts; one shared name is fine
        user = "user"
    return hashlib.sha256(user.encode("utf-8")).hexdigest()[:12]


def server_name(key: str) -> str:
    """The per-user local-server name for ``key`` (safe characters only)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
    return f"{safe}-{_user_tag()}"


def allow_foreground_switch(user32: Any | None = None) -> bool:
    """On Windows, let the first instance take the foreground when we ask it to.

    Windows refuses ``SetForegroundWindow`` to a background process unless the
    foreground process (this second launch, which the user just started) allows
    it. Returns True when the call was made. ``user32`` is injectable for tests.
    """
    if user32 is None:
        if sys.platform != "win32":
            return False
        import ctypes

        user32 = ctypes.windll.user32  # type: ignore[attr-defined,unused-ignore]
    try:
        return bool(user32.AllowSetForegroundWindow(ASFW_ANY))
    except OSError:
        log.debug("AllowSetForegroundWindow failed", exc_info=True)
        return False


class SingleInstance(QObject):
    """Decides whether this process is the first capdesk of this user.

    Keep the object alive for the life of the application: the lock lasts as long
    as the object (QLockFile unlocks when destroyed) and a crash leaves a stale lock
    that the next start takes over.
    """

    activationRequested = Signal()

    def __init__(
        self,
        key: str = "capdesk",
        *,
        lock_dir: Path | None = None,
        connect_timeout_ms: int = 2000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._name = server_name(key)
        folder = Path(lock_dir) if lock_dir is not None else Path(QDir.tempPath())
        self._lock_path = folder / f"{self._name}.lock"
        self._lock = QLockFile(str(self._lock_path))
        self._lock.setStaleLockTime(0)  # stale only when the owner's process is gone
        self._connect_timeout_ms = connect_timeout_ms
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._primary = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def is_primary(self) -> bool:
        return self._primary

    def acquire(self) -> bool:
        """True if we are the first instance (now listening); False after asking the first
        one to come to the front, in which case the caller should exit quietly."""
        if self._primary:
            return True
        if self._lock.tryLock(0):
            return self._listen()
        if self._lock.error() != QLockFile.LockError.LockFailedError:
            # No permission or no temp folder: running twice beats not running at all.
            log.warning("single-instance lock unavailable (%s); continuing", self._lock.error())
            self._primary = True
            return True
        self._notify_first()
        return False

    def release(self) -> None:
        """Stop listening and drop the lock (at exit; also done when the object dies)."""
        for socket in list(self._buffers):
            # Cut our slots off first: a socket emits ``disconnected`` while being destroyed.
            socket.readyRead.disconnect(self._on_ready_read)
            socket.disconnected.disconnect(self._on_disconnected)
            socket.abort()
            socket.deleteLater()
        self._buffers.clear()
        if self._server is not None:
            self._server.newConnection.disconnect(self._on_new_connection)
            self._server.close()
            self._server.deleteLater()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()
        self._primary = False

    # -- first instance -------------------------------------------------------------

    def _listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        # We hold the lock, so any server under our name is a leftover from a crash.
        QLocalServer.removeServer(self._name)
        if not server.listen(self._name):
            log.warning("single-instance server could not listen: %s", server.errorString())
            server.deleteLater()
            self._primary = True  # still the first; later launches just can't reach us
            return True
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        self._primary = True
        return True

    def _on_new_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is None:
                break
            self._buffers[socket] = b""
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(self._on_disconnected)
            self._read(socket)  # data may already be there

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _on_disconnected(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket) and self._buffers.pop(socket, None) is not None:
            socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        self._buffers[socket] = data[-64:]  # a message is one short line; bound the buffer
        if ACTIVATE.strip() in data:
            self._buffers[socket] = b""
            log.info("another launch asked this window to come to the front")
            self.activationRequested.emit()

    # -- later instances ------------------------------------------------------------

    def _notify_first(self) -> None:
        allow_foreground_switch()
        deadline = time.monotonic() + self._connect_timeout_ms / 1000
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self._name)
            if socket.waitForConnected(min(500, self._connect_timeout_ms)):
                socket.write(ACTIVATE)
                socket.flush()
                socket.waitForBytesWritten(500)
                socket.disconnectFromServer()
                if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
                    socket.waitForDisconnected(200)
                return
            socket.abort()
            if time.monotonic() >= deadline:
                # The first instance holds the lock but is still starting (or hung).
                log.warning("the running capdesk did not answer: %s", socket.errorString())
                return
            _pause_ms(50)


def _pause_ms(milliseconds: int) -> None:
    """Wait while Qt goes on delivering events (a sleep would freeze this thread, and
    in-process the first instance it is waiting for lives on this very thread)."""
    pause = QEventLoop()
    QTimer.singleShot(milliseconds, pause.quit)
    pause.exec()


def bring_to_front(window: QWidget) -> None:
    """Show, un-minimise, raise and focus ``window`` (connected to activationRequested)."""
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        window.setWindowState(
            (state & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
        )
    if window.isHidden():
        window.show()
    window.raise_()
    window.activateWindow()
