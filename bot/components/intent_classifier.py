"""NLU pipeline component: intent classification with a linear SVM on word and character n-grams.

Chosen by measurement over DIET on the same held-out split (bot/README.md): as accurate or better on
~16 000 examples in 12 languages, trained in seconds instead of 20+ minutes on 2 cores, ~1 ms per message.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union
from sklearn.svm import LinearSVC

from lotse_shared import text as client_text

MODEL_FILE = "linear_intent_classifier.joblib"
GREET = "greet"
CHOOSE_LANGUAGE = "choose_language"
LANGUAGE_ENTITY = "language"
# Set in the parse when a message chose a language and asked a question: the language still counts as chosen.
LANGUAGE_CHOICE_KEY = "language_choice"
MIN_QUESTION_WORDS = 3
MIN_QUESTION_CONFIDENCE = 0.5


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Word 1-2-grams + char_wb 1-5-grams (tf-idf) -> LinearSVC; confidences are a softmax of its margins."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # confidence_scale: softmax temperature on the SVM margins; 4 puts ~3 % of correct held-out
        # predictions under a 0.3 fallback threshold and most out-of-scope sentences below it.
        return {"C": 1.0, "char_max_ngram": 5, "min_df": 2, "confidence_scale": 4.0, "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vectorizer: Optional[FeatureUnion] = None, classifier: Optional[LinearSVC] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer = vectorizer
        self._classifier = classifier

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Retrain when the client vocabulary (content/terms) or its normaliser changes, not only the NLU data."""
        return client_text.fingerprint()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        self._vectorizer = make_union(
            TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(1, self._config["char_max_ngram"]),
                            min_df=self._config["min_df"], sublinear_tf=True),
        )
        features = self._vectorizer.fit_transform([client_text.normalize(m.get(TEXT)) for m in examples])
        self._classifier = LinearSVC(C=self._config["C"]).fit(features, [m.get(INTENT) for m in examples])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump((self._vectorizer, self._classifier), Path(directory) / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                vectorizer, classifier = joblib.load(Path(directory) / MODEL_FILE)
        except ValueError:  # nothing trained (no NLU data): parse without intents
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, vectorizer, classifier)

    def _rank(self, text: str) -> List[Dict[Text, Any]]:
        assert self._classifier is not None and self._vectorizer is not None
        margins = self._classifier.decision_function(self._vectorizer.transform([client_text.normalize(text)]))[0]
        scaled = margins * self._config["confidence_scale"]
        confidences = np.exp(scaled - scaled.max())
        confidences /= confidences.sum()
        order = np.argsort(-confidences)[: self._config["ranking_length"]]
        return [{INTENT_NAME_KEY: str(self._classifier.classes_[i]), PREDICTED_CONFIDENCE_KEY: float(confidences[i])} for i in order]

    def _question_beside_language(self, message: Message) -> Optional[List[Dict[Text, Any]]]:
        text = message.get(TEXT)
        spans = sorted((e["start"], e["end"]) for e in message.get("entities") or [] if e.get("entity") == LANGUAGE_ENTITY)
        if not spans:
            return None
        for start, end in reversed(spans):
            text = text[:start] + " " + text[end:]
        if len(text.split()) < MIN_QUESTION_WORDS:
            return None
        ranking = self._rank(text)
        top = ranking[0]
        if top[INTENT_NAME_KEY] in (CHOOSE_LANGUAGE, GREET) or top[PREDICTED_CONFIDENCE_KEY] < MIN_QUESTION_CONFIDENCE:
            return None
        return ranking

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or self._classifier is None or self._vectorizer is None:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            ranking = self._rank(text)
            rest = client_text.vocabulary().without_greeting(text)
            if rest is not None:
                # "Hello, what is …?": the question decides, unless it is only a longer greeting.
                after_greeting = self._rank(rest)
                top, question = ranking[0], after_greeting[0]
                if question[INTENT_NAME_KEY] != GREET and (top[INTENT_NAME_KEY] == GREET
                                                          or question[PREDICTED_CONFIDENCE_KEY] > top[PREDICTED_CONFIDENCE_KEY]):
                    ranking = after_greeting
            if ranking[0][INTENT_NAME_KEY] == CHOOSE_LANGUAGE:
                # "In English please: how do I apply?": answer the question; the language choice still counts.
                question_ranking = self._question_beside_language(message)
                if question_ranking is not None:
                    ranking = question_ranking
                    message.set(LANGUAGE_CHOICE_KEY, True, add_to_output=True)
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
