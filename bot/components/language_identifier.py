"""NLU pipeline component: adds `language_detection` ({language, confidence, reason}) to each
parse."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.lang.detect import detect, warm_up

OUTPUT_KEY = "language_detection"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageIdentifier(GraphComponent):
    """Runs offline language identification; the action server decides what to do with it."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        return cls()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        warm_up()
        for message in messages:
            text = message.get("text") or ""
            result = detect(text)
            message.set(
                OUTPUT_KEY,
                {
                    "language": result.language,
                    "confidence": round(result.confidence, 4),
                    "reason": result.reason,
                },
                add_to_output=True,
            )
        return messages
