"""TOTP two-factor sign-in (RFC 6238, pyotp) and its recovery codes, for portal contacts and marketplace users.

- A code is accepted for the current 30-second step or one step either side (clock drift), and only for a step
  later than the last one accepted: one UPDATE checks and records that, so a code cannot be replayed within its
  window, not even by two requests at once.
- Recovery codes are 16 random base32 characters (80 bits) each. They are stored as SHA-256, not argon2: argon2's
  cost protects low-entropy secrets people choose, while 80 random bits cannot be brute-forced from a fast hash;
  and an exact hash lets one UPDATE find and spend a code atomically, so a code works once even under a race.
- The enrolment QR code is drawn on the server (segno) as inline SVG: no third-party image service sees the
  secret, and the page's CSP (img-src 'self', no inline styles) needs no exception.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Literal

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, select, update

from app.extensions import db
from app.sessions import IdentityKind, owned_by
from models import TwoFactorCredential, TwoFactorRecoveryCode
from models.types import utcnow

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 16
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_RE = re.compile(r"^\d{6}$")
CODE_INPUT_MAX = 40

Accepted = Literal["code", "recovery_code"]


def credential_of(kind: IdentityKind, account_id: int) -> TwoFactorCredential | None:
    """The account's credential, enabled or still being enrolled."""
    return db.session.scalars(
        select(TwoFactorCredential).where(owned_by(kind, account_id, TwoFactorCredential))
    ).one_or_none()


def enabled_credential(kind: IdentityKind, account_id: int) -> TwoFactorCredential | None:
    credential = credential_of(kind, account_id)
    return credential if credential is not None and credential.enabled_at is not None else None


def start_enrolment(kind: IdentityKind, account_id: int) -> TwoFactorCredential:
    """A new secret waiting for its first code (replacing an unfinished enrolment). Not for an enabled one."""
    credential = credential_of(kind, account_id)
    if credential is None:
        credential = TwoFactorCredential(
            **{"contact_id" if kind == "contact" else "marketplace_user_id": account_id}
        )
        db.session.add(credential)
    credential.secret = pyotp.random_base32()
    credential.enabled_at = None
    credential.last_used_step = None
    db.session.flush()
    return credential


def provisioning_uri(credential: TwoFactorCredential, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(credential.secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_code_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (segno writes attributes only: no style for the CSP to block)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code for your app"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup; the URI is encoded as modules, never as text


def _normalise(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "").upper()[:CODE_INPUT_MAX]


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(credential: TwoFactorCredential, code: str, now: float | None = None) -> bool:
    """True when `code` is right and its step is later than any accepted before (recorded, in one UPDATE)."""
    code = _normalise(code)
    if not CODE_RE.match(code):
        return False
    step = _matching_step(credential.secret, code, time.time() if now is None else now)
    if step is None:
        return False
    claimed = db.session.execute(
        update(TwoFactorCredential)
        .where(
            TwoFactorCredential.id == credential.id,
            TwoFactorCredential.last_used_step.is_(None) | (TwoFactorCredential.last_used_step < step),
        )
        .values(last_used_step=step)
        .returning(TwoFactorCredential.id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    return claimed is not None


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_recovery_codes(credential: TwoFactorCredential) -> list[str]:
    """Ten fresh codes (the old ones stop working), shown once: only their hashes are kept."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    db.session.execute(
        delete(TwoFactorRecoveryCode).where(TwoFactorRecoveryCode.credential_id == credential.id)
    )
    db.session.add_all(
        TwoFactorRecoveryCode(credential_id=credential.id, code_hash=_code_hash(c)) for c in codes
    )
    db.session.flush()
    return [f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}" for code in codes]


def use_recovery_code(credential: TwoFactorCredential, code: str) -> bool:
    """Spend one unused recovery code (atomically: a code works once, even for two requests at once)."""
    if len(_normalise(code)) != RECOVERY_CODE_LENGTH:
        return False
    spent = db.session.execute(
        update(TwoFactorRecoveryCode)
        .where(
            TwoFactorRecoveryCode.credential_id == credential.id,
            TwoFactorRecoveryCode.code_hash == _code_hash(code),
            TwoFactorRecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .returning(TwoFactorRecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    return spent is not None


def accept_code_or_recovery_code(credential: TwoFactorCredential, text: str) -> Accepted | None:
    if accept_code(credential, text):
        return "code"
    if use_recovery_code(credential, text):
        return "recovery_code"
    return None


def unused_recovery_codes(credential: TwoFactorCredential) -> int:
    return len(
        db.session.scalars(
            select(TwoFactorRecoveryCode.id).where(
                TwoFactorRecoveryCode.credential_id == credential.id, TwoFactorRecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def disable(credential: TwoFactorCredential) -> None:
    db.session.delete(credential)  # its recovery codes go with it (ON DELETE CASCADE)
    db.session.flush()
