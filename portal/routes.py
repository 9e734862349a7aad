from flask import redirect, render_template, url_for

from portal import bp
from portal.tenancy import tenant_from_slug


@bp.get("/")
def home(tenant_slug: str):
    return redirect(url_for("portal.login", tenant_slug=tenant_slug))


@bp.route("/login", methods=["GET", "POST"])
def login(tenant_slug: str):
    tenant = tenant_from_slug(tenant_slug)
    return render_template("portal/login.html", tenant=tenant)


@bp.post("/logout")
def logout(tenant_slug: str):
    return redirect(url_for("portal.login", tenant_slug=tenant_slug))


@bp.get("/invoices")
def invoices(tenant_slug: str):
    return redirect(url_for("portal.login", tenant_slug=tenant_slug))


@bp.get("/payments")
def payments(tenant_slug: str):
    return redirect(url_for("portal.login", tenant_slug=tenant_slug))
