"""Pay now from "My invoices": a marketplace user pays one of their invoices by card (payments/pages.py)."""
