"""Marketplace accounts: register, sign in and out, verify e-mail, reset password."""

from flask import redirect, render_template, url_for

from marketplace import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    return render_template("marketplace/index.html")


@bp.route("/register", methods=["GET", "POST"])
def register():
    return render_template("marketplace/index.html")


@bp.post("/logout")
def logout():
    return redirect(url_for("marketplace.index"))
