"""Call data in JSON (cec_07_0759-0765): add V1/V2, delete, query one, statistics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["call data"])
