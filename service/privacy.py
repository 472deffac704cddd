"""Personal data: keyed hashes for linking, masks for display, redaction for logs.

Names, 身份证号 and phone numbers never reach logs, feeds or exports; the store
keeps only a keyed hash (to link a petitioner's cases) and a masked form.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def mask_identifier(value: str) -> str:
    """A caller's petitioner id, shown only by its ends: P2026****17."""
    value = value.strip()
    return f"{value[:max(1, len(value) // 4)]}****{value[-2:]}" if len(value) > 4 else "****"


def mask_id_number(id_number: str) -> str:
    value = id_number.strip()
    return f"{value[:3]}{'*' * max(len(value) - 7, 0)}{value[-4:]}" if len(value) > 7 else "****"


def redact(text: str) -> str:
    """Text with phone numbers and ID numbers masked, for anything that leaves the service."""
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def load_key(data_dir: Path) -> bytes:
    """The linking key: created once per installation, kept beside the database."""
    path = data_dir / "petitioner.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()
