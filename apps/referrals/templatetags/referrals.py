from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.375 -> "38%"; no value (nothing to divide by) -> an em dash."""
    if value is None:
        return "—"
    return f"{value:.0%}"
