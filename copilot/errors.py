"""Expected failures, each with a message a user can act on. The CLI prints one line; the UI shows a message."""

from __future__ import annotations


class CopilotError(Exception):
    """Base of every expected failure."""

    exit_code = 1


class ConfigError(CopilotError):
    """A setting is missing or wrong."""


class LLMUnavailable(CopilotError):
    """The LLM endpoint cannot be reached or did not answer in time."""

    exit_code = 3


class ModelAssetError(CopilotError):
    """A model file is missing, incomplete or fails its checksum."""

    exit_code = 4


class StoreError(CopilotError):
    """The vector store cannot be opened or reached."""

    exit_code = 5


class EmptyCorpus(CopilotError):
    """Nothing has been ingested yet."""

    exit_code = 6


class LoadError(CopilotError):
    """One file could not be read; ingestion skips it and reports the reason."""


class DocIdCollision(LoadError):
    """Two different files claim the same document id; the second is not ingested and the report says why."""


class QuestionError(CopilotError):
    """A question is empty or longer than the configured limit."""


class ToolInputError(CopilotError):
    """A numeric tool call was rejected: an input is not in the cited sources or the call makes no sense."""


class EvalFileError(CopilotError):
    """A question file is malformed."""

    exit_code = 2


class ExportFileError(CopilotError):
    """An exported answers file is empty, unreadable or not made of exported answers."""

    exit_code = 2
