"""Staff accounts around two consultations (shared with the facilitator tests)."""

from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    _compiled_catalogs,
    app,
    demo_responses,
    staff,
)
