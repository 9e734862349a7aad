from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A configuration mistake is the operator's to fix: one clear line, not a traceback.
    raise SystemExit(f"Error: {error}") from None
