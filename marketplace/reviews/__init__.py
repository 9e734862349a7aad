"""Reviews from real deals: a buyer reviews a completed sale once, the provider replies once, anyone signed in may
report a review, and an administrator hides one from the command line (`flask marketplace hide-review`)."""
