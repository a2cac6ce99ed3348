"""Fields every page with a loss surface shares: the surface with its parameters and start, the steps, the chart."""

from __future__ import annotations

from optimizers.config import MAX_STEPS, START_POINT
from schema import ConfigError, defaults
from surfaces import SURFACES, get_surface

from .fields import Field, Problems, choice, integer, params, strip, take, valid, value_field


def start_check(v, state=None):
    return valid(START_POINT, v)


def first_start(surface) -> list[float]:
    return [float(v) for v in surface.starts[0]]


def surface_field(default: str) -> Field:
    """{"surface", "surface_params", "start"}: the surface, its parameters and a start on it."""
    def read(raw: dict, state: dict, problems: Problems) -> dict:
        key = take(raw, "surface", default, problems, "", choice(SURFACES))
        spec = SURFACES[key]
        initial = defaults(spec.params)
        values = params(spec.params, raw.get("surface_params"), initial, problems, "surface_params.")
        try:
            surface = get_surface(key, values)
        except ConfigError:  # e.g. a formula that does not parse: the surface's defaults
            problems.flag("surface_params")
            values = {k: v for k, v in initial.items() if k in values}
            surface = get_surface(key, values)
        start = take(raw, "start", first_start(surface), problems, "", start_check)
        return {"surface": key, "surface_params": values, "start": start}

    def shorten(value: dict, default: dict, state: dict) -> dict:
        """The surface if not the default, its parameters that are not the surface's defaults, the start if not
        the surface's first one for these parameters."""
        spec = SURFACES[value["surface"]]
        own = read({"surface": value["surface"], "surface_params": value["surface_params"]}, state, Problems())
        short = {"surface": value["surface"] if value["surface"] != default["surface"] else None,
                 "surface_params": strip(value["surface_params"], defaults(spec.params)),
                 "start": value["start"] if value["start"] != own["start"] else None}
        return {k: v for k, v in short.items() if v not in (None, {})}

    return Field("surface", read, None, kind="surface", flat=True, shorten=shorten)


def steps_field(default: int, low: int = 1, widget: str = "steps") -> Field:
    return value_field("steps", integer(low, MAX_STEPS), default, widget)


def cursor_field(widget: str = "chart.cursor") -> Field:
    """The animation's step (the time cursor), within the run's steps."""
    return value_field("cursor", lambda v, state: integer(0, state["steps"])(v), 0, widget)


def chart_fields() -> tuple[Field, ...]:
    """The chart's view (contour or 3d) and its time cursor."""
    return value_field("view", choice(("contour", "3d")), "contour", "chart.view"), cursor_field()
