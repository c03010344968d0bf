"""The link-target seam: Proton, CodeArtifact and whatever comes next look the same.

A target owns one section of the request. Its part of the request is validated by its section
model in :mod:`repolink.models.request`; here it plans and applies that section idempotently
(running it twice leaves one of everything) and reports the ARNs it linked or created. Adding a
target means: one module here, its section in the request model, and its branch in the ASL.
"""

from typing import Protocol, TypeVar, runtime_checkable

SpecT_contra = TypeVar("SpecT_contra", contravariant=True)
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)


@runtime_checkable
class LinkTarget(Protocol[SpecT_contra, ContextT_contra, ResultT_co]):
    #: the request section this target owns, e.g. ``"proton"``
    section: str
    #: whether it must wait for an AVAILABLE source connection
    needs_connection: bool

    def apply(self, spec: SpecT_contra, context: ContextT_contra) -> ResultT_co:
        """Create or find everything ``spec`` asks for; safe to call again after any failure."""
        ...
