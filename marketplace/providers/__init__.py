"""A provider's public page: name, avatar, member since, verified badge, reply figures, listings and reviews."""
