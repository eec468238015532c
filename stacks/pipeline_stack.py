"""Sample pipeline (CDK Pipelines; synth and snapshot only unless asked for, ``-c pipeline-sample=true``): the
sentiment endpoint promoted from a staging to a production account, each stage gated by its smoke test, a manual
approval before production, the model image and data read across accounts from the pipeline account.

The promoted artifact lives in the pipeline (tooling) account, one bucket, key and repository per stage Region
(SageMaker reads model data and images in the endpoint's Region only); publishing the image and model there, e.g.
with ECR and S3 replication, is the release process's job. Each stage's execution role has a fixed name, which the
artifacts' resource policies name through ``aws:PrincipalArn`` (a principal that does not exist yet may not be
named directly, and the roles are created after the artifacts).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, RemovalPolicy, Stack, Stage, pipelines
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_sagemaker_inference import (
    ContainerImage,
    Endpoint,
    ExecutionRole,
    Model,
    ModelData,
    acknowledge_nag_findings,
)
from cdk_sagemaker_inference.execution_role import ECR_PULL_ACTIONS
from cdk_sagemaker_inference.nag import acknowledge_findings, shown, wildcard_finding

from .app_config import PipelineSettings, RealtimeSettings, StageSettings
from .sample_parts import add_json_smoke_test, add_monitoring, instance_config

CONTEXT_KEY = "pipeline-sample"
BUCKET_FINDINGS = [
    f"{pack}-S3Bucket{check}Enabled"
    for pack in ("HIPAA.Security", "NIST.800.53.R5")
    for check in ("Logging", "Replication", "Versioning")
]
PIPELINE_FINDINGS = {
    "AWS::S3::Bucket": ["AwsSolutions-S1", *BUCKET_FINDINGS],
    "AWS::CodeBuild::Project": ["HIPAA.Security-CodeBuildProjectSourceRepoUrl"],
    "AWS::IAM::Policy": ["HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy"],
}
PIPELINE_REASONS = {
    "IAM5": "CDK Pipelines (aws-cdk-lib) writes these policies: scoped to the pipeline's artifact bucket and key, its "
    "CodeBuild projects' log groups and report groups, and the target accounts' bootstrap roles",
    "IAMNoInlinePolicy": "CDK Pipelines (aws-cdk-lib) attaches its generated policies inline to the roles it "
    "defines; the library's own roles keep managed policies",
    "S1": "the pipeline's artifact bucket (or its cross-Region replica): CodePipeline alone reads and writes it, "
    "and CloudTrail records that",
    "S3BucketLoggingEnabled": "the pipeline's artifact bucket: CodePipeline alone uses it, and CloudTrail records it",
    "S3BucketReplicationEnabled": "build artifacts the next pipeline run makes again; nothing to replicate",
    "S3BucketVersioningEnabled": "CodePipeline writes each run's artifacts under new keys; none is overwritten",
    "CodeBuildProjectSourceRepoUrl": "the projects take their source from CodePipeline (a CodeStar connection), "
    "not from a repository URL with credentials",
}
REPOSITORY = "sagemaker-sample/sentiment-server"
MODEL_PREFIX = "models/"


def artifacts_bucket_name(settings: PipelineSettings, region: str) -> str:
    return f"sagemaker-sample-artifacts-{settings.account}-{region}"


def execution_role_name(stage: StageSettings) -> str:
    return f"sagemaker-sample-{stage.name.lower()}-execution"


class ModelArtifactsStack(Stack):
    """The promoted image and model in one Region of the pipeline account: a KMS key, a versioned bucket under it
    and an image repository, each readable by the stages' execution roles of that Region, and by nothing else."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: PipelineSettings, readers: list[StageSettings],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(scope, construct_id, **kwargs)
        self.key = kms.Key(self, "Key", description="Encrypts the promoted models", enable_key_rotation=True)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=artifacts_bucket_name(settings, self.region),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=REPOSITORY,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
        )
        for stage in readers:
            role_arn = f"arn:{self.partition}:iam::{stage.account}:role/{execution_role_name(stage)}"
            reader = iam.AccountPrincipal(stage.account).with_conditions({"ArnEquals": {"aws:PrincipalArn": role_arn}})
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[reader], actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects("models/*")]
                )
            )
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[reader],
                    actions=["kms:Decrypt"],
                    resources=["*"],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}},
                )
            )
            self.repository.add_to_resource_policy(
                iam.PolicyStatement(principals=[reader], actions=list(ECR_PULL_ACTIONS))
            )
        acknowledge_nag_findings(
            self.bucket,
            {
                "AwsSolutions-S1": "holds promoted models only, written by the release process; CloudTrail data "
                "events are the audit trail for its objects",
                "HIPAA.Security-S3BucketLoggingEnabled": "as AwsSolutions-S1: CloudTrail data events audit it",
                "NIST.800.53.R5-S3BucketLoggingEnabled": "as AwsSolutions-S1: CloudTrail data events audit it",
                "HIPAA.Security-S3BucketReplicationEnabled": "versioned and retained; each Region's copy is "
                "published by the release process, which is the replication",
                "NIST.800.53.R5-S3BucketReplicationEnabled": "versioned and retained; each Region's copy is "
                "published by the release process, which is the replication",
            },
        )


class PromotedEndpointStack(Stack):
    """The sentiment endpoint of one stage: the promoted image and model read from the pipeline account, a smoke
    test that fails (and rolls back) the deploy on a wrong answer, and the recommended alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: PipelineSettings, stage: StageSettings,
                 model_settings: RealtimeSettings, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(scope, construct_id, **kwargs)
        principal = iam.ServicePrincipal(
            "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
        )
        role = iam.Role(self, "Role", role_name=execution_role_name(stage), assumed_by=principal)
        execution_role = ExecutionRole(self, "ExecutionRole", role=role)
        repository_arn = f"arn:{self.partition}:ecr:{self.region}:{settings.account}:repository/{REPOSITORY}"
        repository = ecr.Repository.from_repository_attributes(
            self, "Repository", repository_arn=repository_arn, repository_name=REPOSITORY
        )
        # The key's ID is known only once the pipeline account deployed it: any key of that account and Region,
        # through S3 only; the key's own policy is what names this role.
        key_arn = f"arn:{self.partition}:kms:{self.region}:{settings.account}:key/*"
        bucket = artifacts_bucket_name(settings, self.region)
        model = Model(
            self,
            "Model",
            container=ContainerImage.from_ecr_repository(repository, tag=settings.image_tag),
            model_data=ModelData.from_s3_url(
                f"s3://{bucket}/{MODEL_PREFIX}{settings.model_key}", kms_key=kms.Key.from_key_arn(self, "Key", key_arn)
            ),
            role=execution_role,
            network_isolation=True,
        )
        config = instance_config(
            self,
            model,
            instance_type=model_settings.instance_type,
            instance_count=2,
            purpose=f"{stage.name} sample",
        )
        endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        add_json_smoke_test(endpoint, model_settings.smoke_test)
        add_monitoring(self, endpoint)
        acknowledge_nag_findings(
            execution_role.policy,
            {
                wildcard_finding(shown(self.resolve(key_arn))): "the promoted "
                "models' key lives in the pipeline account and its ID exists only after that account's deploy; "
                "kms:ViaService limits it to S3 and the key's policy names this role"
            },
        )
        CfnOutput(self, "EndpointName", value=endpoint.endpoint_name)


class SampleStage(Stage):
    """One deployment target of the pipeline: the promoted endpoint in the stage's account and Region."""

    def __init__(self, scope: Construct, *, settings: PipelineSettings, stage: StageSettings,
                 model_settings: RealtimeSettings) -> None:  # fmt: skip
        super().__init__(scope, stage.name, env=Environment(account=stage.account, region=stage.region))
        PromotedEndpointStack(self, "Endpoint", settings=settings, stage=stage, model_settings=model_settings)


class ArtifactsStage(Stage):
    """The promoted artifacts in the pipeline account, one stack per stage Region."""

    def __init__(self, scope: Construct, *, settings: PipelineSettings) -> None:
        super().__init__(scope, "Artifacts", env=Environment(account=settings.account, region=settings.region))
        for region in sorted({stage.region for stage in settings.stages}):
            readers = [stage for stage in settings.stages if stage.region == region]
            ModelArtifactsStack(
                self,
                f"ModelArtifacts-{region}",
                settings=settings,
                readers=readers,
                env=Environment(account=settings.account, region=region),
            )


class PipelineStack(Stack):
    """The pipeline in the tooling account: synth from the repository, the artifacts, then each stage in order (a
    manual approval first where the config asks for one). A stage whose smoke test fails rolls back and stops the
    pipeline before the next stage."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: PipelineSettings,
                 model_settings: RealtimeSettings, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(scope, construct_id, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            settings.repository, settings.branch, connection_arn=settings.connection_arn
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            cross_account_keys=True,  # stages in other accounts read the artifacts through this key
            enable_key_rotation=True,
            synth=pipelines.ShellStep(
                "Synth", input=source, commands=["make setup-synth", f"npx cdk synth -c {CONTEXT_KEY}=true"]
            ),
        )
        self.pipeline.add_stage(ArtifactsStage(self, settings=settings))
        for stage in settings.stages:
            approval = [pipelines.ManualApprovalStep(f"Promote{stage.name}")] if stage.approval else []
            self.pipeline.add_stage(
                SampleStage(self, settings=settings, stage=stage, model_settings=model_settings), pre=approval
            )
        self.pipeline.build_pipeline()
        # What aws-cdk-lib's pipelines module writes itself, here and in its cross-Region support stacks.
        support = [child for child in scope.node.children if child.node.id.startswith("cross-region-stack-")]
        for built in (self.pipeline, *support):
            acknowledge_findings(built, PIPELINE_FINDINGS, PIPELINE_REASONS)
