"""Import schedules (extension): list a campaign's daily imports and cancel one."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["import schedules"])
