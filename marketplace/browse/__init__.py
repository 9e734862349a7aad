"""Browsing and searching public listings: filters, full-text search, category counts, keyset pages."""
