"""No number field anywhere can be made to overflow: every form's number field is app.forms.WholeNumberField,
which refuses too many digits before converting (a 310-digit number was a 500 through WTForms' NumberRange)."""

from __future__ import annotations

from flask import Flask
from flask_wtf import FlaskForm
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields.core import UnboundField

from app.forms import WholeNumberField

NUMBER_FIELDS = (IntegerField, DecimalField, FloatField)


def _all_form_classes(cls: type = FlaskForm) -> set[type]:
    found = set()
    for subclass in cls.__subclasses__():
        found.add(subclass)
        found |= _all_form_classes(subclass)
    return found


def test_every_number_field_of_every_form_bounds_its_digits(app: Flask):
    # The app is built, so every feature package (and its forms module) has been imported.
    forms = {
        form
        for form in _all_form_classes()
        if form.__module__.split(".")[0] in {"app", "marketplace", "portal"}
    }
    assert forms, "no forms found"
    unbounded = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms
        for name, unbound in vars(form).items()
        if isinstance(unbound, UnboundField)
        and issubclass(unbound.field_class, NUMBER_FIELDS)
        and not issubclass(unbound.field_class, WholeNumberField)
    ]
    assert unbounded == []
