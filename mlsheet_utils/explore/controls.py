r"""Controls in the book's style: sliders, drop-downs, check boxes and a frame scrubber with play and step.

Every control is an :class:`ipywidgets.ValueWidget`; :func:`control_values` lists the values a sweep visits.
Slider descriptions may contain LaTeX such as ``$\alpha$``.
"""

from __future__ import annotations

from collections.abc import Iterable

import ipywidgets as widgets
import numpy as np

from mlsheet_utils.validation import check_float, check_int

_DESCRIPTION_STYLE = {"description_width": "initial"}
_CONTROL_LAYOUT = {"width": "auto", "min_width": "220px"}


def _check_description(description) -> str:
    if not isinstance(description, str):
        raise ValueError(f"description must be a string, got {description!r}")
    return description


def float_slider(description: str, min: float, max: float, value: float, step: float | None = None,
                 *, readout_format: str = ".3g", continuous_update: bool = True) -> widgets.FloatSlider:
    r"""A float slider in the book's style. ``description`` may contain LaTeX such as ``$\alpha$``.

    ``min < max`` and ``value`` are finite numbers with ``value`` in ``[min, max]``; ``step`` > 0 (default: a
    hundredth of the range).
    """
    _check_description(description)
    min, max, value = check_float(min, "min"), check_float(max, "max"), check_float(value, "value")
    if step is not None:
        step = check_float(step, "step", low=0, low_open=True)
    if not min < max:
        raise ValueError(f"slider {description!r}: min must be < max, got min={min}, max={max}")
    if not min <= value <= max:
        raise ValueError(f"slider {description!r}: value {value} is outside [{min}, {max}]")
    step = (max - min) / 100 if step is None else step
    return widgets.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                               readout_format=readout_format, continuous_update=continuous_update,
                               style=_DESCRIPTION_STYLE, layout=_CONTROL_LAYOUT)


def log_slider(description: str, min_exp: float, max_exp: float, value: float, *, base: float = 10.0,
               step: float = 0.1, continuous_update: bool = True) -> widgets.FloatLogSlider:
    """A logarithmic slider from ``base**min_exp`` to ``base**max_exp`` (``base`` > 0 and not 1, ``step`` > 0)."""
    _check_description(description)
    min_exp, max_exp = check_float(min_exp, "min_exp"), check_float(max_exp, "max_exp")
    value = check_float(value, "value")
    base = check_float(base, "base", low=0, low_open=True)
    step = check_float(step, "step", low=0, low_open=True)
    if not (np.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"slider {description!r}: base must be a positive number other than 1, got {base}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"slider {description!r}: step must be a positive number, got {step}")
    if not min_exp < max_exp:
        raise ValueError(f"slider {description!r}: min_exp must be < max_exp, got {min_exp}, {max_exp}")
    if not base ** min_exp <= value <= base ** max_exp:
        raise ValueError(f"slider {description!r}: value {value} is outside "
                         f"[{base ** min_exp:g}, {base ** max_exp:g}]")
    return widgets.FloatLogSlider(value=value, base=base, min=min_exp, max=max_exp, step=step,
                                  description=description, readout_format=".3g",
                                  continuous_update=continuous_update, style=_DESCRIPTION_STYLE,
                                  layout=_CONTROL_LAYOUT)


def int_slider(description: str, min: int, max: int, value: int, step: int = 1,
               *, continuous_update: bool = True) -> widgets.IntSlider:
    """An integer slider in the book's style: integers ``min < max``, ``value`` in ``[min, max]``, ``step`` >= 1."""
    _check_description(description)
    min, max, value = check_int(min, "min"), check_int(max, "max"), check_int(value, "value")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"slider {description!r}: step must be an integer >= 1, got {step!r}")
    if not min < max:
        raise ValueError(f"slider {description!r}: min must be < max, got min={min}, max={max}")
    if not min <= value <= max:
        raise ValueError(f"slider {description!r}: value {value} is outside [{min}, {max}]")
    return widgets.IntSlider(value=value, min=min, max=max, step=step, description=description,
                             continuous_update=continuous_update, style=_DESCRIPTION_STYLE,
                             layout=_CONTROL_LAYOUT)


def dropdown(description: str, options, value=None) -> widgets.Dropdown:
    """A drop-down list; ``options`` is a list of values or of ``(label, value)`` pairs."""
    _check_description(description)
    if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
        raise ValueError(f"dropdown {description!r}: options must be a list of values or (label, value) pairs, "
                         f"got {options!r}")
    options = list(options)
    if not options:
        raise ValueError(f"dropdown {description!r}: options must not be empty")
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    value = values[0] if value is None else value
    if value not in values:
        raise ValueError(f"dropdown {description!r}: value {value!r} is not one of {values!r}")
    return widgets.Dropdown(options=options, value=value, description=description,
                            style=_DESCRIPTION_STYLE, layout=_CONTROL_LAYOUT)


def checkbox(description: str, value: bool = False) -> widgets.Checkbox:
    """A check box in the book's style."""
    _check_description(description)
    return widgets.Checkbox(value=bool(value), description=description, indent=False,
                            layout=_CONTROL_LAYOUT)


def control_extremes(control: widgets.ValueWidget) -> list:
    """The values a sweep visits for ``control``: minimum, maximum and default (or every option).

    Sliders give ``[min, max, default]``, a log slider ``[base**min, base**max, default]``,
    a drop-down every option value, a check box ``[False, True]``.
    """
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max, control.value]
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
        return [control.min, control.max, control.value]
    if isinstance(control, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons)):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [False, True]
    raise ValueError(f"control_extremes: unsupported control type {type(control).__name__}")


def control_values(control: widgets.ValueWidget, points: int | None = None) -> list:
    """The values a sweep visits for ``control``.

    ``points=None`` gives :func:`control_extremes`; an int >= 2 gives that many evenly spaced values over a
    slider's range (on the exponent for a log slider, distinct integers for an int slider) and every option of
    any other control.
    """
    if points is None:
        return control_extremes(control)
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"points must be an integer >= 2 or None, got {points!r}")
    if isinstance(control, widgets.FloatLogSlider):
        return [float(v) for v in control.base ** np.linspace(control.min, control.max, points)]
    if isinstance(control, widgets.IntSlider):
        return sorted({int(round(v)) for v in np.linspace(control.min, control.max, points)})
    if isinstance(control, widgets.FloatSlider):
        return [float(v) for v in np.linspace(control.min, control.max, points)]
    return control_extremes(control)


def frames(description: str, n_frames: int, value: int | None = None, *, interval_ms: int = 120) -> widgets.IntSlider:
    """A frame scrubber for a precomputed trajectory (training epochs, iterations, time steps).

    Returns an integer slider over ``0 .. n_frames - 1``; the :class:`~mlsheet_utils.explore.explorer.Explorer`
    shows a play button and a step button beside it. The trajectory is computed once (in ``compute``, which
    should not take the frame as an argument), so moving through the frames only redraws.

    Parameters
    ----------
    description : str
        Label, e.g. ``"epoch"``.
    n_frames : int >= 2
        Number of frames.
    value : int, optional
        Starting frame (default the last: the finished trajectory).
    interval_ms : int >= 1
        Milliseconds between frames while playing.
    """
    _check_description(description)
    interval_ms = check_int(interval_ms, "interval_ms", low=1)
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 2:
        raise ValueError(f"frames {description!r}: n_frames must be an integer >= 2, got {n_frames!r}")
    value = int(n_frames) - 1 if value is None else value
    slider = int_slider(description, 0, int(n_frames) - 1, value)
    play = widgets.Play(value=value, min=0, max=int(n_frames) - 1, step=1, interval=interval_ms,
                        description=f"play {description}", show_repeat=False)
    widgets.jslink((play, "value"), (slider, "value"))
    step = widgets.Button(description="step", tooltip=f"next {description}", layout={"width": "4.5em"})

    def _step(_button):
        slider.value = slider.min if slider.value >= slider.max else slider.value + 1

    step.on_click(_step)
    slider.mlsheet_frame_controls = (play, step)
    return slider


def frame_controls(control: widgets.ValueWidget) -> tuple:
    """The play and step buttons :func:`frames` attached to ``control`` (empty for any other control)."""
    return getattr(control, "mlsheet_frame_controls", ())
