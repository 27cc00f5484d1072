"""Synthetic demo data, built through each app's own services. No real person is in it."""
