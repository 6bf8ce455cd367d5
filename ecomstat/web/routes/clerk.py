"""The clerk area of the web application (issue 18). PLACEHOLDER: the clerk pages' helper fills it."""

from fastapi import APIRouter

router = APIRouter(prefix="/clerk")
