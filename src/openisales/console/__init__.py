"""The web console under ``/console``: server-rendered pages for a tenant signed in with AK/SK."""

from __future__ import annotations

from fastapi import APIRouter

from openisales.console import lists, pages, sign_in

router = APIRouter()
router.include_router(sign_in.router)
router.include_router(pages.router)
router.include_router(lists.router)

__all__ = ["router"]
