"""Portal accounts: sign in and out, invite and reset links, change password."""
