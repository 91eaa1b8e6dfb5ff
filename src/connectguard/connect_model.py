"""Enumerations of the Amazon Connect API, read from the installed botocore model.

One source for the collector (which storage-config types to list) and the simulator (which
values a world may use): a newer botocore that adds a type is picked up by both.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def connect_enum(shape_name: str) -> tuple[str, ...]:
    import botocore.session  # loaded on first use: the model costs ~50 ms to parse

    model = botocore.session.get_session().get_service_model("connect")
    return tuple(model.shape_for(shape_name).enum)
