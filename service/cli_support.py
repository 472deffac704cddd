"""What both command groups (`triage …` and `triage rules …`) share: failing clearly, reading request files."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from service.errors import TriageError
from service.textfiles import read_office_text


def fail(exc: TriageError) -> None:
    """Print the error (it names the file, line or field) and exit 1."""
    typer.echo(str(exc), err=True)
    raise typer.Exit(1)


def describe(exc: ValidationError) -> str:
    """A request's validation errors as `field: message; …`."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "line"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def read_requests(path: Path) -> list:
    """Cases from a JSONL file (one request per line, as the API takes them); a bad line is an error naming
    file:line and the field."""
    from service.domain import Case

    if not path.exists():
        raise TriageError(f"{path}: no such file")
    requests = []
    for number, line in enumerate(read_office_text(path).splitlines(), start=1):
        if line.strip():
            try:
                requests.append(Case.model_validate_json(line))
            except ValidationError as exc:
                raise TriageError(f"{path}:{number}: {describe(exc)}") from exc
    return requests
