"""The models `--from-django` builds (the apps', and those they reach by foreign keys and
many-to-many fields) and what of them Django keeps in Python, not in the database."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError

# on_delete that Django carries out itself, on delete(); the database's foreign key has none
_IN_PYTHON = {
    "CASCADE": "CASCADE",
    "SET_NULL": "SET_NULL",
    "SET_DEFAULT": "SET_DEFAULT",
    "set_on_delete": "SET(...)",
}


def models_of(labels: tuple[str, ...]) -> list[Any]:
    """The concrete, managed models of the apps, then those they reach, in a stable order; the
    auto-created many-to-many tables come with their model (schema_editor.create_model)."""
    from django.apps import apps

    known = sorted(c.label for c in apps.get_app_configs())
    found: list[Any] = []
    for label in labels:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            raise UsageError(
                f"--from-django: no installed app is labelled {label!r}",
                hint=f"use the app label(s) of INSTALLED_APPS: {', '.join(known)}",
            ) from None
        found += [m for m in config.get_models() if _built(m)]
    models = _closure(found)
    _require_built_targets(models)
    return models


def _built(model: Any) -> bool:
    """What `migrate` creates: a managed model that is no proxy and is not swapped out."""
    meta = model._meta
    return meta.managed and not meta.proxy and not meta.swapped and not meta.auto_created


def _closure(start: list[Any]) -> list[Any]:
    seen: dict[Any, None] = {}
    todo = list(start)
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen[model] = None
        todo += [m for m in _reached(model) if _built(m) and m not in seen]
    return list(seen)


def _reached(model: Any) -> list[Any]:
    """The models a model's foreign keys, one-to-ones, parents and many-to-many fields reach
    (an explicit `through` model too)."""
    out = []
    for field in model._meta.get_fields(include_hidden=True):
        if not field.concrete and not field.many_to_many:
            continue  # reverse relations: the other model points here, not the other way
        related = getattr(field, "related_model", None)
        if related is not None and not isinstance(related, str):
            out.append(related._meta.concrete_model)  # a proxy's table is its concrete model's
        through = getattr(getattr(field, "remote_field", None), "through", None)
        if field.many_to_many and through is not None and not isinstance(through, str):
            out.append(through)
    return out


# what Django does in Python that the database does not, and the fields that rely on it
_SAYS = {
    "default": "default= is set by Django in Python; these columns get no DEFAULT (db_default= "
    "gives one, Django 5+)",
    "auto_now": "auto_now/auto_now_add are set by Django in Python, not by the database",
    "on_delete": "on_delete is carried out by Django in Python; these foreign keys have no ON "
    "DELETE (the database refuses to delete a row that rows still point at)",
    "tablespace": "db_tablespace is not carried: the SQL names no tablespace, so these tables and "
    "indexes go to the database's default one",
}


def _require_built_targets(models: list[Any]) -> None:
    """A foreign key to a table Django does not create (an unmanaged model's) cannot be built
    on the scratch database: say so before anything runs."""
    for model in models:
        for field in model._meta.local_fields:
            target = getattr(field, "related_model", None)
            if target is None or isinstance(target, str) or not field.db_constraint:
                continue
            target = target._meta.concrete_model
            if not target._meta.managed:
                raise UsageError(
                    f"--from-django: {model._meta.label}.{field.name} points at "
                    f"{target._meta.label} (table {target._meta.db_table}), an unmanaged model: "
                    "Django does not create its table, so the foreign key cannot be built",
                    hint=f"make {target._meta.label} managed (its table then belongs to the "
                    "migrations), or set db_constraint=False on the field",
                )


def not_carried(models: list[Any], dialect: str) -> list[str]:
    """One line per thing the models say and the database will not do, naming the fields."""
    found: dict[str, list[str]] = {kind: [] for kind in _SAYS}
    for model in models:
        for field in model._meta.local_fields:
            for kind, detail in _field_notes(field):
                found[kind].append(f"{model._meta.label}.{field.name}{detail}")
        if dialect == "postgres":  # Django's other backends have no tablespaces
            found["tablespace"] += _tablespaces(model)
    return [f"{_SAYS[kind]}: {', '.join(fields)}" for kind, fields in found.items() if fields]


def _field_notes(field: Any) -> list[tuple[str, str]]:
    notes = []
    has_db_default = getattr(field, "has_db_default", lambda: False)()  # Django 5+
    if field.has_default() and not has_db_default:
        notes.append(("default", ""))
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        notes.append(("auto_now", ""))
    on_delete = getattr(getattr(field, "remote_field", None), "on_delete", None)
    name = _IN_PYTHON.get(getattr(on_delete, "__name__", ""))
    if name and getattr(field, "db_constraint", False):
        notes.append(("on_delete", f" ({name})"))
    return notes


def _tablespaces(model: Any) -> list[str]:
    """The table and indexes of `model` that Django's schema editor would put in a tablespace
    (db_tablespace, or the DEFAULT_TABLESPACE and DEFAULT_INDEX_TABLESPACE settings)."""
    meta = model._meta
    out = [f"{meta.label} ({meta.db_tablespace})"] if meta.db_tablespace else []
    for field in meta.local_fields:
        if field.db_tablespace and (field.db_index or field.unique):
            out.append(f"{meta.label}.{field.name} ({field.db_tablespace})")
    out += [f"{meta.label} index {i.name} ({i.db_tablespace})" for i in meta.indexes
            if i.db_tablespace]  # fmt: skip
    return out
