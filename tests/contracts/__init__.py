"""Contracts of the public API: every public function's arguments declared by kind (see ``registry.py``)."""
