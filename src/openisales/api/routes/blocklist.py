"""Blocklist (cec_07_0743-0749): add, delete one, delete all, query, file import and its results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["blocklist"])
