"""Marketplace accounts: register, verify the e-mail, sign in and out, reset the password."""
