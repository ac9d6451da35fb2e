"""Loading, validating and activating policy documents."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from pydantic import ValidationError

from kesu.policy.models import Policy
from kesu.policy.schema import PolicyDoc

PRESETS_DIR = Path(__file__).resolve().parent / "presets"


class PolicyError(ValueError):
    """A policy file that cannot be used; ``problems`` lists each one with its location."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def resolve_source(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return path
    preset = PRESETS_DIR / f"{name_or_path}.yaml"
    if not preset.exists():
        raise PolicyError(
            name_or_path,
            [f"no such preset or file (presets: {', '.join(preset_names())})"],
        )
    return preset


def parse_policy(data: Any, *, source: str = "<policy>") -> PolicyDoc:
    if not isinstance(data, dict):
        raise PolicyError(source, ["the document must be a mapping of settings"])
    try:
        return PolicyDoc.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(document)"
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        raise PolicyError(source, problems) from None


def read_policy_file(name_or_path: str) -> tuple[PolicyDoc, str]:
    path = resolve_source(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(str(path), ["file not found"]) from None
    except yaml.YAMLError as exc:
        raise PolicyError(str(path), [f"not valid YAML: {exc}"]) from None
    return parse_policy(data, source=str(path)), str(path)


def _checksum(doc: PolicyDoc) -> str:
    canonical = json.dumps(doc.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def policy_activate(*, doc: PolicyDoc, source: str = "") -> Policy:
    """Store ``doc`` as a new version (unless identical to the latest) and make it active.

    Departments named by the policy are created if missing; existing ones keep their data.
    """
    from kesu.accounts.models import Department

    checksum = _checksum(doc)
    latest = Policy.objects.select_for_update().filter(name=doc.name).order_by("-version").first()
    if latest is not None and latest.checksum == checksum:
        policy = latest
    else:
        policy = Policy(
            name=doc.name,
            version=(latest.version + 1) if latest else 1,
            title=doc.title,
            document=doc.model_dump(mode="json"),
            checksum=checksum,
            source=source,
        )
    Policy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
    policy.is_active = True
    policy.save()
    for dept in doc.departments:
        Department.objects.update_or_create(
            code=dept.code,
            defaults={
                "name": dept.name,
                "name_en": dept.name_en,
                "is_customer_service": dept.customer_service,
            },
        )
    return policy


def policy_load(name_or_path: str) -> Policy:
    doc, source = read_policy_file(name_or_path)
    return policy_activate(doc=doc, source=source)


@lru_cache(maxsize=64)
def _doc_from_checksum(checksum: str, document_json: str) -> PolicyDoc:
    return PolicyDoc.model_validate(json.loads(document_json))


def doc_for(policy: Policy) -> PolicyDoc:
    return _doc_from_checksum(policy.checksum, json.dumps(policy.document, sort_keys=True))


class NoActivePolicy(LookupError):
    pass


def active_policy() -> Policy:
    policy = Policy.objects.filter(is_active=True).first()
    if policy is None:
        raise NoActivePolicy("no policy is active: run `kesu policy load NAME` first")
    return policy
