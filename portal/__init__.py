"""Contact portal: a breeder's clients sign in and check their invoices and payments."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from portal import accounts, invoices, tenancy  # noqa: E402,F401
