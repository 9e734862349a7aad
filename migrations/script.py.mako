"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

# What `flask db preflight` and `db upgrade` check before this revision runs (app/preflight/__init__.py): a data
# check for every CHECK, UNIQUE, NOT NULL or FOREIGN KEY it adds on existing rows, and a Lock or Online step for
# every existing table it rewrites or locks, in the order it takes them. PREFLIGHT_DOWNGRADE likewise, if needed.
PREFLIGHT = []


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
