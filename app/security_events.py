"""Security events of one account in the audit trail (models.AuditEvent): sign-ins and their failures,
sign-outs, password and two-factor changes, invitations and suspensions. The account's own "security" page
lists its recent ones, so a person can notice what they did not do.

Each event's subject is the account ("Contact" or "MarketplaceUser" and its id), which the subject index serves.
The actor is the account itself, except for what someone else did: a failed sign-in (someone with the e-mail,
actor "system") or an operator's command (actor "cli").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from app.extensions import db
from models import (
    ActorKind,
    AuditEvent,
    Contact,
    MarketplaceUser,
    cross_tenant,
    current_tenant_id,
    record_audit,
)

RECENT_EVENTS = 20


class SecurityAction(StrEnum):
    SIGNED_IN = "account.signed_in"
    SIGN_IN_FAILED = "account.sign_in_failed"
    SECOND_FACTOR_FAILED = "account.second_factor_failed"
    SIGNED_OUT = "account.signed_out"
    SESSION_EXPIRED = "account.session_expired"
    SESSION_ENDED = "account.session_ended"
    SIGNED_OUT_EVERYWHERE_ELSE = "account.signed_out_everywhere_else"
    PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 - an action's name, not a secret
    PASSWORD_RESET = "account.password_reset"  # noqa: S105 - an action's name, not a secret
    PASSWORD_SET_FROM_INVITE = "account.password_set_from_invite"  # noqa: S105 - an action's name, not a secret
    TWO_FACTOR_ENABLED = "account.two_factor_enabled"
    TWO_FACTOR_DISABLED = "account.two_factor_disabled"
    RECOVERY_CODE_USED = "account.recovery_code_used"
    INVITED = "account.invited"
    SUSPENDED = "account.suspended"
    REINSTATED = "account.reinstated"


DESCRIPTIONS = {
    SecurityAction.SIGNED_IN: "Signed in",
    SecurityAction.SIGN_IN_FAILED: "Failed sign-in (wrong password)",
    SecurityAction.SECOND_FACTOR_FAILED: "Failed sign-in (wrong two-factor code)",
    SecurityAction.SIGNED_OUT: "Signed out",
    SecurityAction.SESSION_EXPIRED: "Session expired",
    SecurityAction.SESSION_ENDED: "Signed out another device",
    SecurityAction.SIGNED_OUT_EVERYWHERE_ELSE: "Signed out everywhere else",
    SecurityAction.PASSWORD_CHANGED: "Password changed",
    SecurityAction.PASSWORD_RESET: "Password reset from an e-mailed link",
    SecurityAction.PASSWORD_SET_FROM_INVITE: "Password chosen from the invitation",
    SecurityAction.TWO_FACTOR_ENABLED: "Two-factor sign-in turned on",
    SecurityAction.TWO_FACTOR_DISABLED: "Two-factor sign-in turned off",
    SecurityAction.RECOVERY_CODE_USED: "Recovery code used",
    SecurityAction.INVITED: "Invited to the client portal",
    SecurityAction.SUSPENDED: "Account suspended",
    SecurityAction.REINSTATED: "Account reinstated",
}
ACTOR_OF_ACCOUNT = {"contact": ActorKind.CONTACT, "marketplace": ActorKind.MARKETPLACE_USER}


def _subject(account: Contact | MarketplaceUser) -> tuple[str, str, int | None]:
    if isinstance(account, Contact):
        return "contact", "Contact", account.tenant_id
    return "marketplace", "MarketplaceUser", None


def _where_from() -> dict[str, Any]:
    if not has_request_context():
        return {}
    return {"ip": request.remote_addr, "user_agent": (request.user_agent.string or "")[:200]}


CONTACT_EVENT_ELSEWHERE = "a portal client's own security event, written outside their portal"


def record_security_event(
    account: Contact | MarketplaceUser,
    action: SecurityAction,
    *,
    actor_kind: ActorKind | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add the event to the db session; the caller's commit writes it with the change it describes."""
    kind, table, tenant_id = _subject(account)
    actor = actor_kind or ACTOR_OF_ACCOUNT[kind]
    event = record_audit(
        db.session,
        actor_kind=actor,
        actor_id=account.id if actor == ACTOR_OF_ACCOUNT[kind] else None,
        action=action,
        subject_table=table,
        subject_id=account.id,
        tenant_id=tenant_id,
        after={**_where_from(), **(detail or {})},
    )
    if tenant_id is not None and current_tenant_id() != tenant_id:
        # A portal client's own event written outside their portal (signed out from a marketplace page, a session
        # expiring there): row security would refuse reading the new row back, so write it now, named. What else
        # is pending was written by this same request about this same account (its session row).
        with cross_tenant(CONTACT_EVENT_ELSEWHERE):
            db.session.flush()
    return event


def recent_security_events(account: Contact | MarketplaceUser) -> list[AuditEvent]:
    _kind, table, _tenant = _subject(account)
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject_table == table,
                AuditEvent.subject_id == account.id,
                AuditEvent.action.in_(list(SecurityAction)),
            )
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(RECENT_EVENTS)
        )
    )


def describe(event: AuditEvent) -> str:
    return DESCRIPTIONS.get(event.action, event.action)  # type: ignore[call-overload]
