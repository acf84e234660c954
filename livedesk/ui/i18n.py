"""UI language: Qt's own translations plus LiveDesk's, zh_CN first, English available."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from livedesk.resources_path import resource_path

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def translations_file(language: str):
    return resource_path("i18n", f"livedesk_{language}.qm")


def install_translators(app: QCoreApplication, language: str) -> list[str]:
    """Install translators for ``language``; return what was loaded (for the self-test)."""
    loaded: list[str] = []
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    QLocale.setDefault(QLocale(language))
    if language == "en":
        # The source strings are English; the small catalogue holds their singular forms only.
        plurals = QTranslator(app)
        if plurals.load(str(translations_file("en"))):
            app.installTranslator(plurals)
            loaded.append("livedesk_en")
        return loaded
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qt", "qtbase"):
        translator = QTranslator(app)
        if translator.load(f"{name}_{language}", qt_dir):
            app.installTranslator(translator)
            loaded.append(f"{name}_{language}")
            break  # qt_xx pulls in qtbase_xx and the other Qt catalogues
    ours = QTranslator(app)
    if ours.load(str(translations_file(language))):
        app.installTranslator(ours)
        loaded.append(f"livedesk_{language}")
    return loaded
