"""The tenant of a portal request comes from the URL slug, checked against the signed-in contact."""

from sqlalchemy import select

from app.extensions import db
from models import Tenant


def tenant_from_slug(slug: str) -> Tenant:
    return db.first_or_404(select(Tenant).where(Tenant.slug == slug))
