"""The operator area of the web application (issue 18). PLACEHOLDER: the operator pages' helper fills it."""

from fastapi import APIRouter

router = APIRouter(prefix="/operator")
