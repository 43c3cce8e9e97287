"""Settings of the example: the database comes from BOOKSHOP_DATABASE_URL (default: a SQLite
file beside manage.py), so one project runs on SQLite, PostgreSQL and MariaDB."""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "example-only-not-secret"
DEBUG = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["sqlmig.django", "books"]
# sqlmig writes and reads its migrations here (this is the default; shown to be changed)
SQLMIG_DIR = BASE_DIR / "migrations_sql"

ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgresql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
}


def database(url: str) -> dict:
    """A DATABASES entry from a URL such as postgresql://user:pw@host:5432/name."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":  # sqlite:///relative.db or sqlite:////absolute/path.db
        return {"ENGINE": ENGINES["sqlite"], "NAME": BASE_DIR / unquote(parts.path)[1:]}
    return {
        "ENGINE": ENGINES[parts.scheme],
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": parts.port or "",
    }


DATABASES = {"default": database(os.environ.get("BOOKSHOP_DATABASE_URL", "sqlite:///db.sqlite3"))}

if DATABASES["default"]["ENGINE"] == ENGINES["mysql"]:
    try:
        import MySQLdb  # noqa: F401  (mysqlclient, Django's MySQL driver)
    except ImportError:  # PyMySQL (pip install 'sqlmig[mysql]') stands in for it
        import pymysql

        pymysql.install_as_MySQLdb()
