"""Prints the AWS::Lambda::Version logical IDs SAM's translator gives each function of a template.

Usage: python3 sam_versions.py TEMPLATE LAYER_URI [--no-publish]

TEMPLATE is read as cfn-lint reads it; every CodeUri and ContentUri is replaced by an s3:// URI,
as `sam package` does, the layer's by LAYER_URI (a new layer zip has a new key). --no-publish
drops the layers' PublishLambdaVersion first. Output: one JSON object, function -> version ID.
Used by template_functions_test.go (TestTemplateLayerChangePublishesVersion); needs the
aws-sam-translator that cfn-lint brings.
"""
import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

path, layer_uri = sys.argv[1], sys.argv[2]
template, matches = decode(path)
if matches:
    sys.exit("%s: %s" % (path, matches))
for resource in template["Resources"].values():
    props = resource.get("Properties", {})
    if resource["Type"] == "AWS::Serverless::Function":
        props["CodeUri"] = "s3://artifacts/" + props["CodeUri"]
    elif resource["Type"] == "AWS::Serverless::LayerVersion":
        props["ContentUri"] = layer_uri
        if "--no-publish" in sys.argv[3:]:
            props.pop("PublishLambdaVersion", None)
# The translator needs a region for its pseudo parameters; any will do.
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
out = Translator(managed_policy_map={}, sam_parser=Parser()).translate(template, parameter_values={})
versions = {}
for logical_id, resource in out["Resources"].items():
    if resource["Type"] == "AWS::Lambda::Version":
        function = resource["Properties"]["FunctionName"]["Ref"]
        versions[function] = logical_id
print(json.dumps(versions))
