"""ecomstat: open web intelligence for official e-commerce and digital-economy statistics."""

__version__ = "0.1.0"
