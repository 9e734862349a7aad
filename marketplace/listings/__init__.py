"""A listing's public page and the seller dashboard."""
