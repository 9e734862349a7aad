"""Buyer–seller messaging: inbox, threads, replies."""
