"""Contact portal: a breeder's clients sign in and check their invoices and payments.

One blueprint under /portal/<tenant_slug>, one package per feature (accounts, invoices), each with routes.py,
forms.py and queries.py. The tenant is bound from the URL before every view (portal.tenancy).
"""

from flask import Blueprint

from portal.tenancy import enter_tenant, leave_tenant

bp = Blueprint("portal", __name__)
bp.before_request(enter_tenant)
bp.teardown_request(leave_tenant)

from portal.accounts import routes as _accounts  # noqa: E402,F401
from portal.invoices import routes as _invoices  # noqa: E402,F401
from portal.pay import routes as _pay  # noqa: E402,F401
