"""What the frozen build leaves out, in one place the spec and the tests both read.

capdesk uses four Qt modules (QtCore, QtGui, QtWidgets, QtNetwork for the
single-instance pipe) plus QtPrintSupport for card labels. Everything else that
PyInstaller's Qt hooks would drag in (other bindings, QML/Quick, WebEngine,
Multimedia, unused plugins, every image-format plugin, Qt's translations, a
software OpenGL renderer) only makes the installer bigger and slower to unpack, so it is
excluded here. Each rule names why; a rule is only safe if ``--smoke-test`` on
the frozen build still passes (``installer/build.py --check``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

# Python modules never bundled (other Qt bindings, Tk, test and packaging tools).
EXCLUDED_MODULES: tuple[str, ...] = (
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "shiboken2",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DRender",
    "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic",
    "PySide6.Qt3DExtras",
    "PySide6.Qt3DAnimation",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtSpatialAudio",
    "PySide6.QtTextToSpeech",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtGraphsWidgets",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtXml",
    "PySide6.QtBluetooth",
    "PySide6.QtNfc",
    "PySide6.QtPositioning",
    "PySide6.QtLocation",
    "PySide6.QtSensors",
    "PySide6.QtSerialPort",
    "PySide6.QtSerialBus",
    "PySide6.QtRemoteObjects",
    "PySide6.QtScxml",
    "PySide6.QtStateMachine",
    "PySide6.QtHttpServer",
    "PySide6.QtNetworkAuth",
    "PySide6.QtConcurrent",
    "PySide6.QtDBus",
    "PySide6.QtAxContainer",
    # phonenumberslite: no geocoding/carrier/time-zone data ships; the modules are unused.
    "phonenumbers.geocoder",
    "phonenumbers.carrier",
    "phonenumbers.timezone",
    "phonenumbers.prefix",
    # Developer tools that packages import optionally.
    "pytest",
    "_pytest",
    "hypothesis",
    "IPython",
    "pydoc_data",
    "idlelib",
    "lib2to3",
    "ensurepip",
    "venv",
    "distutils",
    "setuptools",
    "pip",
    "unittest.mock",
    "xmlrpc",
    "numpy",
)

# Qt plugin folders kept whole; any other plugin folder is dropped.
KEPT_PLUGIN_DIRS: frozenset[str] = frozenset(
    {
        "platforms",  # filtered further below
        "styles",  # qmodernwindowsstyle: the native Windows 11 look
        "imageformats",  # filtered further below
        "printsupport",  # card labels (QPrintPreviewDialog)
        "platforminputcontexts",  # filtered further below (IME/compose on Linux)
        "xcbglintegrations",  # Linux only, tiny
    }
)

# Platform plugins: the desktop ones and offscreen (for --smoke-test and CI).
KEPT_PLATFORMS: frozenset[str] = frozenset({"qwindows", "qxcb", "qoffscreen", "qcocoa"})

# Image-format plugins: none. capdesk reads one image at run time, the window icon
# resources/capdesk.png, and PNG (like BMP) is built into QtGui. qico is Qt's plugin for
# reading/writing .ico files, and no Qt code reads capdesk.ico: Windows takes the icon
# of the exes, shortcuts and Add/Remove Programs from the resource PyInstaller embeds
# in capdesk.exe, and NSIS reads the .ico when it compiles; make_icon.py writes it
# itself. Keep a format here only when the app loads an image of it.
KEPT_IMAGEFORMATS: frozenset[str] = frozenset()

# Input contexts: keep compose/ibus (Linux); the Qt virtual keyboard needs QtQuick.
DROPPED_INPUTCONTEXTS: frozenset[str] = frozenset({"qtvirtualkeyboardplugin"})

# Qt's own translations (the buttons of Qt's dialogs): none yet. Nothing installs a
# QTranslator, so qtbase_*.qm would be shipped and never loaded. Add the languages
# here when capdesk loads them (the languages issue), e.g. {"de", "fr"}.
KEPT_TRANSLATIONS: frozenset[str] = frozenset()

# Large Windows DLLs a widgets-only app does not load: the software OpenGL renderer and
# the Direct3D shader compiler (both only for OpenGL/Quick). ICU stays on Linux, where
# Qt6Core links to it; Windows PySide6 wheels use the system's ICU.
DROPPED_BINARIES: frozenset[str] = frozenset(
    {"opengl32sw.dll", "d3dcompiler_47.dll", "libegl.dll", "libglesv2.dll"}
)

# Qt libraries pulled in only by the modules and plugins dropped above.
DROPPED_QT_LIBRARY = re.compile(
    r"(?i)(^|[\\/])(lib)?Qt6(Quick|Qml|Pdf|Svg|VirtualKeyboard|Wayland|WlShell|Multimedia|"
    r"WebEngine|Sql|Test|Designer)[^\\/]*$"
)

_SHARED_SUFFIX = re.compile(r"(?i)\.(dll|so(\.\d+)*|dylib)$")


def _plugin_name(filename: str) -> str:
    stem = _SHARED_SUFFIX.sub("", filename)
    return stem[3:] if stem.startswith("lib") else stem


def keep(dest: str) -> bool:
    """Whether the bundle file at ``dest`` (a path inside the bundle) is kept."""
    parts = re.split(r"[\\/]", dest)
    name = parts[-1]
    if name.lower() in DROPPED_BINARIES:
        return False
    if "plugins" in parts[:-1]:
        inside = parts[parts.index("plugins") + 1 :]
        if len(inside) >= 2:  # plugins/<folder>/<file>
            folder, plugin = inside[0], _plugin_name(name)
            if folder not in KEPT_PLUGIN_DIRS:
                return False
            if folder == "platforms":
                return plugin in KEPT_PLATFORMS
            if folder == "imageformats":
                return plugin in KEPT_IMAGEFORMATS
            if folder == "platforminputcontexts":
                return plugin not in DROPPED_INPUTCONTEXTS
        return True
    if "translations" in parts[:-1] and name.endswith(".qm"):
        match = re.fullmatch(r"qtbase_([A-Za-z_]+)\.qm", name)
        return bool(match) and match.group(1) in KEPT_TRANSLATIONS
    return not DROPPED_QT_LIBRARY.search(dest)


# --- Linux only: libraries the host desktop provides ---------------------------------
#
# On Linux PyInstaller copies every shared library the bundle links to, including the
# build machine's own /lib ones (~20 MB). Two groups are left to the target desktop:
#
# 1. The base libraries of AppImage's "excludelist" (github.com/AppImage/pkg2appimage,
#    also used by linuxdeployqt): present on every glibc desktop, and some *must* come
#    from the host: a bundled libstdc++/libgcc_s older than the host's breaks its GPU
#    (Mesa) drivers; X11/fontconfig/freetype/glib must match the running session.
#    Plus the two libraries only those pull in (pcre2 <- glib, png16 <- freetype).
# 2. The CUPS client stack, loaded only by Qt's CUPS print plugin: printing to a printer
#    needs CUPS installed, which brings libcups2 and these; without CUPS the plugin is
#    simply not loaded and the label preview / print to PDF still work.
#
# Everything else stays bundled, notably what Python itself links to (libssl/libcrypto,
# libsqlite3, libffi, liblzma...), xcb-util/xkbcommon (missing on many desktops: Qt's
# "xcb-cursor0 is needed" error), dbus and Kerberos (hard dependencies of Qt6DBus and
# Qt6Network not on the list). Only files whose *source* is a system library folder
# are affected: never libpython or anything from the virtual environment or PySide6.
# Windows (and macOS) builds are untouched.
HOST_LIBRARIES: frozenset[str] = frozenset(
    {
        # 1. AppImage excludelist (those this build links to) and their private deps
        "libstdc++.so.6",
        "libgcc_s.so.1",
        "libX11.so.6",
        "libglib-2.0.so.0",
        "libfontconfig.so.1",
        "libfreetype.so.6",
        "libexpat.so.1",
        "libz.so.1",
        "libp11-kit.so.0",
        "libgpg-error.so.0",
        "libuuid.so.1",
        "libcom_err.so.2",
        "libpcre2-8.so.0",
        "libpng16.so.16",
        # 2. CUPS client stack (only for plugins/printsupport/libcupsprintersupport.so)
        "libcups.so.2",
        "libavahi-client.so.3",
        "libavahi-common.so.3",
        "libgnutls.so.30",
        "libunistring.so.2",
        "libidn2.so.0",
        "libnettle.so.8",
        "libhogweed.so.6",
        "libgmp.so.10",
        "libtasn1.so.6",
    }
)

# Where the host's own libraries live (Debian/Ubuntu multiarch and Fedora/Arch layouts).
HOST_LIBRARY_DIRS: tuple[str, ...] = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def is_host_library(dest: str, source: str, platform: str = sys.platform) -> bool:
    """Whether ``dest`` is a Linux host library the target desktop provides (see above)."""
    if not platform.startswith("linux") or "/" in dest.replace("\\", "/"):
        return False  # only top-level _internal/ files; PySide6/Qt/lib/... never
    if not source.startswith(HOST_LIBRARY_DIRS) or "python" in source.lower():
        return False
    return dest in HOST_LIBRARIES


def keep_entry(entry: tuple[str, str, str], platform: str = sys.platform) -> bool:
    """Whether a TOC entry (dest, source, kind) is kept: :func:`keep`, and not a host library."""
    dest, source = entry[0], entry[1]
    return keep(dest) and not is_host_library(dest, source or "", platform)


def filter_toc(
    entries: Iterable[tuple[str, str, str]], platform: str = sys.platform
) -> list[tuple[str, str, str]]:
    """A PyInstaller TOC (dest, source, kind) without the entries :func:`keep_entry` drops."""
    return [entry for entry in entries if keep_entry(entry, platform)]


def dropped(entries: Iterable[tuple[str, str, str]], platform: str = sys.platform) -> list[str]:
    """The destinations :func:`filter_toc` would drop (printed by the build)."""
    return [entry[0] for entry in entries if not keep_entry(entry, platform)]
