"""What may be stored as a contact's file: no executables (judged by content and by name), a
size limit, and a name that is safe to store and to send back."""

import mimetypes
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

# Leading bytes of executable formats, with the name the user is told.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    # Universal Mach-O binaries and Java classes share this magic number; both are refused.
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or a Java class"),
    (b"\xca\xfe\xba\xbf", "a Mach-O universal binary"),
    (b"#!", "a script (it starts with #!)"),
    (b"\x00asm", "a WebAssembly module"),
    (b"dex\n", "an Android executable (DEX)"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "a Windows shortcut"),
)
# Names that run when opened, whatever their content looks like.
EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "dll", "com", "scr", "pif", "cpl", "msi", "msp", "msc", "sys", "drv", "ocx", "bat",
    "cmd", "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "lnk", "reg",
    "scf", "inf", "gadget", "application", "appx", "appxbundle", "msix", "msixbundle", "jar",
    "class", "apk", "app", "dmg", "pkg", "command", "sh", "bash", "csh", "ksh", "zsh", "fish",
    "run", "elf", "so", "dylib", "py", "pyc", "pyw", "pl", "rb", "php", "lua",
})  # fmt: skip
HEAD_BYTES = 4096
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 200
# Types a browser would render or run instead of saving; sent as plain bytes.
_ACTIVE_TYPES = (
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "text/xml",
    "text/javascript",
)


def executable_kind(head: bytes, name: str) -> str | None:
    """Why the file counts as an executable ("an ELF executable", …), or None if it does not."""
    content = head[3:] if head.startswith(b"\xef\xbb\xbf") else head  # a UTF-8 BOM before #!
    for magic, kind in _SIGNATURES:
        if content.startswith(magic):
            return kind
    # "MZ" alone also starts ordinary text; a DOS/PE header has binary zeros right after it.
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return "a Windows executable (MZ/PE)"
    extension = PurePosixPath(name.lower()).suffix.lstrip(".")
    if extension in EXECUTABLE_EXTENSIONS:
        return f"a program or script (.{extension} file)"
    return None


def safe_file_name(name: str) -> str:
    """The last path component, without control or reserved characters, at most 200 characters."""
    base = PureWindowsPath(PurePosixPath(unicodedata.normalize("NFC", name or "")).name).name
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    if len(base) > MAX_NAME:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            base = f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}"
        else:
            base = base[:MAX_NAME]
    return base or "file"


def content_type_for(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def download_type(content_type: str) -> str:
    """The type to send a download with: never one the browser would render as a page."""
    if content_type.startswith(_ACTIVE_TYPES):
        return "application/octet-stream"
    return content_type
