"""Model data: S3 objects, local archives and local directories; each grants read on exactly itself."""

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest
from aws_cdk import Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import ModelData
from cdk_sagemaker_inference.model_archive import pack_directory
from tests.support import ROOT, ecr_model, expect_problems, new_app, only_resource

SAMPLE_MODEL = ROOT / "containers" / "sentiment-model"


def model_data_url(stack):
    container = only_resource(stack, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    return stack.resolve(container.get("ModelDataUrl"))


def policy_statements(stack):
    document = only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]
    return stack.resolve(document["Statement"])


def read_resources(stack, action):
    return [s["Resource"] for s in policy_statements(stack) if s["Action"] == action]


def test_from_s3_url_grants_get_object_on_that_object_only(stack):
    ecr_model(stack, model_data=ModelData.from_s3_url("s3://models-bucket/sentiment/v1/model.tar.gz"))
    assert model_data_url(stack) == "s3://models-bucket/sentiment/v1/model.tar.gz"
    [resource] = read_resources(stack, "s3:GetObject")
    assert json.dumps(resource).endswith(':s3:::models-bucket/sentiment/v1/model.tar.gz"]]}')


def test_from_s3_url_with_kms_key_grants_decrypt_on_that_key(stack):
    key = kms.Key(stack, "Key")
    ecr_model(stack, model_data=ModelData.from_s3_url("s3://b-1/m.tar.gz", kms_key=key))
    assert read_resources(stack, "kms:Decrypt") == [{"Fn::GetAtt": ["Key961B73FD", "Arn"]}]


def test_from_bucket_grants_the_object_and_the_buckets_key(stack):
    bucket = s3.Bucket(stack, "Bucket", encryption=s3.BucketEncryption.KMS)
    ecr_model(stack, model_data=ModelData.from_bucket(bucket, "v2/model.tar.gz"))
    assert "v2/model.tar.gz" in json.dumps(model_data_url(stack))
    assert len(read_resources(stack, "s3:GetObject")) == 1
    assert len(read_resources(stack, "kms:Decrypt")) == 1


def test_from_bucket_accepts_a_bucket_known_only_at_deploy_time(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", Token.as_string({"Ref": "BucketName"}))
    ecr_model(stack, model_data=ModelData.from_bucket(bucket, "model.tar.gz"))
    assert "BucketName" in json.dumps(model_data_url(stack))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.com/model.tar.gz", "s3://<bucket>/<key>"),
        ("s3://bucket", "s3://<bucket>/<key>"),
        ("s3://bucket/models/*.tar.gz", "[NoWildcardKey]"),
        ("s3://bucket/model-?.tar.gz", "[NoWildcardKey]"),
        ("s3://bucket/" + "k" * 1100 + ".tar.gz", "from 1 to 1024 characters"),
    ],
)
def test_s3_url_must_name_one_object(stack, url, allowed):
    expect_problems(lambda: ecr_model(stack, model_data=ModelData.from_s3_url(url)), "TestStack/Model", allowed)


def test_s3_url_token_needs_from_bucket(stack):
    url = Token.as_string({"Ref": "ModelUrl"})
    expect_problems(lambda: ecr_model(stack, model_data=ModelData.from_s3_url(url)), "ModelData.from_bucket")


def test_local_archive_is_an_asset_the_role_can_read(stack, tmp_path):
    archive, _ = pack_directory(SAMPLE_MODEL, tmp_path / "staging")
    ecr_model(stack, model_data=ModelData.from_asset(str(archive)))
    assert "assets" in json.dumps(model_data_url(stack))
    assert "assets" in json.dumps(read_resources(stack, "s3:GetObject"))


@pytest.mark.parametrize("name", ["missing.tar.gz", "model.zip"])
def test_local_archive_must_exist_and_be_tar_gz(stack, tmp_path, name):
    (tmp_path / "model.zip").write_bytes(b"zip")
    expect_problems(lambda: ecr_model(stack, model_data=ModelData.from_asset(str(tmp_path / name))), "model_data")


def test_local_directory_is_packed_into_a_readable_asset(stack):
    ecr_model(stack, model_data=ModelData.from_local_directory(str(SAMPLE_MODEL)))
    assert "assets" in json.dumps(model_data_url(stack))


def test_local_directory_with_a_symlink_is_refused_naming_it(stack, tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"w")
    os.symlink(tmp_path / "weights.bin", tmp_path / "latest.bin")
    expect_problems(
        lambda: ecr_model(stack, model_data=ModelData.from_local_directory(str(tmp_path))),
        "without symlinks",
        "latest.bin",
    )


def test_local_directory_must_exist_and_hold_files(stack, tmp_path):
    (tmp_path / "empty-subdir").mkdir()
    expect_problems(
        lambda: ecr_model(stack, model_data=ModelData.from_local_directory(str(tmp_path))), "at least one file"
    )
    expect_problems(
        lambda: ecr_model(stack, "Other", model_data=ModelData.from_local_directory(str(tmp_path / "nope"))),
        "an existing local directory",
    )


def make_tree(root, *, mtime, order):
    """The same files and modes, written in a given order with a given modification time."""
    files = {"config.json": b'{"a": 1}', "weights/part-0.bin": b"\x00" * 1000, "code/inference.py": b"print(1)\n"}
    for name in order:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name])
        os.chmod(path, 0o600 if name.endswith(".bin") else 0o664)
    for path in [*root.rglob("*"), root]:
        os.utime(path, (mtime, mtime))
    return root


def test_archive_is_byte_identical_whatever_the_mtimes_order_and_owner_bits(tmp_path):
    names = ["config.json", "weights/part-0.bin", "code/inference.py"]
    first = make_tree(tmp_path / "a", mtime=1_000_000, order=names)
    second = make_tree(tmp_path / "b", mtime=1_700_000_000, order=list(reversed(names)))
    archive_a, digest_a = pack_directory(first, tmp_path / "staging-a")
    archive_b, digest_b = pack_directory(second, tmp_path / "staging-b")
    assert digest_a == digest_b
    assert archive_a.read_bytes() == archive_b.read_bytes()


def test_archive_contents_are_normalized_and_sorted(tmp_path):
    tree = make_tree(tmp_path / "m", mtime=123456, order=["weights/part-0.bin", "config.json", "code/inference.py"])
    archive, digest = pack_directory(tree, tmp_path / "staging")
    raw = archive.read_bytes()
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip header: no modification time
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["code", "code/inference.py", "config.json", "weights", "weights/part-0.bin"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    assert {m.name: oct(m.mode) for m in members if m.isfile()} == {
        "code/inference.py": "0o644",
        "config.json": "0o644",
        "weights/part-0.bin": "0o644",
    }
    assert digest == hashlib.sha256(gzip.decompress(raw)).hexdigest()


def test_archive_digest_depends_on_file_contents_alone(tmp_path):
    # No clock, user, umask or file-system order enters the tar stream: an independently built tar of the
    # same content, with every piece of metadata zeroed, has the same digest.
    archive, digest = pack_directory(SAMPLE_MODEL, tmp_path)
    assert gzip.decompress(archive.read_bytes()) == _reference_tar(SAMPLE_MODEL / "model.json")
    assert digest == hashlib.sha256(_reference_tar(SAMPLE_MODEL / "model.json")).hexdigest()


def _reference_tar(file):
    """A PAX tar of one 0644 file with zeroed metadata, built independently of the packer."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("model.json")
        info.size, info.mode, info.mtime, info.uname, info.gname = file.stat().st_size, 0o644, 0, "", ""
        tar.addfile(info, io.BytesIO(file.read_bytes()))
    return buffer.getvalue()


def test_asset_hash_is_the_content_digest(stack, tmp_path):
    from tests.support import new_stack

    tree = make_tree(tmp_path / "m", mtime=1, order=["config.json", "weights/part-0.bin", "code/inference.py"])
    other = new_stack("Other")
    ecr_model(stack, model_data=ModelData.from_local_directory(str(tree)))
    os.utime(tree / "config.json", (99, 99))
    ecr_model(other, model_data=ModelData.from_local_directory(str(tree)))
    assert json.dumps(model_data_url(stack)) == json.dumps(model_data_url(other))


def test_bucket_in_another_region_is_an_error_f_1_1():
    from aws_cdk import Stack

    model_stack = Stack(new_app(), "Models", env={"account": "123456789012", "region": "eu-west-1"})
    bucket = s3.Bucket.from_bucket_attributes(
        model_stack, "Bucket", bucket_name="us-models", region="us-east-1", account="123456789012"
    )
    expect_problems(
        lambda: ecr_model(model_stack, model_data=ModelData.from_bucket(bucket, "model.tar.gz")),
        "model_data = 'a bucket in us-east-1': allowed: a bucket in the model's Region, eu-west-1",
        "copy the model artifacts to a bucket in eu-west-1",
    )


def test_bucket_region_unknown_until_deploy_is_not_checked(stack):
    # An env-agnostic stack's Region is a token: the rule cannot be decided at synth time.
    bucket = s3.Bucket.from_bucket_attributes(stack, "Bucket", bucket_name="us-models", region="us-east-1")
    ecr_model(stack, model_data=ModelData.from_bucket(bucket, "model.tar.gz"))
    assert model_data_url(stack) == "s3://us-models/model.tar.gz"
