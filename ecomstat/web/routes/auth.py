"""The auth pages (issue 18). PLACEHOLDER: the web-core helper fills it."""

from fastapi import APIRouter

router = APIRouter()
