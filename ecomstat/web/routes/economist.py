"""The economist area of the web application (issue 18). PLACEHOLDER: the economist pages' helper fills it."""

from fastapi import APIRouter

router = APIRouter(prefix="/economist")
