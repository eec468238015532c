"""Online explainability: SageMaker Clarify explains a real-time endpoint's answers (``ExplainerConfig``).

An endpoint config with an explainer answers InvokeEndpoint in Clarify's JSON schema (predictions plus
Kernel SHAP attributions), not in the model's own format, and publishes ``ExplanationsPerInstance``.
Each JMESPath expression is compiled at synth: SageMaker fails the endpoint's creation on an invalid one.
Limits come from botocore's API model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import aws_sagemaker as sagemaker

from . import api_model, rules, validation
from .errors import Problems
from .s3_location import S3Location, check_location

if TYPE_CHECKING:
    from .execution_role import ExecutionRole

CFN = sagemaker.CfnEndpointConfig
BASELINE_MIME_TYPES = ("text/csv", "application/jsonlines")
"""The baseline formats botocore's documentation of ClarifyShapBaselineConfig.MimeType names."""
EXPRESSIONS = ("features_attribute", "probability_attribute", "label_attribute")
NUMBERS = {
    "max_record_count": "MaxRecordCount",
    "max_payload_mb": "MaxPayloadInMB",
    "probability_index": "ProbabilityIndex",
    "label_index": "LabelIndex",
}
LISTS = {"label_headers": "LabelHeaders", "feature_headers": "FeatureHeaders", "feature_types": "FeatureTypes"}


@dataclass(frozen=True, kw_only=True)
class ClarifyInference:
    """How Clarify reads the model container's input and output. Every setting defaults to Clarify's own.

    :param features_attribute: JMESPath to the features in a JSON Lines request, e.g. ``'features'``.
    :param content_template: turns features into a JSON Lines request, e.g. ``'{"features":$features}'``.
    :param max_record_count: records per request to the container (1: no batches). Default: - tuned at run time.
    :param max_payload_mb: largest request to the container, 1 to 25 MB. Default: - 6 MB.
    :param probability_index: zero-based column of the score in CSV output. Default: - the whole output.
    :param label_index: zero-based column of the label headers in CSV output.
    :param probability_attribute: JMESPath to the score in JSON Lines output, e.g. ``'probability'``.
    :param label_attribute: JMESPath to the label headers in JSON Lines output.
    :param label_headers: class names, 1 to 16, when the output has none.
    :param feature_headers: feature names, 1 to 256, echoed in the answer.
    :param feature_types: ``numerical``, ``categorical`` or ``text`` per feature; with ``text``, natural-language
        explanations need ``ClarifyExplainer(text=...)``. Default: - inferred from the baseline.
    """

    features_attribute: str | None = None
    content_template: str | None = None
    max_record_count: int | None = None
    max_payload_mb: int | None = None
    probability_index: int | None = None
    label_index: int | None = None
    probability_attribute: str | None = None
    label_attribute: str | None = None
    label_headers: Sequence[str] | None = None
    feature_headers: Sequence[str] | None = None
    feature_types: Sequence[str] | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        for name in ("features_attribute", "content_template", "probability_attribute", "label_attribute"):
            member = "".join(part.title() for part in name.split("_"))
            _check_string(problems, f"{prop}.{name}", getattr(self, name), "ClarifyInferenceConfig", member)
        for name in EXPRESSIONS:
            _check_expression(problems, f"{prop}.{name}", getattr(self, name))
        for name, member in NUMBERS.items():
            value = getattr(self, name)
            validation.check_value(
                problems, f"{prop}.{name}", value, api_model.member("ClarifyInferenceConfig", member), "see the range"
            )
        for name, member in LISTS.items():
            items = getattr(self, name)
            if items is None or not validation.check_type(problems, f"{prop}.{name}", items, (list, tuple), "['a']"):
                continue
            constraint = api_model.member("ClarifyInferenceConfig", member)
            validation.check_count(problems, f"{prop}.{name}", list(items), constraint, "give fewer")
            item_shape = "ClarifyFeatureType" if name == "feature_types" else "ClarifyHeader"
            for index, item in enumerate(items):
                validation.check_value(
                    problems, f"{prop}.{name}[{index}]", item, api_model.shape(item_shape), "see the allowed values"
                )

    def render(self) -> CFN.ClarifyInferenceConfigProperty:
        lists = {name: list(getattr(self, name)) if getattr(self, name) else None for name in LISTS}
        return CFN.ClarifyInferenceConfigProperty(
            features_attribute=self.features_attribute,
            content_template=self.content_template,
            max_record_count=self.max_record_count,
            max_payload_in_mb=self.max_payload_mb,
            probability_index=self.probability_index,
            label_index=self.label_index,
            probability_attribute=self.probability_attribute,
            label_attribute=self.label_attribute,
            **lists,
        )


@dataclass(frozen=True, kw_only=True)
class ClarifyText:
    """Explain text features unit by unit (natural-language explainability).

    :param language: the ISO 639-1 or 639-3 code of the text, ``xx`` for a mix, e.g. ``'en'``.
    :param granularity: ``token``, ``sentence`` or ``paragraph``.
    """

    language: str
    granularity: str

    def validate(self, problems: Problems, prop: str) -> None:
        for name, member in (("language", "Language"), ("granularity", "Granularity")):
            if validation.check_type(problems, f"{prop}.{name}", getattr(self, name), str, f"{name}='...'"):
                validation.check_value(
                    problems,
                    f"{prop}.{name}",
                    getattr(self, name),
                    api_model.member("ClarifyTextConfig", member),
                    "choose an allowed value",
                )


@dataclass(frozen=True, kw_only=True)
class ClarifyExplainer:
    """SageMaker Clarify's online explainability (Kernel SHAP) for a real-time endpoint on instances.

    Each served model's execution role may read a ``baseline`` given as an `S3Location` (one object).

    :param baseline: the SHAP baseline records, inline (at most 4 KB, e.g. ``'0,0,0,0'``) or an `S3Location` of
        one object in the training data's format.
    :param baseline_mime_type: ``text/csv`` or ``application/jsonlines``. Default: - ``text/csv``.
    :param enable_explanations: a JMESPath boolean expression over each answer record, e.g.
        ``'[1]>`0.5`'``; a request's ``EnableExplanations`` overrides it. Default: - every record is explained.
    :param number_of_samples: Kernel SHAP samples per record; fewer are faster. Default: - ``2 * features + 2048``
        (capped at ``2^features - 2``).
    :param use_logit: apply the logit function to the model's scores. Default: False.
    :param seed: seeds the sampling, for repeatable explanations. Default: - random.
    :param text: explain text features by unit (`ClarifyText`). Default: - no text explanations.
    :param inference: how Clarify reads the container's input and output (`ClarifyInference`). Default: - Clarify's.
    """

    baseline: str | S3Location
    baseline_mime_type: str | None = None
    enable_explanations: str | None = None
    number_of_samples: int | None = None
    use_logit: bool = False
    seed: int | None = None
    text: ClarifyText | None = None
    inference: ClarifyInference | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this choice's problems under the property name ``prop``."""
        if isinstance(self.baseline, S3Location):
            if check_location(problems, f"{prop}.baseline", self.baseline) and not validation.is_unresolved(
                self.baseline.bucket.bucket_name
            ):
                constraint = api_model.member("ClarifyShapBaselineConfig", "ShapBaselineUri")
                validation.check_value(problems, f"{prop}.baseline", self.baseline.url, constraint, "shorten the key")
        elif validation.check_type(problems, f"{prop}.baseline", self.baseline, str, "'0,0,0,0' or S3Location(...)"):
            constraint = api_model.member("ClarifyShapBaselineConfig", "ShapBaseline")
            validation.check_value(
                problems, f"{prop}.baseline", self.baseline, constraint, "give a larger baseline as an S3Location"
            )
        mime = self.baseline_mime_type
        if mime is not None and not validation.is_unresolved(mime) and mime not in BASELINE_MIME_TYPES:
            problems.add(
                rules.EXPLAINER,
                f"{prop}.baseline_mime_type",
                mime,
                f"one of {', '.join(BASELINE_MIME_TYPES)}",
                "give the baseline as CSV or JSON Lines",
            )
        _check_string(problems, f"{prop}.enable_explanations", self.enable_explanations, "ClarifyExplainerConfig",
                      "EnableExplanations")  # fmt: skip
        _check_expression(problems, f"{prop}.enable_explanations", self.enable_explanations)
        validation.check_value(
            problems,
            f"{prop}.number_of_samples",
            self.number_of_samples,
            api_model.member("ClarifyShapConfig", "NumberOfSamples"),
            "give at least 1",
        )
        validation.check_type(problems, f"{prop}.use_logit", self.use_logit, bool, "True or False")
        if self.seed is not None:
            validation.check_type(problems, f"{prop}.seed", self.seed, int, "seed=42")
        if self.text is not None and validation.check_type(
            problems, f"{prop}.text", self.text, ClarifyText, "ClarifyText(language='en', granularity='token')"
        ):
            self.text.validate(problems, f"{prop}.text")
        if self.inference is not None and validation.check_type(
            problems, f"{prop}.inference", self.inference, ClarifyInference, "ClarifyInference(...)"
        ):
            self.inference.validate(problems, f"{prop}.inference")
            types = self.inference.feature_types
            if self.text is None and isinstance(types, (list, tuple)) and "text" in types:
                problems.add(
                    rules.EXPLAINER,
                    f"{prop}.text",
                    None,
                    "a ClarifyText when a feature type is 'text' (natural-language explanations need it)",
                    "give text=ClarifyText(language='en', granularity='token')",
                )

    def render(self) -> CFN.ExplainerConfigProperty:
        stored = self.baseline if isinstance(self.baseline, S3Location) else None
        baseline = CFN.ClarifyShapBaselineConfigProperty(
            mime_type=self.baseline_mime_type,
            shap_baseline=None if stored else str(self.baseline),
            shap_baseline_uri=stored.url if stored else None,
        )
        text = (
            CFN.ClarifyTextConfigProperty(language=self.text.language, granularity=self.text.granularity)
            if self.text
            else None
        )
        shap = CFN.ClarifyShapConfigProperty(
            shap_baseline_config=baseline,
            number_of_samples=self.number_of_samples,
            use_logit=self.use_logit or None,
            seed=self.seed,
            text_config=text,
        )
        return CFN.ExplainerConfigProperty(
            clarify_explainer_config=CFN.ClarifyExplainerConfigProperty(
                shap_config=shap,
                enable_explanations=self.enable_explanations,
                inference_config=self.inference.render() if self.inference else None,
            )
        )

    def grant(self, role: ExecutionRole) -> None:
        """What Clarify does with a served model's ``role``: read an S3 baseline."""
        if isinstance(self.baseline, S3Location):
            role.grant_s3_object_read(self.baseline.bucket.arn_for_objects(self.baseline.prefix))


def _check_string(problems: Problems, prop: str, value: object, structure: str, member: str) -> None:
    if value is not None and validation.check_type(problems, prop, value, str, "a string"):
        validation.check_value(problems, prop, value, api_model.member(structure, member), "shorten it")


def _check_expression(problems: Problems, prop: str, expression: object) -> None:
    """A JMESPath expression that compiles (jmespath, the library botocore evaluates them with)."""
    if not isinstance(expression, str) or validation.is_unresolved(expression):
        return
    import jmespath  # only when an explainer is configured
    import jmespath.exceptions

    try:
        jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as error:
        problems.add(
            rules.EXPLAINER,
            prop,
            expression,
            f"a JMESPath expression ({str(error).splitlines()[0]})",
            "write literals in backticks, e.g. '`true`' or 'probability>`0.5`'",
        )
