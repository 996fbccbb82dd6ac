"""What every form shares: the date widget the browsers show as a date picker."""

from __future__ import annotations

from django import forms

from .dates import today as today

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
