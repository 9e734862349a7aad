"""WTForms filters shared by every form. (NUL bytes never get this far: app.security answers them 400.)"""


def strip_text(value: str | None) -> str:
    return (value or "").strip()
