"""A sweep run's directory: its layout (layout.py, the one place its files are
named) and its plan as typed records (plan.py)."""
