"""Public listing browser and listing pages."""

from flask import render_template

from marketplace import bp


@bp.get("/")
def index():
    return render_template("marketplace/index.html")


@bp.get("/listings")
def listings():
    return render_template("marketplace/index.html")
