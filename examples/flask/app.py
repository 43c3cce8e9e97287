"""A Flask app with one Flask-SQLAlchemy model: the example `flask sqlmig` migrates.

export FLASK_SQLALCHEMY_DATABASE_URI=postgresql+psycopg://app@localhost/app  # else SQLite
flask --app app sqlmig init
flask --app app sqlmig migrate -m "create users"
flask --app app sqlmig upgrade
"""

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    # step 2: uncomment, then `flask --app app sqlmig migrate -m "add password hash"`
    # password_hash: Mapped[str | None] = mapped_column(String(128))


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///example.db"  # in the instance folder
    app.config.from_prefixed_env()  # FLASK_SQLALCHEMY_DATABASE_URI wins
    db.init_app(app)
    return app
