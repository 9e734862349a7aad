from flask import redirect, render_template, url_for

from marketplace import bp


@bp.get("/")
def index():
    return render_template("marketplace/index.html")


@bp.get("/listings")
def listings():
    return render_template("marketplace/index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    return render_template("marketplace/index.html")


@bp.route("/register", methods=["GET", "POST"])
def register():
    return render_template("marketplace/index.html")


@bp.post("/logout")
def logout():
    return redirect(url_for("marketplace.index"))


@bp.get("/dashboard/listings")
def dashboard_listings():
    return redirect(url_for("marketplace.login"))
