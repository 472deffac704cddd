"""Text files from office software: UTF-8 (with or without a BOM) or GB18030.

Chinese Windows exports (Excel's CSV, Notepad's 'ANSI', many petition systems)
write GBK, which GB18030 contains; a file in neither is refused by name.
"""

from __future__ import annotations

from pathlib import Path

from service.errors import TriageError

ENCODINGS = ("utf-8-sig", "gb18030")


def read_office_text(path: Path) -> str:
    """The file's text in the first encoding that decodes all of it."""
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TriageError(f"{path}: not readable as UTF-8 or GB18030 text; save it as UTF-8")
