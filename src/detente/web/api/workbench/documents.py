"""The editor's YAML view over the API: a document to YAML text and back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from detente.web.deps import ApiWork
from detente.workbench.yaml_view import MAX_YAML_CHARS, document_from_yaml, document_yaml

__all__ = ["DocumentIn", "YamlIn", "router"]

router = APIRouter(prefix="/documents", tags=["workbench"])


class DocumentIn(BaseModel):
    """A document to show as YAML."""

    document: dict[str, Any]


class YamlIn(BaseModel):
    """YAML text to read back into a document."""

    text: str = Field(max_length=MAX_YAML_CHARS)


@router.post("/yaml")
def to_yaml(body: DocumentIn, work: ApiWork) -> dict[str, str]:
    """The document as native YAML text."""
    with work() as (_, user):
        return {"text": document_yaml(user, body.document)}


@router.post("/parse")
def from_yaml(body: YamlIn, work: ApiWork) -> dict[str, Any]:
    """The document that YAML text holds (422 with the line when it cannot be read)."""
    with work() as (_, user):
        return {"document": document_from_yaml(user, body.text)}
