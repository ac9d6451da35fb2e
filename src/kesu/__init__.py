"""kesu (客诉): customer-complaint handling that enforces the written procedure."""

__version__ = "0.1.0"
