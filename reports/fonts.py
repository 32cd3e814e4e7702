"""Which installed fonts can draw Chinese, asked of fontconfig (what WeasyPrint's Pango uses).

A PDF rendered where no font covers Chinese is a page of empty boxes that still "contains" the
text (its text layer extracts fine), so nobody notices until it is printed. Rendering refuses
instead (`require_cjk_font`), with a message that says what to install.

fontconfig is called through ctypes: it is a shared library WeasyPrint itself loads, so it is
there wherever PDFs can be made; the `fc-list` program may not be.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

from django.utils.translation import gettext as _


class CJKFontMissing(RuntimeError):
    """No installed font can draw Chinese text."""


class _FcFontSet(ctypes.Structure):
    _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.POINTER(ctypes.c_void_p))]


@functools.cache
def _fontconfig() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("fontconfig")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    lib.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    lib.FcNameParse.restype = ctypes.c_void_p
    lib.FcNameParse.argtypes = [ctypes.c_char_p]
    lib.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    lib.FcObjectSetCreate.restype = ctypes.c_void_p
    lib.FcObjectSetAdd.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.FcObjectSetDestroy.argtypes = [ctypes.c_void_p]
    lib.FcFontList.restype = ctypes.POINTER(_FcFontSet)
    lib.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.FcFontSetDestroy.argtypes = [ctypes.POINTER(_FcFontSet)]
    lib.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    return lib


def cjk_font_families() -> list[str]:
    """The families of the installed fonts that cover Chinese (like `fc-list :lang=zh family`),
    read afresh from fontconfig's configuration (so a font installed since start-up counts)."""
    lib = _fontconfig()
    if lib is None:
        return []
    config = lib.FcInitLoadConfigAndFonts()
    pattern = lib.FcNameParse(b":lang=zh")
    objects = lib.FcObjectSetCreate()
    lib.FcObjectSetAdd(objects, b"family")
    fonts = lib.FcFontList(config, pattern, objects)
    families: set[str] = set()
    try:
        if fonts:
            for i in range(fonts.contents.nfont):
                value = ctypes.c_char_p()
                if lib.FcPatternGetString(fonts.contents.fonts[i], b"family", 0, ctypes.byref(value)) == 0:
                    families.add(value.value.decode("utf-8", "replace"))
    finally:
        if fonts:
            lib.FcFontSetDestroy(fonts)
        lib.FcObjectSetDestroy(objects)
        lib.FcPatternDestroy(pattern)
        if config:
            lib.FcConfigDestroy(config)
    return sorted(families)


def require_cjk_font() -> None:
    """Raise CJKFontMissing, with a message for the person who will read it, unless a font that
    draws Chinese is installed."""
    if not cjk_font_families():
        raise CJKFontMissing(
            _(
                "No font that can draw Chinese is installed on the server, so the PDF would show empty boxes. "
                "Ask the administrator to install one (Debian: apt-get install fonts-noto-cjk or "
                "fonts-wqy-microhei)."
            )
        )
