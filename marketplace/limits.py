"""The marketplace's rate limits and their keys (Flask-Limiter, the app's one limiter).

Keys are built from the request (address, e-mail as typed), never from a database lookup, so a limit behaves
the same for an account that exists and one that does not. The messaging limits are defaults: each can be
overridden in the app config under the same name.
"""

from __future__ import annotations

from datetime import timedelta

from flask import request

from app.throttling import form_email

REGISTER_PER_IP = "10 per hour"
LOGIN_PER_IP = "30 per minute"
# Failures per address and e-mail, so a stranger guessing cannot lock the owner out; and a cap per account
# over all addresses, so many addresses cannot guess without end.
FAILED_LOGINS_PER_IP_AND_EMAIL = "8 per 15 minutes"
FAILED_LOGINS_PER_ACCOUNT = "100 per hour"
RESEND_VERIFICATION_PER_USER = "3 per 15 minutes"
# The signed-out "Send the link again" form, limited like "Forgot your password?".
RESEND_VERIFICATION_PER_IP = "10 per hour"
RESEND_VERIFICATION_PER_EMAIL = "3 per hour"
FORGOT_PER_IP = "10 per hour"
FORGOT_PER_EMAIL = "3 per hour"

MESSAGE_RATE_LIMIT = "30 per 10 minutes"
NEW_THREAD_RATE_LIMIT = "20 per day"
NEW_ACCOUNT_NEW_THREAD_RATE_LIMIT = "3 per day"
NEW_ACCOUNT_AGE = timedelta(days=7)
# "Message the seller" tells how many new conversations are left once this few remain.
FEW_CONVERSATIONS_LEFT = 2
# "Pay now" submissions per signed-in user (as the portal's per contact): a few declined cards, no card testing.
PAY_PER_USER = "10 per 10 minutes;30 per day"


def email_key() -> str:
    return form_email() or request.remote_addr or "unknown"


def ip_and_email_key() -> str:
    return f"{request.remote_addr}|{email_key()}"


# Reviews (marketplace/reviews/): what a review and a reply may hold, and how often one person may write them.
# Each rate is per signed-in user, claimed atomically before anything is written and refunded when nothing was
# (app.throttling); "one review per sale" and "one report per user and review" are unique keys in the database.
REVIEW_TEXT_MAX_CHARS = 2000
REVIEW_REPLY_MAX_CHARS = 1000
REVIEW_RATE_LIMIT = "10 per day"
REVIEW_REPLY_RATE_LIMIT = "30 per day"
REVIEW_REPORT_RATE_LIMIT = "20 per day"


def user_key() -> str:
    """The signed-in user's id (only used behind marketplace_login_required), else the address."""
    from flask_login import current_user

    return f"pay|marketplace|{current_user.account_key if current_user.is_authenticated else request.remote_addr}"
