"""row_level_security: PostgreSQL shows and accepts a tenant's rows only inside that tenant's scope.

Revision ID: 0022_row_level_security
Revises: 0021_viewer_time_zones
Create Date: 2026-11-27

The application binds a scope per transaction (models/scoping.py) with set_config(..., true):
- app.tenant_id: the one breeder a request works for (the portal's URL, a seller's linked breeder);
- app.tenant_ids: an array of breeders whose rows may be read, not written (a marketplace user's "My invoices");
- app.cross_tenant: a named reason to read and write every tenant's rows (webhooks, commands, the demo loader);
- app.marketplace_user_id: the signed-in marketplace user, to whom a sale they are party to is visible.
Each is read through NULLIF(current_setting(name, true), ''): unset is NULL, which matches no row and never
raises. Two functions hold the rule once:
- tenant_row_visible(tenant): for SELECT;
- tenant_row_writable(tenant): for INSERT, UPDATE and DELETE (app.tenant_ids does not count).
Both are plain SQL and STABLE, so the planner inlines them into each query.

Tables, by their tenant column, each ENABLE and FORCE (so the tables' owner is held to them too; a superuser or
a BYPASSRLS role is not, which is why the application's role must be neither):
- "Party", "Contact", "Invoice", "InvoiceLineItem", "Payment", "PaymentRefund" ("tenantId");
- "MarketplaceTransaction" (provider_tenant_id), and also visible (and lockable FOR SHARE/UPDATE, never
  writable) to its buyer and its provider account (client_user_id, provider_user_id = app.marketplace_user_id):
  a buyer reads the sales in their conversations and reviews them;
- "InvoiceNumberCounter" (tenant_id);
- "AuditEvent" (tenant_id, nullable): read like the others, and an event of no tenant (a marketplace user's own
  account) only where no single tenant is bound, so a portal never lists the marketplace's events; a marketplace
  user's own actions are visible to that user (INSERT ... RETURNING reads the new row back). An event is
  recorded wherever it happens (a buyer's review is an event of the provider's breeder): INSERT is open, UPDATE
  and DELETE have no policy at all (and revision 0010's trigger refuses them anyway).
Not here, on purpose: "Review" (provider_tenant_id) is public on provider pages, "MarketplaceUser".tenant_id is an
account's link to a breeder, not a breeder's row.

Privileges are not this revision's business: the roles, and the ALTER DEFAULT PRIVILEGES that grant every later
table to the application's role, are set up with the database (README, app/database_roles.py).
Each table is locked ACCESS EXCLUSIVE for a catalog change only (no scan), until the commit.
"""

from alembic import op

from app.preflight import Lock

revision = "0022_row_level_security"
down_revision = "0021_viewer_time_zones"
branch_labels = None
depends_on = None

TENANT_COLUMNS = {
    "Party": '"tenantId"',
    "Contact": '"tenantId"',
    "Invoice": '"tenantId"',
    "InvoiceLineItem": '"tenantId"',
    "Payment": '"tenantId"',
    "PaymentRefund": '"tenantId"',
    "MarketplaceTransaction": "provider_tenant_id",
    "InvoiceNumberCounter": "tenant_id",
}
AUDIT = "AuditEvent"
SALES = "MarketplaceTransaction"

PREFLIGHT = [
    Lock(table, "ENABLE and FORCE ROW LEVEL SECURITY, CREATE POLICY (catalog only)")
    for table in (*TENANT_COLUMNS, AUDIT)
]

_TENANT_ID = "NULLIF(current_setting('app.tenant_id', true), '')::integer"
_TENANT_IDS = "NULLIF(current_setting('app.tenant_ids', true), '')::integer[]"
_CROSS_TENANT = "NULLIF(current_setting('app.cross_tenant', true), '') IS NOT NULL"
_USER = "NULLIF(current_setting('app.marketplace_user_id', true), '')::integer"
_SALE_PARTY = f"(client_user_id = {_USER} OR provider_user_id = {_USER})"

FUNCTIONS = f"""
CREATE FUNCTION tenant_row_visible(tenant integer) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT tenant = {_TENANT_ID} OR tenant = ANY ({_TENANT_IDS}) OR {_CROSS_TENANT}
$$;
CREATE FUNCTION tenant_row_writable(tenant integer) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT tenant = {_TENANT_ID} OR {_CROSS_TENANT}
$$;
"""


WRITE_POLICIES = ("tenant_rows_insert", "tenant_rows_update", "tenant_rows_delete")


def _policies(table: str, column: str) -> list[str]:
    # One policy per command, so a SELECT evaluates the read rule alone (it is inlined into the query's filter).
    writable = f"tenant_row_writable({column})"
    return [
        f'CREATE POLICY tenant_rows_read ON "{table}" FOR SELECT USING (tenant_row_visible({column}))',
        f'CREATE POLICY tenant_rows_insert ON "{table}" FOR INSERT WITH CHECK ({writable})',
        f'CREATE POLICY tenant_rows_update ON "{table}" FOR UPDATE USING ({writable}) WITH CHECK ({writable})',
        f'CREATE POLICY tenant_rows_delete ON "{table}" FOR DELETE USING ({writable})',
    ]


# The trail is read like a tenant's rows; an event is recorded wherever it happens (a buyer's review is an event
# of the provider's breeder), and never changed (no UPDATE or DELETE policy; revision 0010's trigger too).
AUDIT_POLICIES = [
    f'CREATE POLICY tenant_rows_read ON "{AUDIT}" FOR SELECT USING ('
    f"tenant_row_visible(tenant_id) OR (tenant_id IS NULL AND {_TENANT_ID} IS NULL) "
    f"OR (actor_kind = 'marketplace_user' AND actor_id = {_USER}))",
    f'CREATE POLICY tenant_rows_insert ON "{AUDIT}" FOR INSERT WITH CHECK (true)',
]


# Permissive policies of one command add up: SELECT, and SELECT ... FOR SHARE/UPDATE (which also needs an UPDATE
# policy's USING), pass for a party to the sale; an UPDATE by one still fails every UPDATE policy's WITH CHECK.
SALE_PARTY_POLICIES = [
    f'CREATE POLICY sale_parties_read ON "{SALES}" FOR SELECT USING {_SALE_PARTY}',
    f'CREATE POLICY sale_parties_lock ON "{SALES}" FOR UPDATE USING {_SALE_PARTY} '
    "WITH CHECK (tenant_row_writable(provider_tenant_id))",
]


def _secure(table: str, policies: list[str]) -> None:
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    for policy in policies:
        op.execute(policy)


def upgrade():
    op.execute(FUNCTIONS)
    for table, column in TENANT_COLUMNS.items():
        _secure(table, _policies(table, column) + (SALE_PARTY_POLICIES if table == SALES else []))
    _secure(AUDIT, AUDIT_POLICIES)


def downgrade():
    op.execute(f'DROP POLICY sale_parties_lock ON "{SALES}"')
    op.execute(f'DROP POLICY sale_parties_read ON "{SALES}"')
    for table in (*TENANT_COLUMNS, AUDIT):
        for policy in WRITE_POLICIES if table != AUDIT else ("tenant_rows_insert",):
            op.execute(f'DROP POLICY {policy} ON "{table}"')
        op.execute(f'DROP POLICY tenant_rows_read ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    op.execute("DROP FUNCTION tenant_row_writable(integer)")
    op.execute("DROP FUNCTION tenant_row_visible(integer)")
