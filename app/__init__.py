"""Application factory: one Flask app serving the Contact portal and the marketplace."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from app import outages, replicas
from app.config import ConfigError, load_config
from app.database_roles import provision_app_role, refuse_an_unconfined_app_role
from app.extensions import csrf, db, htmx, limiter, login_manager, migrate
from models.one_statement import install_plan_mode_check
from models.read_only_commit import install_read_only_commit
from models.scoping import bind_tenant, install_database_scope, install_scoping, unbind_tenant

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_secret_key(instance_path: Path) -> str:
    """Development's signing key: random, made once per instance folder, readable by its owner only.

    Shared by every process on that folder (the server, `flask portal invite`), and kept across restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a concurrent start-up never reads
        # a half-written key, and the first one to link wins.
        draft = instance_path / f".secret_key.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _start_with_no_tenant() -> None:
    g.tenant_before_request = bind_tenant(None)


def _end_with_no_tenant(_error: BaseException | None) -> None:
    binding = g.pop("tenant_before_request", None)
    if binding is not None:
        unbind_tenant(binding)


def create_app(config_overrides: dict[str, Any] | None = None, env_name: str | None = None) -> Flask:
    instance_path = os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(load_config(env_name))
    if config_overrides:
        app.config.from_mapping(config_overrides)
    if not app.config.get("UPLOADS_DIR"):
        app.config["UPLOADS_DIR"] = str(Path(app.instance_path) / "uploads")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if app.config.get("TRUSTED_PROXIES"):
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["PRODUCTION"] and not app.config["SQLALCHEMY_DATABASE_URI"]:
        raise ConfigError(
            "DATABASE_URL must be set in production (the application's own role, which owns nothing; "
            "see the README); refusing to start."
        )
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        from app.embedded_db import start_embedded_postgres

        pgdata = Path(app.config["EMBEDDED_DB_DIR"] or Path(app.instance_path) / "pgdata")
        owner_url = start_embedded_postgres(pgdata)
        app.config["MIGRATION_DATABASE_URI"] = owner_url
        app.config["SQLALCHEMY_DATABASE_URI"] = provision_app_role(owner_url)

    db.init_app(app)
    replicas.init_app(app)
    if app.config["PRODUCTION"]:
        with app.app_context():
            refuse_an_unconfined_app_role(db.engine)
            for engine in replicas.engines(app):
                refuse_an_unconfined_app_role(engine, "DATABASE_REPLICA_URLS")
    outages.init_app(app)
    install_scoping(Session)
    install_database_scope()
    install_read_only_commit()
    install_plan_mode_check()
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from app import (
        auth,
        cli,
        errors,
        favicon,
        public_pages,
        security,
        session_cookie,
        storage,
        templating,
        uploads,
    )

    # First of all hooks: every request starts with no tenant bound, whatever a previous one left behind.
    app.before_request(_start_with_no_tenant)
    app.teardown_request(_end_with_no_tenant)
    auth.init_app(app)
    session_cookie.init_app(app)
    security.init_app(app)
    storage.init_app(app)
    uploads.init_app(app)
    templating.init_app(app)
    public_pages.init_app(app)
    errors.init_app(app)
    favicon.init_app(app)
    cli.init_app(app)

    from marketplace import bp as marketplace_bp
    from marketplace.browse.facet_cache import install_invalidation
    from portal import bp as portal_bp

    install_invalidation(Session)

    app.register_blueprint(portal_bp, url_prefix="/portal/<tenant_slug>")
    app.register_blueprint(marketplace_bp)

    import documents
    import payments

    documents.init_app(app)
    payments.init_app(app)
    return app
