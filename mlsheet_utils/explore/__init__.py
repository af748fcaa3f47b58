"""What a reader moves and sees: the Explorer, its controls, ready views, the book's plotting style.

- :mod:`.explorer`  :class:`Explorer`: controls, a memoised ``compute``, a ``draw`` that moves artists in place,
  a message instead of a traceback; :func:`check_sweep` drives it over every control's extremes;
- :mod:`.controls`  sliders, drop-downs, check boxes and :func:`frames` (play, step and scrub a trajectory);
- :mod:`.views`     ready-made panels: :class:`~.views.Curves`, :class:`~.views.Surface` (a 2-D decision surface
  or function over a grid, with points on top), :class:`~.views.Heatmap`;
- :mod:`.plotting`  the colour-blind-safe palette, page-sized figures, fast PNG rendering;
- :mod:`.matrix`    the 2x2 matrix explorer (square and circle through a matrix);
- :mod:`.static`    the frames ``make execute`` renders so that each Explorer also responds on the static site.

The controls and the Explorer are re-exported here: ``explore.Explorer``, ``explore.float_slider``.
"""

from mlsheet_utils.explore import plotting, views
from mlsheet_utils.explore.controls import (
                                            checkbox,
                                            control_extremes,
                                            control_values,
                                            dropdown,
                                            float_slider,
                                            frames,
                                            int_slider,
                                            log_slider,
)
from mlsheet_utils.explore.explorer import Explorer, UpdateRecord, check_sweep, explorers, figure_has_data, summarize

__all__ = ["Explorer", "UpdateRecord", "check_sweep", "checkbox", "control_extremes", "control_values", "dropdown",
           "explorers", "figure_has_data", "float_slider", "frames", "int_slider", "log_slider", "plotting",
           "summarize", "views"]
