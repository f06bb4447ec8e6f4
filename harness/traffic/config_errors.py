"""A traffic config's validation errors as one ConfigError naming the file, every bad field's
path and what each field expects (from the model's field descriptions)."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from harness.errors import ConfigError


def config_error(source: str, exc: ValidationError, model: type[BaseModel]) -> ConfigError:
    """One ConfigError that names the file, every bad field's path, and what each expects."""
    problems: list[tuple[str, str, str]] = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        text = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            hint = "remove it, or check its spelling against the config's fields"
        else:
            hint = _field_hint(model, error["loc"])
        problems.append((field, text, hint))
    if len(problems) == 1:
        field, text, hint = problems[0]
        return ConfigError(f"{source}: {field}", text, fix=hint or None)
    listed = "; ".join(
        f"{field}: {text}" + (f" (expected: {hint})" if hint else "")
        for field, text, hint in problems
    )
    return ConfigError(source, f"{len(problems)} fields are invalid: {listed}")


def _field_hint(top: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """The description of the field at `loc` (it says what the field expects)."""
    model: type[BaseModel] | None = top
    hint = ""
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            break
        info = model.model_fields[part]
        hint = info.description or hint
        nested = info.annotation
        model = nested if isinstance(nested, type) and issubclass(nested, BaseModel) else None
    return hint
