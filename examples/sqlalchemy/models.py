"""Authors and their books, as SQLAlchemy 2 models: `sqlmig diff --from-models models:Base`
turns them into plain-SQL migrations."""

import datetime
import enum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# the names the SQL gives constraints and indexes (as Alembic's docs recommend)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Format(enum.Enum):
    hardcover = "hardcover"
    paperback = "paperback"
    ebook = "ebook"


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None]
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())


class Book(Base):
    __tablename__ = "books"
    __table_args__ = (CheckConstraint("pages > 0", name="pages_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    published_date: Mapped[datetime.date | None]
    pages: Mapped[int] = mapped_column(server_default="1")
    format: Mapped[Format] = mapped_column(Enum(Format), server_default="paperback")
    # set by SQLAlchemy on UPDATE, not by the database: `sqlmig diff` warns about it
    updated_at: Mapped[datetime.datetime | None] = mapped_column(onupdate=func.now())
    # step 2: uncomment, then `sqlmig diff --from-models models:Base --name add_isbn`
    # isbn: Mapped[str | None] = mapped_column(String(13), unique=True)
