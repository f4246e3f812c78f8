"""The config's schema: defaults filled in, and every way a config breaks it named with its key
and the allowed values, in one ``ConfigError``.

The claims file is checked the same way (``schema_problems``).
"""

import copy
import re
from importlib import resources
from typing import Any, Dict, List

import jsonschema
import yaml

from ..kernel import MODEL_NAMES, WORKLOADS
from ..vocabulary import AA_SUFFIX

# A worker count relative to the machine: cores, N*cores, cores*N, cores/N.
RELATIVE_WORKERS = re.compile(r"^\s*(?:([1-9]\d*)\s*\*\s*)?cores\s*(?:([*/])\s*([1-9]\d*))?\s*$")
WORKER_FORMS = "an integer >= 1, `cores` (the usable CPUs), or a multiple or fraction of it: 2*cores, cores*2, cores/2"


class ConfigError(ValueError):
    """One or more configuration problems, each naming its key."""

    def __init__(self, problems: List[str], source: str = "config"):
        self.problems = problems
        super().__init__(f"invalid {source}:\n" + "\n".join(f"  - {problem}" for problem in problems))


def load_schema() -> Dict[str, Any]:
    """The config schema, with the allowed kinds and models taken from the kernel itself.

    One source of truth: a workload or model added to the kernel's catalogue is allowed
    in the config at once, and the error messages list it.
    """
    text = resources.files("showdown.sweep").joinpath("schemas/config.schema.yaml").read_text()
    schema = yaml.safe_load(text)
    entry = schema["properties"]["workloads"]["additionalProperties"]["properties"]
    entry["kind"]["enum"] = sorted(WORKLOADS)
    entry["models"]["items"]["enum"] = [*MODEL_NAMES, *(f"{m}{AA_SUFFIX}" for m in MODEL_NAMES)]
    entry["workers"]["items"]["oneOf"][1]["pattern"] = RELATIVE_WORKERS.pattern
    return schema


def _with_defaults(validator_class):
    """A validator that fills in each property's default, as snakemake.utils.validate does."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _key(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        if allowed:
            return f"{key}: unknown key(s) {', '.join(map(repr, unknown))}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{key}: {error.instance!r} is not allowed; allowed values: {', '.join(map(str, error.validator_value))}"
    if error.validator == "oneOf" and "workers" in key:
        return f"{key}: {error.instance!r} is not a worker count; use {WORKER_FORMS}"
    if error.validator == "oneOf" and "library_threads" in key:
        return f"{key}: {error.instance!r} is not allowed; allowed values: default, per_worker, or a number of threads >= 1"
    if error.validator == "oneOf" and "payloads" in key:
        return f"{key}: {error.instance!r} is not a size; use a number of bytes >= 0 or a number with a unit (B, KiB, MiB, GiB, kB, MB, GB), e.g. 64KiB"
    if error.validator == "oneOf" and error.context:
        # A number or a mapping (the margin): say what is wrong within the form the value has,
        # not that it is not of the other form.
        branches: Dict[Any, List[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        for subs in branches.values():
            if not any(sub.validator == "type" and not sub.relative_path for sub in subs):
                return "; ".join(sorted({_describe(sub) for sub in subs}))
    if "propertyNames" in error.absolute_schema_path:
        return f"{key}: name {error.instance!r} must match {error.validator_value} (allowed: a-z, 0-9 and _)"
    return f"{key}: {error.message}"


# Keys that once existed: a config that still sets one is told what became of it.
RETIRED_KEYS = {
    "bootstrap_resamples": "removed: every interval is a round-level t-interval, nothing is resampled",
}


def validate_schema(config: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``config`` with defaults filled in; ConfigError if it breaks the schema."""
    config = copy.deepcopy(dict(config))
    retired = [f"{key}: {why}" for key, why in RETIRED_KEYS.items() if key in config]
    if retired:
        raise ConfigError(retired)
    problems = schema_problems(load_schema(), config)
    if problems:
        raise ConfigError(problems)
    return config


def schema_problems(schema: Dict[str, Any], instance: Any) -> List[str]:
    """Every way ``instance`` breaks ``schema``, each naming its key (and the allowed values);
    the defaults of the schema are filled into ``instance`` on the way."""
    validator = _with_defaults(jsonschema.Draft7Validator)(schema)
    return sorted({_describe(error) for error in validator.iter_errors(instance)})
