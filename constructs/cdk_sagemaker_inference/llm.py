"""Large language models on GPUs: typed settings of the TGI, LMI and vLLM containers, rendered as their environment.

Each server reads its own variables (TGI: ``HF_MODEL_ID``, ``SM_NUM_GPUS``, ``MAX_INPUT_TOKENS``...; LMI:
``OPTION_*``; the vLLM image: ``SM_VLLM_*``, each turned into the ``vllm serve`` flag of the same name). A
`LargeLanguageModel` names the settings once, checks them at synth, and `Model(llm=...)` renders the right
variables with the server's SageMaker-owned image. A Hugging Face token comes from Secrets Manager as a
CloudFormation dynamic reference: the template holds only the reference, which CloudFormation resolves during the
deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration

from . import rules, validation
from .container_image import ContainerImage
from .errors import Problems
from .model_data import ModelData
from .s3_location import S3Location, check_location

if TYPE_CHECKING:
    from aws_cdk import aws_secretsmanager as secretsmanager

WEIGHTS_PATH = "/opt/ml/model"  # where SageMaker copies uncompressed model data
DOWNLOAD_TIMEOUT = Duration.minutes(30)
"""A variant or component serving an LLM waits this long for its weights unless told otherwise (SageMaker's own
default suits small models)."""
STARTUP_TIMEOUT = Duration.minutes(30)
"""A variant or component serving an LLM waits this long for the server to load the weights onto the GPUs and
answer /ping, unless told otherwise."""


class LlmServer:
    """The serving containers `LargeLanguageModel` configures."""

    TGI = "tgi"
    """Hugging Face Text Generation Inference (the ``huggingface-llm`` image)."""
    LMI = "lmi"
    """AWS Large Model Inference (the ``djl-lmi`` image)."""
    VLLM = "vllm"
    """vLLM (SageMaker's ``vllm`` image)."""


@dataclass(frozen=True)
class _Server:
    framework: str  # in the SageMaker-owned image table
    version: str
    model: str
    gpus: str
    max_input_tokens: str | None
    max_total_tokens: str
    quantization: str


SERVERS = {
    LlmServer.TGI: _Server(
        "huggingface-llm",
        "3.3",
        "HF_MODEL_ID",
        "SM_NUM_GPUS",
        "MAX_INPUT_TOKENS",
        "MAX_TOTAL_TOKENS",
        "HF_MODEL_QUANTIZE",
    ),
    LlmServer.LMI: _Server(
        "djl-lmi",
        "0.36.0",
        "HF_MODEL_ID",
        "OPTION_TENSOR_PARALLEL_DEGREE",
        None,
        "OPTION_MAX_MODEL_LEN",
        "OPTION_QUANTIZE",
    ),
    LlmServer.VLLM: _Server(
        "vllm",
        "0.30",
        "SM_VLLM_MODEL",
        "SM_VLLM_TENSOR_PARALLEL_SIZE",
        None,
        "SM_VLLM_MAX_MODEL_LEN",
        "SM_VLLM_QUANTIZATION",
    ),
}


HF_TOKEN = "HF_TOKEN"  # read by TGI, LMI and vLLM (huggingface_hub's variable)


@dataclass(frozen=True, kw_only=True)
class LargeLanguageModel:
    """A large language model and how its server runs it, e.g.
    ``LargeLanguageModel(server=LlmServer.TGI, model_id="org/name", gpus=4)``; serve it with ``Model(llm=...)``.

    :param server: an `LlmServer` value.
    :param model_id: a Hugging Face Hub model ID, downloaded by the server at start. Default: - none.
    :param weights: an S3 prefix holding the model's files, copied uncompressed to /opt/ml/model (faster and
        needing no Hub access; exactly one of ``model_id`` and ``weights``). Default: - none.
    :param version: the server image's version (an alias such as ``3.3`` too). Default: TGI 3.3, LMI 0.36.0,
        vLLM 0.30.
    :param gpus: GPUs the model is sharded over (tensor parallelism), at most the instance's. Default: - the
        server's (all GPUs for TGI and LMI, 1 for vLLM).
    :param max_input_tokens: the longest prompt, in tokens (TGI only). Default: - the server's.
    :param max_total_tokens: prompt plus generated tokens, per request. Default: - the server's (the model's).
    :param quantization: the server's quantization method, e.g. ``awq``, ``gptq``, ``fp8``. Default: - none.
    :param hf_token: a Secrets Manager secret whose string is a Hugging Face token, for gated models.
        Default: - none.
    :param environment: more variables for the server. Default: - none.
    """

    server: str
    model_id: str | None = None
    weights: S3Location | None = None
    version: str | None = None
    gpus: int | None = None
    max_input_tokens: int | None = None
    max_total_tokens: int | None = None
    quantization: str | None = None
    hf_token: secretsmanager.ISecret | None = None
    environment: Mapping[str, str] | None = None

    @property
    def image(self) -> ContainerImage:
        """The server's SageMaker-owned image (each is published for GPUs only)."""
        server = SERVERS[self.server]
        return ContainerImage.from_sagemaker_owned(server.framework, self.version or server.version)

    @property
    def model_data(self) -> ModelData | None:
        """The weights as uncompressed model data, if given."""
        return ModelData.from_uncompressed(self.weights.bucket, self.weights.prefix) if self.weights else None

    def rendered_environment(self) -> dict[str, str]:
        """The server's variables (the token as a dynamic reference), then ``environment``."""
        server = SERVERS[self.server]
        values = {
            server.model: WEIGHTS_PATH if self.weights is not None else self.model_id,
            server.gpus: self.gpus,
            server.max_input_tokens: self.max_input_tokens,
            server.max_total_tokens: self.max_total_tokens,
            server.quantization: self.quantization,
            HF_TOKEN: self.hf_token.secret_value.unsafe_unwrap() if self.hf_token is not None else None,
        }
        rendered = {name: str(value) for name, value in values.items() if name is not None and value is not None}
        return {**rendered, **dict(self.environment or {})}

    def validate(self, problems: Problems, prop: str) -> None:
        """Add the settings' problems under ``prop``."""
        if not isinstance(self.server, str) or self.server not in SERVERS:
            write = "use LlmServer.TGI, LlmServer.LMI or LlmServer.VLLM"
            problems.add(rules.LLM_SETTINGS, f"{prop}.server", self.server, "tgi, lmi or vllm", write)
            return
        if (self.model_id is None) == (self.weights is None):
            problems.add(
                rules.LLM_SETTINGS,
                prop,
                {"model_id": self.model_id, "weights": self.weights},
                "exactly one of model_id (from the Hugging Face Hub) and weights (an S3 prefix)",
                "pass model_id='org/name' or weights=S3Location(bucket, 'prefix/')",
            )
        validation.check_type(problems, f"{prop}.model_id", self.model_id, (str, type(None)), "'org/name'")
        if self.weights is not None:
            check_location(problems, f"{prop}.weights", self.weights)
        for name in ("version", "quantization"):
            validation.check_type(problems, f"{prop}.{name}", getattr(self, name), (str, type(None)), "a string")
        self._validate_counts(problems, prop)
        if self.hf_token is not None:
            write = "secretsmanager.Secret.from_secret_name_v2(scope, 'HfToken', 'hf-token')"
            validation.check_interface(
                problems, f"{prop}.hf_token", self.hf_token, "secretsmanager.ISecret", "secret_value", write
            )
        if self.environment is not None and validation.check_type(
            problems, f"{prop}.environment", self.environment, Mapping, "{'NAME': 'value'}"
        ):
            validation.check_environment(problems, f"{prop}.environment", dict(self.environment))

    def _validate_counts(self, problems: Problems, prop: str) -> None:
        counts = {
            "gpus": self.gpus,
            "max_input_tokens": self.max_input_tokens,
            "max_total_tokens": self.max_total_tokens,
        }
        literal = {}
        for name, value in counts.items():
            if value is None or validation.is_unresolved(value):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.add(rules.LLM_SETTINGS, f"{prop}.{name}", value, "a whole number of at least 1", "fix it")
            else:
                literal[name] = value
        if self.max_input_tokens is not None and SERVERS[self.server].max_input_tokens is None:
            problems.add(
                rules.LLM_SETTINGS,
                f"{prop}.max_input_tokens",
                self.max_input_tokens,
                f"only for TGI: {self.server} bounds the prompt by max_total_tokens alone",
                "drop max_input_tokens",
            )
        prompt, total = literal.get("max_input_tokens"), literal.get("max_total_tokens")
        if prompt is not None and total is not None and prompt >= total:
            problems.add(
                rules.LLM_SETTINGS,
                f"{prop}.max_input_tokens",
                prompt,
                f"less than max_total_tokens ({total}): the total includes the answer",
                "raise max_total_tokens or lower max_input_tokens",
            )
