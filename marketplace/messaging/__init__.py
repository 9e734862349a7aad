"""Buyer–seller conversations: start one on a listing, the inbox, a thread, replies, live updates."""
