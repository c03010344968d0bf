"""The one pydantic base every model of ours shares: camelCase on the wire, strict about extras."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A model that reads and writes the camelCase JSON the workflow passes around."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    def wire(self) -> dict[str, object]:
        """The JSON-ready dict, with camelCase keys, as Step Functions and EventBridge see it."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)
