"""The OpenAPI document a real `kino serve` publishes at /v1/openapi.yaml is a valid OpenAPI 3.1 document.

Run: python3 Tests/integration/test_openapi.py   (needs openapi-spec-validator and PyYAML from PyPI)
"""
import os
import sys
import urllib.request

import yaml
from openapi_spec_validator import validate

sys.path.insert(0, os.path.dirname(__file__))
from kino_harness import KinoServer  # noqa: E402


def main():
    with KinoServer() as server:
        text = urllib.request.urlopen(server.base_url + "/v1/openapi.yaml").read().decode()
    spec = yaml.safe_load(text)
    validate(spec)
    paths = sorted(spec["paths"])
    assert "/v1/videos" in paths and "/v1/videos/{video_id}/content" in paths, paths
    print(f"test_openapi: valid OpenAPI {spec['openapi']} with {len(paths)} paths")


if __name__ == "__main__":
    main()
