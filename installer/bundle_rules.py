"""What the frozen build leaves out, in one place the spec and the tests both read.

capdesk uses four Qt modules (QtCore, QtGui, QtWidgets, QtNetwork for the
single-instance pipe) plus QtPrintSupport for card labels. Everything else that
PyInstaller's Qt hooks would drag in (other bindings, QML/Quick, WebEngine,
Multimedia, unused plugins and image formats, most translations, a software
OpenGL renderer) only makes the installer bigger and slower to unpack, so it is
excluded here. Each rule names why; a rule is only safe if ``--smoke-test`` on
the frozen build still passes (``installer/build.py --check``).
"""

from __future__ import annotations

import re
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

# Image formats: PNG/BMP are built into QtGui; .ico is read for the window icon.
KEPT_IMAGEFORMATS: frozenset[str] = frozenset({"qico"})

# Input contexts: keep compose/ibus (Linux); the Qt virtual keyboard needs QtQuick.
DROPPED_INPUTCONTEXTS: frozenset[str] = frozenset({"qtvirtualkeyboardplugin"})

# Qt's own translations (Qt dialogs' buttons), a few languages of the markets served.
KEPT_TRANSLATIONS: frozenset[str] = frozenset({"ar", "de", "es", "fr", "ja", "zh_CN"})

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


def filter_toc(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """A PyInstaller TOC (dest, source, kind) without the entries :func:`keep` drops."""
    return [entry for entry in entries if keep(entry[0])]


def dropped(entries: Iterable[tuple[str, str, str]]) -> list[str]:
    """The destinations :func:`filter_toc` would drop (printed by the build)."""
    return [entry[0] for entry in entries if not keep(entry[0])]
