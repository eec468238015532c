"""Every rule the library enforces or warns about, each with a stable ID: the source of ``docs/rules.md``.

Error and warning texts cite the ID, so a user can look the rule up in the project. Limits read from
botocore's API model are rules too: one per shape, listed in `API_SHAPES` (a check of an unlisted shape
fails loudly). `markdown` renders the table (``make docs``); a test keeps the file equal to it. An installed
wheel has no ``docs/``: ``python -m cdk_sagemaker_inference [ID ...]`` prints the rules, all or those named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
GUIDE = "SageMaker Developer Guide"
DOCS_FILE = "docs/rules.md"
LOOK_UP = f"python -m cdk_sagemaker_inference <ID> prints a rule; {DOCS_FILE} lists all"


@dataclass(frozen=True)
class Rule:
    """One rule: ``id`` is stable (warnings are acknowledged by it), ``checks`` says what it checks."""

    id: str
    checks: str
    source: str
    severity: Severity = "error"


_RULES: dict[str, Rule] = {}


def _rule(rule_id: str, checks: str, source: str, severity: Severity = "error") -> Rule:
    assert rule_id not in _RULES, rule_id
    _RULES[rule_id] = Rule(rule_id, checks, source, severity)
    return _RULES[rule_id]


def guide(title: str, page: int) -> str:
    """A page of the SageMaker Developer Guide by title, with its printed page number."""
    return f"{GUIDE}, '{title}' (p. {page})"


LIBRARY = "this library's API"

# Types and values of arguments.
WRONG_TYPE = _rule("WrongType", "each argument has the type its docstring names (say what to write instead)", LIBRARY)
NUMBER = _rule(
    "Number",
    "numbers are finite; integer fields get integers; values fit the API's int32, int64 or float32 type",
    "botocore's shape types (integer, long, float)",
)
WHOLE_SECONDS = _rule(
    "WholeSeconds",
    "a Duration rendered in seconds is whole seconds; a deploy-time Duration is given in seconds",
    "the CloudFormation properties (*InSeconds integers)",
)
# Container images.
IMAGE_PIN = _rule("ImagePin", "an ECR image is pinned by exactly one of tag or digest (no silent latest)", LIBRARY)
IMAGE_TAG = _rule("ImageTag", "an ECR image tag is 1-128 word characters, dots and hyphens", "Amazon ECR image tags")
IMAGE_DIGEST = _rule("ImageDigest", "an image digest is sha256:<64 hex digits>", "Amazon ECR image digests")
ECR_IMAGE_URI = _rule(
    "EcrImageUri",
    "an image URI is an Amazon ECR URI <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>|@<digest>",
    guide("Use your own inference code with hosting services", 6584),
)
IMAGE_REGION = _rule(
    "ImageRegion",
    "a model's image is in ECR in the model's own Region (a literal image URI or repository ARN in a stack of a "
    "literal Region)",
    "botocore shape ContainerDefinition (sagemaker), member Image",
)
OWNED_IMAGE = _rule(
    "OwnedImage",
    "a SageMaker-owned image names a framework, version (or alias), processor and Python version of the table "
    "generated from the SageMaker Python SDK's image-URI configuration",
    "the SageMaker Python SDK (sagemaker-core) image_uri_config, as pinned in requirements-images.txt",
)
OWNED_IMAGE_REGION = _rule(
    "OwnedImageRegion",
    "a SageMaker-owned image is published in the model's Region (a stack of a literal Region)",
    "the SageMaker Python SDK (sagemaker-core) image_uri_config registries",
)
LLM_SETTINGS = _rule(
    "LlmSettings",
    "a large language model names a server, exactly one of a Hub model ID and S3 weights, whole counts of at least 1, "
    "a prompt limit below the total (TGI only)",
    "the servers' documented variables: TGI (HF_MODEL_ID, SM_NUM_GPUS, MAX_INPUT_TOKENS, MAX_TOTAL_TOKENS), LMI "
    "(OPTION_*), the SageMaker vLLM image (SM_VLLM_*, aws.github.io/deep-learning-containers/vllm/configuration)",
)
LLM_GPUS = _rule(
    "LlmGpus",
    "a large language model runs on an NVIDIA GPU type with at least its GPUs (a component: at least that many "
    "accelerators)",
    "the SageMaker Python SDK's instance_gpu_info (GPU counts per instance type)",
)
DOCKERFILE = _rule("Dockerfile", "a local image directory holds the Dockerfile named", LIBRARY)
# Model data.
S3_URL = _rule("S3Url", "model data is named by s3://<bucket>/<key>", "botocore shape Url (sagemaker)")
LITERAL_MODEL_DATA_URL = _rule(
    "LiteralModelDataUrl",
    "a model-data URL known only at deploy time comes with its bucket (ModelData.from_bucket), so the grant is exact",
    LIBRARY,
)
NO_WILDCARD_KEY = _rule(
    "NoWildcardKey",
    "an S3 key or prefix (model data, asynchronous locations) holds no * or ? (IAM would read it as a wildcard)",
    LIBRARY,
)
MODEL_DATA_REGION = _rule(
    "ModelDataRegion",
    "model data sits in a bucket in the model's Region (when both are known at synth time)",
    guide("Deploy models", 5994),
)
MODEL_ARCHIVE_NAME = _rule(
    "ModelArchiveName",
    "a model-data key ends with .tar.gz, .tgz or is a CDK asset key (<hash>.gz); SageMaker reads the content, "
    "so another name only draws a warning",
    guide("Deploy models", 5994),
    "warning",
)
LOCAL_ARCHIVE = _rule(
    "LocalArchive", "a local model file exists and is gzip-compressed (SageMaker extracts a .tar.gz)", LIBRARY
)
LOCAL_DIRECTORY = _rule("LocalDirectory", "a local model directory exists and holds at least one file", LIBRARY)
NO_SYMLINKS = _rule(
    "NoSymlinks",
    "a model directory holds no symlinks (model creation fails on archives that contain them)",
    guide("Inference cost optimization best practices", 6559),
)
# Models, configs, endpoints.
VPC_REQUIRED = _rule("VpcRequired", "subnets and security groups are given only with a VPC", LIBRARY)
UNIQUE_VARIANT_NAMES = _rule(
    "UniqueVariantNames", "the variants of one endpoint config have distinct names", "SageMaker CreateEndpointConfig"
)
SAME_ENVIRONMENT = _rule(
    "SameEnvironment",
    "a model and its config, and a config and its endpoint, are in one account and Region (when literal)",
    guide("Deploy models", 6001),
)
UNIQUE_ENDPOINT_NAME = _rule(
    "UniqueEndpointName",
    "no two endpoints of one app share a literal name in the same account and Region",
    guide("Deploy models", 6014),
)
KNOWN_VARIANT = _rule("KnownVariant", "a metric or a smoke-test target names a variant the endpoint has", LIBRARY)
IMPORT = _rule(
    "Import", "an imported endpoint, model or endpoint config is given by a valid name, ARN, or both", LIBRARY
)
# Variant kinds and what they refuse (see compatibility.py).
SERVERLESS_MEMORY_STEP = _rule(
    "ServerlessMemoryStep",
    "serverless memory is 1024 to 6144 MB in steps of 1024",
    guide("Serverless Inference: How it works", 6196),
)
PROVISIONED_CONCURRENCY = _rule(
    "ProvisionedConcurrency",
    "serverless provisioned concurrency is at most the variant's max concurrency",
    guide("Serverless Inference: Serverless endpoint operations", 6207),
)
SERVERLESS_SINGLE_VARIANT = _rule(
    "ServerlessSingleVariant",
    "a config with a serverless variant has no other variant (serverless: one variant per endpoint)",
    guide("Serverless Inference: Getting started", 6198),
)
SERVERLESS_NO_VPC = _rule(
    "ServerlessNoVpc",
    "a serverless variant's model has no VPC configuration",
    guide("Serverless Inference: Getting started", 6198),
)
SERVERLESS_NO_NETWORK_ISOLATION = _rule(
    "ServerlessNoNetworkIsolation",
    "a serverless variant's model has no network isolation",
    guide("Serverless Inference: Getting started", 6198),
)
SSM_NO_NETWORK_ISOLATION = _rule(
    "SsmNoNetworkIsolation",
    "a variant with SSM access serves no network-isolated model and is not in a network-isolated config",
    guide("Access containers through SSM", 6342),
)
SERVERLESS_NO_ASYNC = _rule(
    "ServerlessNoAsync",
    "asynchronous inference runs on instance variants, not serverless ones",
    guide("Asynchronous inference: How Do I Get Started?", 6234),
)
PUBLISHED_METRIC = _rule(
    "PublishedMetric",
    "a metric is one SageMaker publishes for the endpoint's kind (e.g. async has no Invocations; serverless no "
    "CPUUtilization)",
    guide("Asynchronous inference: Alarms and logs", 6248),
)
# Multi-container, multi-model and uncompressed model data.
MODEL_CONTAINERS = _rule(
    "ModelContainers",
    "a model has one source: container (with model_data, environment), 1 to 15 containers, or a model package; an "
    "execution mode only with containers",
    guide("Multi-container endpoints", 6082),
)
MODEL_PACKAGE_REGION = _rule(
    "ModelPackageRegion",
    "a model package (a literal ARN) is in the model's Region",
    "botocore shape ContainerDefinition (sagemaker), member ModelPackageName: a package of the model's Region",
)
MARKETPLACE_NETWORK_ISOLATION = _rule(
    "MarketplaceNetworkIsolation",
    "a model serving an AWS Marketplace model package has network isolation",
    "the SageMaker Python SDK's ModelPackage.enable_network_isolation (True for Marketplace packages)",
)
METRIC_PUBLISH_FREQUENCY = _rule(
    "MetricPublishFrequency",
    "an endpoint's metrics are published every 10, 30, 60, 120, 180, 240 or 300 seconds",
    "CloudFormation schema AWS::SageMaker::EndpointConfig MetricsConfig.MetricPublishFrequencyInSeconds (enum)",
)
PRIVATE_REGISTRY = _rule(
    "PrivateRegistry",
    "an image from a private Docker registry is outside ECR and served by a model in a VPC",
    "botocore shape ImageConfig (sagemaker): RepositoryAccessMode Vpc, a registry reached from the model's VPC",
)
SERVERLESS_NO_PRIVATE_REGISTRY = _rule(
    "ServerlessNoPrivateRegistry",
    "a serverless variant serves no image from a private Docker registry",
    guide("Serverless Inference: Getting started", 6198),
)
SERVERLESS_NO_MARKETPLACE = _rule(
    "ServerlessNoMarketplace",
    "a serverless variant serves no AWS Marketplace model package",
    guide("Serverless Inference: Getting started", 6198),
)
DIRECT_HOSTNAMES = _rule(
    "DirectHostnames",
    "every container of a Direct multi-container model has a hostname; hostnames are unique in the model",
    guide("Multi-container endpoints", 6084),
)
SINGLE_MULTI_MODEL_CONTAINER = _rule(
    "SingleMultiModelContainer",
    "at most one container of a model (a serial pipeline) is multi-model",
    guide("Multi-model endpoints", 6052),
)
MULTI_MODEL_PREFIX = _rule(
    "MultiModelPrefix",
    "multi-model data is a key prefix ending in / and the local models' names make valid keys",
    guide("Multi-model endpoints", 6054),
)
MULTI_MODEL_GPU = _rule(
    "MultiModelGpu",
    "a multi-model endpoint on GPU uses a single-GPU instance type and a Triton container (an image known not to "
    "be Triton is refused)",
    guide("Multi-model endpoints: Supported instances", 6047),
)
MULTI_MODEL_INSTANCE = _rule(
    "MultiModelInstance",
    "a multi-model endpoint runs on CPU types or single-GPU types: not on Inferentia or Trainium (the guide "
    "lists neither)",
    guide("Multi-model endpoints: Supported instances", 6045),
)
MULTI_MODEL_GPU_LIST = _rule(
    "MultiModelGpuList",
    "a GPU multi-model endpoint uses one of the single-GPU types the guide lists (others are not confirmed)",
    guide("Multi-model endpoints: Supported instances", 6045),
    "warning",
)
DOCKER_LABELS = _rule(
    "DockerLabels",
    "a locally built multi-model image sets LABEL com.amazonaws.sagemaker.capabilities.multi-models=true, and each "
    "image of a multi-container model accept-bind-to-port=true (unless its base image does)",
    guide("Multi-model endpoints: Build your own container", 6061),
    "warning",
)
KNOWN_TARGET = _rule(
    "KnownTarget",
    "a smoke test's target model is one the app uploads, its container hostname one the model has, its "
    "inference component one on the endpoint",
    LIBRARY,
)
SERVERLESS_SINGLE_CONTAINER = _rule(
    "ServerlessSingleContainer",
    "a serverless variant's model has one container (no serial pipeline or multi-container model)",
    guide("Serverless Inference: Getting started", 6198),
)
SERVERLESS_IMAGE_ACCOUNT = _rule(
    "ServerlessImageAccount",
    "a serverless model's own image (an ECR repository it names) is in the endpoint's account",
    guide("Serverless endpoint operations: Complete the prerequisites", 6201),
)
SERVERLESS_NO_MULTI_MODEL = _rule(
    "ServerlessNoMultiModel",
    "a serverless variant's model is not multi-model",
    guide("Serverless Inference: Getting started", 6198),
)
UNCOMPRESSED_DATA = _rule(
    "UncompressedData",
    "uncompressed model data (ModelDataSource) is not served by serverless or multi-model endpoints",
    guide("Deploying uncompressed models", 6285),
)
# Inference components.
INFERENCE_COMPONENT_HOST = _rule(
    "InferenceComponentHost",
    "a config that hosts inference components has only host variants (no model): no model variant, no "
    "serverless, no shadow variants",
    guide("Inference components: Create an endpoint", 6011),
)
INSTANCE_POOLS = _rule(
    "InstancePools",
    "fallback instance types (InstancePools) are alike the variant's instance type (accelerator kind, GPU count "
    "where known, local storage), each listed once, and not on multi-model endpoints",
    "SageMaker Developer Guide, 'Deploy to multiple instance types with instance pools' (online; newer than the "
    "extract); botocore's InstancePool",
)
MANAGED_INSTANCE_SCALING = _rule(
    "ManagedInstanceScaling",
    "managed instance scaling has min <= initial instance count <= max (min 0 only for inference-component hosts)",
    guide("Scale an endpoint to zero instances", 6143),
)
INFERENCE_COMPONENT_MODEL = _rule(
    "InferenceComponentModel",
    "an inference component's model has the endpoint config's execution role, network isolation and VPC",
    guide("Deploy models", 6001),
)
INFERENCE_COMPONENT_ENDPOINT = _rule(
    "InferenceComponentEndpoint",
    "an inference component is placed on an endpoint whose config hosts components, on one of its variants",
    guide("Inference components: Create an endpoint", 6011),
)
ADAPTER = _rule(
    "Adapter",
    "an adapter component names a base component on the same endpoint and gives artifacts, no model or compute",
    guide("Adapter inference components", 6192),
)
COMPONENT_COMPUTE = _rule(
    "ComponentCompute",
    "a component with a model gives its compute: memory (at least 128 MB, max >= min), CPU cores or accelerators",
    "botocore shape InferenceComponentComputeResourceRequirements (sagemaker)",
)
COMPONENT_COPIES = _rule(
    "ComponentCopies",
    "a component starts with at least one copy (zero comes from scaling): botocore's CopyCount allows 0, but "
    "CreateInferenceComponent refuses it",
    "botocore shape InferenceComponentRuntimeConfig (sagemaker); CreateInferenceComponent as a live account answers",
)
# Shadow variants and data capture.
SHADOW_VARIANTS = _rule(
    "ShadowVariants",
    "a config has at most one shadow variant, and then exactly one production variant, of instances",
    guide("Shadow tests: Create a shadow test", 6324),
)
SHADOW_UNSUPPORTED = _rule(
    "ShadowUnsupported",
    "shadow variants are not on asynchronous, multi-model, multi-container, AWS Marketplace or Inf1 endpoints",
    guide("Shadow tests", 6323),
)
EXPLAINER = _rule(
    "Explainer",
    "online explainability (Clarify) is on real-time instance endpoints serving models, its JMESPath expressions "
    "compile (an invalid one fails the endpoint's creation), its baseline is CSV or JSON Lines, and text feature "
    "types come with a text configuration",
    guide("Online explainability: The EnableExplanations expression", 6178),
)
SHADOW_TEST_SCHEDULE = _rule(
    "ShadowTestSchedule",
    "a shadow test's start and end know their time zone and, when both are given, lie 1 hour to 30 days apart",
    guide("Create a shadow test", 6327),
)
DATA_QUALITY = _rule(
    "DataQuality",
    "a data-quality monitor watches an endpoint whose config this library defines and captures requests, with "
    "both baseline files or neither",
    "botocore's EndpointInput ('an endpoint ... which has enabled DataCaptureConfig') and DataQualityBaselineConfig",
)
MONITOR_SCHEDULE = _rule(
    "MonitorSchedule",
    "a monitoring schedule is hourly, daily at an hour 0-23, or every 1-24 hours, and a job's limit is at most "
    "the schedule's interval",
    "botocore's ScheduleConfig.ScheduleExpression and MonitoringStoppingCondition.MaxRuntimeInSeconds",
)
POLICY_SIZE = _rule(
    "PolicySize",
    "a managed policy the library writes stays within IAM's 6,144 characters (deploy-time values at their longest)",
    "IAM User Guide, 'IAM and AWS STS quotas': managed policy size",
)
STACK_BUDGET = _rule(
    "StackBudget",
    "each synthesized stack has at most 500 resources and 1 MB of template (checked on the templates); "
    "EndpointStacks puts 1 or more endpoints in each stack",
    "AWS CloudFormation User Guide, 'CloudFormation quotas'",
)
DATA_CAPTURE = _rule(
    "DataCapture",
    "data capture captures input, output or both, to an s3:// prefix, and not on serverless, multi-model or "
    "multi-container endpoints",
    guide("Supported features", 6576),
)
# Autoscaling.
SCALING_CAPACITY = _rule(
    "ScalingCapacity",
    "min <= max capacity, the starting capacity within them, min >= 1 (0 for asynchronous instances and "
    "inference-component copies); provisioned concurrency at most the variant's max concurrency",
    guide("Automatic scaling: Prerequisites", 6123),
)
SCALING_KIND = _rule(
    "ScalingKind",
    "what scales is what the variant has: instances (not burstable T types, not an inference-component host, "
    "whose instances managed scaling owns), provisioned concurrency of a serverless variant that has some, "
    "copies of a component that is not an adapter; one scalable target each",
    guide("Automatic scaling: Register a model", 6128),
)
SCALING_METRIC = _rule(
    "ScalingMetric",
    "a scaling policy tracks a metric SageMaker publishes for the kind (backlog for async, invocations or "
    "concurrency otherwise, instance utilization by name)",
    guide("Autoscale an asynchronous endpoint", 6257),
)
SCALING_TARGET = _rule(
    "ScalingTarget",
    "a target value is above 0, and at most 1 for provisioned-concurrency utilization (a ratio) and 100 for "
    "memory and disk utilization (percent)",
    guide("Serverless Inference: Automatically scale Provisioned Concurrency", 6221),
)
SCALE_OUT_FROM_ZERO = _rule(
    "ScaleOutFromZero",
    "a policy that scales out from zero is on a target whose minimum is 0",
    guide("Scale an endpoint to zero instances", 6145),
)
SCALING_GUARD_SIZE = _rule(
    "ScalingGuardSize",
    "an autoscaled instance variant's declared scaling (target, scheduled actions, policies) fits in the scaling "
    "guard's response, which carries it across an instance-type change",
    LIBRARY,
)
SCALING_SCHEDULE = _rule(
    "ScalingSchedule",
    "a scheduled action's cron fields are within Application Auto Scaling's ranges (minutes 0-59, hours 0-23, "
    "days 1-31, months 1-12 or JAN-DEC, week days 1-7 or SUN-SAT, years 1970-2199)",
    guide("Scheduled scaling", 6226),
)
ZERO_TRACKING_ONLY = _rule(
    "ZeroTrackingOnly",
    "a target whose minimum is 0 and that has target tracking has a step policy to scale out from zero: target "
    "tracking cannot leave 0 (its metric has no data there)",
    guide("Scale an endpoint to zero instances", 6145),
)
ZERO_WITHOUT_SCALE_OUT = _rule(
    "ZeroWithoutScaleOut",
    "a target that may scale to 0 has a policy that scales out from zero (it has none at all)",
    guide("Automatic scaling", 6122),
    "warning",
)
# Deployments.
DEPLOYMENT_KIND = _rule(
    "DeploymentKind",
    "deployment guardrails are for real-time and asynchronous endpoints (not serverless); a rolling deployment "
    "is for an endpoint with one variant",
    guide("Deployment guardrails", 6321),
)
DEPLOYMENT_SIZE = _rule(
    "DeploymentSize",
    "canary and linear shifts have a size and all at once none; a canary is at most 50 % of the fleet, a linear "
    "step 10 to 50 %, a rolling batch 5 to 50 % (of a component's copies: at least 1 copy); the execution timeout "
    "is longer than the baking (a canary bakes twice) and termination waits",
    guide("Use canary traffic shifting", 6309),
)
DEPLOYMENT_VARIANTS = _rule(
    "DeploymentVariants",
    "a guarded endpoint's default name carries its variant names (a blue/green or rolling update must keep them, "
    "so a changed set replaces the endpoint); its variants are all added before the endpoint is defined",
    guide("Exclusions", 6321),
)
DEPLOYMENT_PROVISIONING = _rule(
    "DeploymentProvisioning",
    "a blue/green deployment's execution timeout leaves at least 10 minutes beyond its waits to provision the new "
    "fleet",
    guide("Use canary traffic shifting", 6309),
    "warning",
)
DEPLOYMENT_FALLBACK = _rule(
    "DeploymentFallback",
    "deployment settings on Inf1 and AWS Marketplace variants are ignored: SageMaker shifts all at once without baking",
    guide("Deployment guardrails", 6321),
    "warning",
)
# Alarms.
ROLLBACK_ALARMS = _rule(
    "RollbackAlarms",
    "rollback alarms can stop the deployment they guard: each reaches ALARM within one bake (datapoints x period "
    "+ the minute SageMaker's data points take), at least one is added, new-fleet alarms need a deployment",
    guide("Auto-Rollback Configuration and Monitoring", 6297),
)
ALARM_CAN_FIRE = _rule(
    "AlarmCanFire",
    "an alarm can fire: not the Average of a 0/1 metric (errors, HasBacklogWithoutCapacity) above 1, a known "
    "severity, a variant the endpoint has",
    guide("Configure CloudWatch alarms for auto-rollback", 6299),
)
METRIC_UNIT = _rule(
    "MetricUnit",
    "a unit given for a SageMaker metric is the one it is published in (latency in microseconds, backlog time in "
    "milliseconds, utilization in percent)",
    guide("Monitor SageMaker AI with Amazon CloudWatch", 6106),
)
# Smoke tests.
SMOKE_TEST_TIMEOUT = _rule(
    "SmokeTestTimeout",
    "a smoke test's timeout is whole seconds from 1 to 45 minutes, and at least 15 minutes for a target that may "
    "have scaled to zero (the scale-out alarm, an instance launch and the model's load)",
    LIBRARY,
)
SMOKE_TEST_SIZE = _rule(
    "SmokeTestSize",
    "a smoke test's payload and body check, and all of a stack's smoke tests together, stay within the sizes "
    "CloudFormation and Step Functions accept",
    "CloudFormation quotas (1 MB template), Step Functions (256 KiB input)",
)
NAG_REASON = _rule(
    "NagReason", "a cdk-nag acknowledgment gives a reason of at least 10 characters", "cdk-nag 2 (NagSuppressions)"
)
PAYLOAD_FILE = _rule(
    "PayloadFile", "a smoke test payload file exists when the app synthesizes (it is read then)", LIBRARY
)
DASHBOARD_NAME = _rule(
    "DashboardName",
    "a dashboard name is 1 to 255 letters, digits, - and _",
    "CloudWatch PutDashboard (DashboardName), as aws-cdk-lib checks it",
)
MEDIA_TYPE = _rule(
    "MediaType", "content types and accept headers are type/subtype in printable ASCII (no CR or LF)", "RFC 9110"
)
HTTP_STATUS = _rule("HttpStatus", "an expected status is an integer HTTP status from 100 to 599", "RFC 9110")
SAFE_REGEX = _rule(
    "SafeRegex",
    "a body-check regular expression compiles and has no nested quantifiers (catastrophic backtracking)",
    LIBRARY,
)
FINITE_JSON = _rule(
    "FiniteJson", "JSON payloads and checks are JSON: JSON types only, no NaN or Infinity, no cycles", "RFC 8259"
)
ASYNC_SMOKE_TEST = _rule(
    "AsyncSmokeTest",
    "an asynchronous smoke test checks status 200 only, needs the output location for body checks, takes no target",
    "SageMaker InvokeEndpointAsync",
)
INVOCATION_KIND = _rule(
    "InvocationKind", "smoke-test options fit the endpoint's kind (async, multi-model, components, Direct)", LIBRARY
)
# Soft problems (warnings).
SINGLE_INSTANCE = _rule(
    "SingleInstance",
    "an endpoint runs on 2 or more instances, so SageMaker can spread them across Availability Zones",
    guide("Best practices for deploying models on SageMaker AI Hosting Services", 6550),
    "warning",
)
NO_TRAFFIC = _rule("NoTraffic", "not every variant has weight 0 (the endpoint would route nothing)", LIBRARY, "warning")
SINGLE_SUBNET = _rule(
    "SingleSubnet",
    "a model in a VPC uses at least 2 subnets in different Availability Zones",
    guide("Monitor Security Best Practices", 6551),
    "warning",
)
MIXED_MODEL_NETWORKS = _rule(
    "MixedModelNetworks",
    "models served by one endpoint share network isolation and subnets",
    guide("Deploy models", 6001),
    "warning",
)
LOCAL_INSTANCE_STORAGE = _rule(
    "LocalInstanceStorage",
    "no volume size or volume KMS key on instance types with local NVMe storage (d families, g5)",
    guide("Validation of models in production", 6151),
    "warning",
)

SSM_ACCESS = _rule(
    "SsmAccess",
    "SSM access is for development and test: it needs the account allow-listed through AWS Support, slows the "
    "variant, and delays SageMaker's patching and replacement of faulty instances by a day",
    guide("Access containers through SSM", 6339),
    "warning",
)

# Limits read from botocore's API model, one rule per shape: (service, shape) -> what it bounds.
API_SHAPES: dict[tuple[str, str], str] = {
    ("sagemaker", "EnvironmentMap"): "container environment: number of entries",
    ("sagemaker", "EnvironmentKey"): "container environment: key pattern and length",
    ("sagemaker", "EnvironmentValue"): "container environment: value length",
    ("sagemaker", "Url"): "model data URL: length and scheme",
    ("sagemaker", "ContainerImage"): "image URI: length, no white space",
    ("sagemaker", "Subnets"): "VPC subnets: 1 to 16",
    ("sagemaker", "VpcSecurityGroupIds"): "VPC security groups: 1 to 5",
    ("sagemaker", "ProductionVariantList"): "variants per endpoint config: 1 to 10",
    ("sagemaker", "VariantName"): "variant name: pattern and length",
    ("sagemaker", "InitialTaskCount"): "initial instance count: at least 1",
    ("sagemaker", "VariantWeight"): "variant weight: at least 0",
    ("sagemaker", "ProductionVariantVolumeSizeInGB"): "ML storage volume size in GB",
    ("sagemaker", "ProductionVariantModelDataDownloadTimeoutInSeconds"): "model download timeout in seconds",
    ("sagemaker", "ProductionVariantContainerStartupHealthCheckTimeoutInSeconds"): "container startup timeout",
    ("sagemaker", "ProductionVariantInferenceAmiVersion"): "inference AMI version: one of the listed values",
    ("sagemaker", "InstancePoolList"): "instance pools per variant: 1 to 5",
    ("sagemaker", "VariantInstanceProvisionTimeoutInSeconds"): "instance provisioning timeout: 300 to 3600 seconds",
    ("sagemaker", "MlReservationArn"): "ML capacity reservation ARN: pattern and length",
    ("sagemaker", "ProductionVariantInstanceType"): "instance type: one of the hosting instance types",
    ("sagemaker", "ServerlessMemorySizeInMB"): "serverless memory in MB: 1024 to 6144",
    ("sagemaker", "ServerlessMaxConcurrency"): "serverless max concurrency: 1 to 200",
    ("sagemaker", "ServerlessProvisionedConcurrency"): "serverless provisioned concurrency: 1 to 200",
    ("sagemaker", "DestinationS3Uri"): "asynchronous output and failure locations: s3:// URI length",
    ("sagemaker", "MaxConcurrentInvocationsPerInstance"): "asynchronous requests per instance: 1 to 1000",
    ("sagemaker", "ModelName"): "imported model name: pattern and length",
    ("sagemaker", "ArnOrName"): "model package group: a name or an ARN, pattern and length",
    ("sagemaker", "ModelPackageGroupArn"): "model package group ARN: pattern and length",
    ("sagemaker", "ModelPackageArn"): "model package (version) ARN: pattern and length",
    ("sagemaker", "ModelArn"): "imported model ARN: pattern and length",
    ("sagemaker", "EndpointConfigName"): "imported endpoint config name: pattern and length",
    ("sagemaker", "EndpointConfigArn"): "imported endpoint config ARN: pattern and length",
    ("sagemaker", "EndpointName"): "endpoint name: pattern and length",
    ("sagemaker", "EndpointArn"): "endpoint ARN: pattern and length",
    ("sagemaker-runtime", "Header"): "smoke-test content type and accept header: length, ASCII",
    ("sagemaker-runtime", "InvocationTimeoutSecondsHeader"): "asynchronous smoke-test invocation timeout: 1 to 3600 s",
    ("sagemaker-runtime", "TargetModelHeader"): "smoke-test target model",
    ("sagemaker-runtime", "TargetVariantHeader"): "smoke-test target variant",
    ("sagemaker-runtime", "InferenceComponentHeader"): "smoke-test inference component name",
    ("sagemaker-runtime", "TargetContainerHostnameHeader"): "smoke-test target container hostname",
    ("sagemaker", "ContainerDefinitionList"): "containers of a model: at most 15",
    ("sagemaker", "ContainerHostname"): "container hostname: pattern and length",
    ("sagemaker", "InferenceExecutionMode"): "multi-container execution mode: Serial or Direct",
    ("sagemaker", "ManagedInstanceScalingMinInstanceCount"): "managed instance scaling minimum: at least 0",
    ("sagemaker", "ManagedInstanceScalingMaxInstanceCount"): "managed instance scaling maximum: at least 1",
    ("sagemaker", "RoutingStrategy"): "variant routing strategy: one of the listed values",
    ("sagemaker", "InferenceComponentName"): "inference component name: pattern and length",
    ("sagemaker", "NumberOfCpuCores"): "inference component CPU cores: at least 0.25",
    ("sagemaker", "NumberOfAcceleratorDevices"): "inference component accelerators: at least 1",
    ("sagemaker", "MemoryInMb"): "inference component memory in MB: at least 128",
    ("sagemaker", "InferenceComponentCopyCount"): "inference component copies: at least 0",
    ("sagemaker", "SamplingPercentage"): "data capture sampling percentage: 0 to 100",
    ("sagemaker", "CsvContentTypes"): "data capture CSV content types: 1 to 10",
    ("sagemaker", "JsonContentTypes"): "data capture JSON content types: 1 to 10",
    ("sagemaker", "CsvContentType"): "data capture CSV content type: pattern and length",
    ("sagemaker", "JsonContentType"): "data capture JSON content type: pattern and length",
    ("sagemaker", "CapacitySizeType"): "deployment step size type: INSTANCE_COUNT or CAPACITY_PERCENT",
    ("sagemaker", "CapacitySizeValue"): "deployment step size: at least 1",
    ("sagemaker", "InferenceComponentCapacitySizeType"): "component rolling batch type: COPY_COUNT or CAPACITY_PERCENT",
    ("sagemaker", "TrafficRoutingConfigType"): "blue/green traffic shifting: ALL_AT_ONCE, CANARY or LINEAR",
    ("sagemaker", "WaitIntervalInSeconds"): "baking period: 0 to 3600 seconds",
    ("sagemaker", "TerminationWaitInSeconds"): "old fleet termination wait: 0 to 3600 seconds",
    ("sagemaker", "MaximumExecutionTimeoutInSeconds"): "deployment timeout: 600 to 28800 seconds",
    ("sagemaker", "AlarmList"): "rollback alarms: 1 to 10",
    ("sagemaker", "ClarifyEnableExplanations"): "explainer: EnableExplanations length",
    ("sagemaker", "ClarifyShapBaseline"): "explainer: inline SHAP baseline, at most 4096 characters",
    ("sagemaker", "ClarifyShapNumberOfSamples"): "explainer: Kernel SHAP samples, at least 1",
    ("sagemaker", "ClarifyTextLanguage"): "explainer: text language, one of the listed codes",
    ("sagemaker", "ClarifyTextGranularity"): "explainer: text granularity, token, sentence or paragraph",
    ("sagemaker", "ClarifyFeaturesAttribute"): "explainer: features attribute length",
    ("sagemaker", "ClarifyContentTemplate"): "explainer: content template length",
    ("sagemaker", "ClarifyProbabilityAttribute"): "explainer: probability attribute length",
    ("sagemaker", "ClarifyLabelAttribute"): "explainer: label attribute length",
    ("sagemaker", "ClarifyMaxRecordCount"): "explainer: records per container request, at least 1",
    ("sagemaker", "ClarifyMaxPayloadInMB"): "explainer: container request size, 1 to 25 MB",
    ("sagemaker", "ClarifyProbabilityIndex"): "explainer: probability column, at least 0",
    ("sagemaker", "ClarifyLabelIndex"): "explainer: label column, at least 0",
    ("sagemaker", "ClarifyLabelHeaders"): "explainer: label headers, 1 to 16",
    ("sagemaker", "ClarifyFeatureHeaders"): "explainer: feature headers, 1 to 256",
    ("sagemaker", "ClarifyFeatureTypes"): "explainer: feature types, 1 to 256",
    ("sagemaker", "ClarifyHeader"): "explainer: a header's length",
    ("sagemaker", "ClarifyFeatureType"): "explainer: feature type, numerical, categorical or text",
    ("sagemaker", "InferenceExperimentName"): "shadow test name: pattern and length",
    ("sagemaker", "InferenceExperimentDescription"): "shadow test description: length",
    ("sagemaker", "Percentage"): "shadow test sampling percentage: at most 100",
    ("sagemaker", "ProcessingInstanceType"): "monitoring job instance type: one of the processing types",
    ("sagemaker", "ProcessingInstanceCount"): "monitoring job instances: 1 to 100",
    ("sagemaker", "ProcessingVolumeSizeInGB"): "monitoring job volume: 1 to 16384 GB",
    ("sagemaker", "MonitoringMaxRuntimeInSeconds"): "monitoring job limit: 1 to 86400 seconds",
    ("ecr", "RepositoryName"): "ECR repository name: pattern and length",
    ("application-autoscaling", "MetricScale"): "scaling target value and step bounds: finite numbers",
    ("application-autoscaling", "ScalingAdjustment"): "step scaling adjustment: an integer",
    ("cloudwatch", "EvaluationPeriods"): "alarm evaluation periods: at least 1",
    ("cloudwatch", "DatapointsToAlarm"): "alarm datapoints to alarm: at least 1",
    ("cloudwatch", "Threshold"): "alarm threshold: a finite number",
    ("application-autoscaling", "ResourceCapacity"): "scalable target minimum and maximum capacity: integers",
}


def api_rule(service: str, shape: str) -> Rule:
    """The rule of one botocore shape: ``Api.<Shape>``; the shape must be listed in `API_SHAPES`."""
    checks = API_SHAPES[(service, shape)]
    rule_id = f"Api.{shape}"
    return _RULES.get(rule_id) or _rule(rule_id, checks, f"botocore shape {shape} ({service})")


def all_rules() -> list[Rule]:
    """Every rule: the library's own in definition order, then the API shapes by ID."""
    for service, shape in API_SHAPES:
        api_rule(service, shape)
    own = [rule for rule in _RULES.values() if not rule.id.startswith("Api.")]
    return own + sorted((rule for rule in _RULES.values() if rule.id.startswith("Api.")), key=lambda rule: rule.id)


def markdown() -> str:
    """``docs/rules.md``: one row per rule."""
    lines = [
        "# Rules",
        "",
        "Every rule cdk-sagemaker-inference enforces (synth fails with a `ValidationError`) or warns about (a synth",
        "warning `cdk-sagemaker-inference:<ID>`, which `Validations`/`Annotations` can acknowledge). Messages cite the",
        "ID in brackets. Generated from `constructs/cdk_sagemaker_inference/rules.py` by `make docs`; a test keeps",
        "this file equal to the code. `Api.*` limits are read from botocore's service model at synth time.",
        "",
        "| ID | Checks | Source | Kind |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{rule.id}` | {rule.checks} | {rule.source} | {rule.severity} |" for rule in all_rules()]
    return "\n".join(lines) + "\n"


def describe(rule_ids: list[str]) -> str:
    """The named rules as ``ID (kind): checks. Source: ...`` lines, or the whole table when none is named.

    Raises ``KeyError`` naming the unknown IDs.
    """
    if not rule_ids:
        return markdown()
    rules = {rule.id: rule for rule in all_rules()}
    unknown = [rule_id for rule_id in rule_ids if rule_id not in rules]
    if unknown:
        raise KeyError(f"no rule {', '.join(unknown)}; the IDs are in {DOCS_FILE} (or run without arguments)")
    return "".join(
        f"{rule.id} ({rule.severity}): {rule.checks}. Source: {rule.source}\n"
        for rule in (rules[rule_id] for rule_id in rule_ids)
    )
